"""Imported by the worker pool's forkserver (its preload list) for every run: loads the language
model once (memory-mapped from its uncompressed copy in the user's cache, ~20 ms of CPU; the
first time, ~0.5 s to decompress the package's copy and keep it there:
`crawler.extract.language_cache`), so that every worker forked from it starts with it loaded
instead of each loading it on its first document; pays the text path's other first-use costs
once (`crawler.run.clean.warm_up`); and then moves every object made so far (the imports',
~80k) out of the garbage collector's sight (`gc.freeze`): they live as long as the process, and
each of a worker's full collections traversed them all (~0.04 ms a page dump), touching, and
so copying, the forkserver's memory pages the workers otherwise share."""

import gc

from crawler.extract.normalize import load_language_model
from crawler.run.clean import warm_up

load_language_model()
warm_up()
gc.collect()  # the warm-up's garbage first: frozen, it would never be freed
gc.freeze()
