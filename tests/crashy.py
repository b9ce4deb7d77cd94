"""Cleaners whose process dies on some inputs, as one would on a page that runs it out of
memory: for tests of how a run or a crawl survives a dead worker (importable by the worker
processes, hence a module of its own)."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from crawler.config import Settings
from crawler.crawl.items import PageItem
from crawler.crawl.pipelines import clean_page
from crawler.run.clean import clean_batch
from crawler.run_types import BatchResult, RunContext

CleanedPage = tuple[dict[str, Any] | None, dict[str, Any] | None]


def clean_or_die(
    ctx: RunContext, batch_no: int, files: list[str], line_stats_path: str | None
) -> BatchResult:
    if any(Path(name).name.startswith("die") for name in files):
        os.kill(os.getpid(), signal.SIGKILL)
    return clean_batch(ctx, batch_no, files, line_stats_path)


KILLER_MARK = "KILL-THIS-WORKER"


def clean_or_die_on_mark(
    ctx: RunContext, batch_no: int, keys: list[str], line_stats_path: str | None
) -> BatchResult:
    """`clean_batch`, except that its process dies on an input whose text holds KILLER_MARK
    (a web archive's record: its key names no file to tell it by)."""
    from crawler.run.clean import saved_inputs

    for item in saved_inputs(ctx, batch_no, keys).values():
        with contextlib.suppress(Exception):
            if KILLER_MARK in item.load().text:
                os.kill(os.getpid(), signal.SIGKILL)
    return clean_batch(ctx, batch_no, keys, line_stats_path)


def clean_page_or_die(page: PageItem, settings: Settings) -> CleanedPage:
    """`crawler.crawl.pipelines.clean_page`, except that its process dies on a URL holding
    $CRASHY_URL_PART (set it before the crawl process starts: workers inherit it)."""
    if os.environ.get("CRASHY_URL_PART", "\0") in page.url:
        os.kill(os.getpid(), signal.SIGKILL)
    return clean_page(page, settings)


def clean_or_hang(
    ctx: RunContext, batch_no: int, files: list[str], line_stats_path: str | None
) -> BatchResult:
    """`clean_batch`, except that its process hangs (past any per-document time limit, as in
    a C library) on a file named hang*."""
    if any(Path(name).name.startswith("hang") for name in files):
        while True:
            time.sleep(60)
    return clean_batch(ctx, batch_no, files, line_stats_path)


class BreaksOnSubmit(ProcessPoolExecutor):
    """A worker pool whose first submit meets it breaking: CPython's manager thread marks a pool
    broken and shut down (`terminate_broken`) without the lock `submit` holds, so a submit
    racing with a worker's death can fail with RuntimeError("cannot schedule new futures
    after shutdown") instead of BrokenProcessPool, or leave its call unanswered. Tests make
    this deterministic by swapping `crawler.run.workers.worker_pool` for `breaking_pools`."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        self._broken = "A child process terminated abruptly"  # type: ignore[assignment]
        raise RuntimeError("cannot schedule new futures after shutdown")


def breaking_pools(real: Any) -> Any:
    """A `worker_pool` whose first pool with several workers breaks on its first submit (the
    one-worker pools that run calls alone are real)."""
    made: list[int] = []

    def worker_pool(
        workers: int, preload: str = "crawler.run.clean", warm_html: bool = False
    ) -> ProcessPoolExecutor:
        if workers > 1 and not made:
            made.append(workers)
            return BreaksOnSubmit(workers)
        pool: ProcessPoolExecutor = real(workers, preload, warm_html)
        return pool

    return worker_pool
