"""What the crawl's worker processes run: crawled pages through THE chain.

Kept apart from the item pipeline (`crawler.crawl.pipelines`) so that the worker pool's
forkserver, which imports this module once for all workers, imports no Scrapy, Twisted or
pyarrow.dataset: half of its start-up CPU, paid while the fetch loop's first pages wait.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from crawler.config import Settings
from crawler.crawl.items import PageItem
from crawler.dedup.minhash import MinHasher
from crawler.errors import Drop
from crawler.readers.decode import decode_bytes, strip_controls
from crawler.readers.files import RawInput
from crawler.reasons import Rejected
from crawler.run.clean import PendingInput, clean_input, reject_row

PRELOAD = __name__  # what the forkserver imports once for the page workers

CleanedPage = tuple[dict[str, Any] | None, dict[str, Any] | None]  # (staged row, reject row)
CleanPage = Callable[[PageItem, Settings], CleanedPage]


@lru_cache(maxsize=2)
def _hasher(num_perm: int) -> MinHasher:
    return MinHasher(num_perm)


def clean_page(page: PageItem, settings: Settings) -> CleanedPage:
    """One crawled page through the chain (runs in a worker process): (staged row, None) or
    (None, reject row). The row's `url` is the page's canonical URL."""
    size = len(page.body)

    def load() -> RawInput:
        if size > settings.max_input_bytes:
            raise Drop(Rejected.TOO_LARGE, f"{size} bytes > limit {settings.max_input_bytes}")
        text = decode_bytes(page.body, html=True, http_charset=page.charset)  # as for files
        text, removed = strip_controls(text)  # as for files: removed, audited
        return RawInput(page.url, "html", text, size, crawled=True, removed=tuple(removed))

    digest = hashlib.sha256(page.body).hexdigest()
    row, reject = clean_input(
        PendingInput(page.url, size, digest, load), settings, None, _hasher(settings.num_perm)
    )
    if row is not None:
        row["url"] = page.canonical_url
    return row, reject


def page_reject(page: PageItem, reason: str, detail: str) -> CleanedPage:
    """A page's reject row, for a page the chain could not run on."""
    digest = hashlib.sha256(page.body).hexdigest()
    return None, reject_row(page.url, reason, detail, len(page.body), digest)


def clean_pages(clean: CleanPage, pages: list[PageItem], settings: Settings) -> list[CleanedPage]:
    """Several pages through `clean`, in one worker call. A bug on one page (`clean` raising)
    costs that page alone, as an `extract_error` reject."""
    results = []
    for page in pages:
        try:
            results.append(clean(page, settings))
        except Exception as exc:
            detail = f"unexpected {type(exc).__name__}: {exc}"
            results.append(page_reject(page, Rejected.EXTRACT_ERROR, detail))
    return results
