"""Imported by the worker pool's forkserver (its preload list) when a run may read HTML: pays
the HTML path's first-use costs once (`crawler.extract.html.warm_up`: dateparser's locales,
the language model, lazy imports), so that every worker forked from it starts with them paid
instead of each paying ~3 s of CPU on its first pages. The `regex` patterns dateparser's 205
locales compile (~2 s of the warm-up, the library's pure-Python parser) are built from their
compiled form kept by the previous run (`crawler.run.regex_memo`): ~0.3 s."""

from crawler.extract.html import warm_up
from crawler.run.regex_memo import remembered_compiles

with remembered_compiles():
    warm_up()
