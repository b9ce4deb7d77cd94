"""Imported by the worker pool's forkserver (its preload list) when a run may read HTML: pays
the HTML path's first-use costs once (`crawler.extract.html.warm_up`: dateparser's locales,
the language model, lazy imports), so that every worker forked from it starts with them paid
instead of each paying ~3 s of CPU on its first pages."""

from crawler.extract.html import warm_up

warm_up()
