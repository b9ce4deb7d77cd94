"""Imported by the worker pool's forkserver (its preload list) for every run: loads the language
model once (memory-mapped from its uncompressed copy in the user's cache, ~20 ms of CPU; the
first time, ~0.5 s to decompress the package's copy and keep it there:
`crawler.extract.language_cache`), so that every worker forked from it starts with it loaded
instead of each loading it on its first document; and pays the text path's other first-use
costs once (`crawler.run.clean.warm_up`)."""

from crawler.extract.normalize import load_language_model
from crawler.run.clean import warm_up

load_language_model()
warm_up()
