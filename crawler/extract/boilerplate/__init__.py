"""Text-dump cleaner: find the article body in a page's text, with metadata and an audit.

from crawler.extract.boilerplate import LineStats, clean_text

stats = LineStats()
for text in texts:          # corpus-level evidence first (optional)
    stats.add(text)
result = clean_text(text, stats)            # a whole-page dump
result = clean_text(text, mode="extracted") # text an HTML extractor produced
"""

from crawler.extract.boilerplate import native

native.activate()  # the per-line modules compiled with mypyc, when a build matches the sources

from crawler.extract.boilerplate.cleaner import clean_text  # noqa: E402
from crawler.extract.boilerplate.result import CleanResult, Removal  # noqa: E402
from crawler.extract.boilerplate.stats import LineStats  # noqa: E402

__all__ = ["CleanResult", "LineStats", "Removal", "clean_text"]
