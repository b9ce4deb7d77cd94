"""`python -m flows.ingest PATH... --out DIR`: the ingest flow, run once (flows/ingest/launch.py).

The entry point is a package's `__main__` so that the run's worker processes do not import the
flow: multiprocessing re-imports a `python -m` module by name in every process it starts
(Prefect and all, ~2.5 s of CPU and ~60 MB each) but leaves a package's `__main__` alone.
"""

import sys

from flows.ingest.launch import main

sys.exit(main())
