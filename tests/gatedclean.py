"""Page cleaners for tests of the crawl's hand-off to its workers (importable by the worker
processes, hence a module of its own): one that waits for a gate to open, so that a test can
count what the fetch loop did while pages were being cleaned; one that dies on some pages."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from crawler.config import Settings
from crawler.crawl.items import PageItem
from crawler.run.clean import reject_row

GATE_WAIT_SECONDS = 120.0  # a bound for the test, not a timing assertion
CleanedPage = tuple[dict[str, Any] | None, dict[str, Any] | None]


def cleaned(page: PageItem) -> CleanedPage:
    """A cheap result that names the page: a reject with reason `cleaned`."""
    return None, reject_row(page.url, "cleaned", "by a test cleaner", len(page.body), None)


def gated_clean(page: PageItem, settings: Settings) -> CleanedPage:
    """Waits until the file named by the page's `source` exists (the test opens the gate);
    each call leaves a mark beside it, so the test counts the pages a worker has started on."""
    gate = Path(page.source)
    (gate.parent / f"started-{os.getpid()}-{time.monotonic_ns()}").touch()
    end = time.monotonic() + GATE_WAIT_SECONDS
    while not gate.exists() and time.monotonic() < end:
        time.sleep(0.01)
    return cleaned(page)


def clean_or_die(page: PageItem, settings: Settings) -> CleanedPage:
    """Its process dies on a page whose URL holds `die` (as on a page that runs it out of
    memory)."""
    if "die" in page.url:
        os.kill(os.getpid(), signal.SIGKILL)
    return cleaned(page)
