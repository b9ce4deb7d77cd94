"""Imported first by the worker pool's forkserver (its preload list): from then on it ignores
Ctrl-C. The forkserver ignores SIGINT by itself only once it has imported the chain, and the
pool starts lazily, so a Ctrl-C sent to the whole process group (as a terminal does) could
land during those imports and print a KeyboardInterrupt traceback. The workers it forks
ignore Ctrl-C as well: the run decides when to stop them."""

import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)
