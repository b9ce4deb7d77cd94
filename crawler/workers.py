"""Cleaning a run's batches in worker processes, surviving workers that die.

A worker that dies (out of memory, a crash in a C library) breaks its whole pool. The batches
it took down are cleaned again one process each, and a batch that kills its process again is
split into one process per file, so only the input that kills its process is lost, as a
`crashed` reject. `clean_batches` is the CLI's loop; `WorkerPool` serves the Prefect flow's
batch tasks, which run on several threads.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from crawler.progress import NoProgress, Progress
from crawler.readers import file_uri
from crawler.reasons import Rejected
from crawler.run_types import BatchResult, RunContext
from crawler.staging import CRASHED_DETAIL, clean_batch, input_hash, reject_row, write_staged

LOGGER = logging.getLogger(__name__)


CleanBatch = Callable[[RunContext, int, list[str], str | None], BatchResult]


def clean_batches(
    ctx: RunContext,
    batches: list[list[str]],
    line_stats_path: str | None,
    progress: Progress | None = None,
    clean: CleanBatch = clean_batch,
) -> list[BatchResult]:
    """Clean every batch: in worker processes when there are several batches and workers.

    A worker that dies (out of memory, a crash in a C library) takes its batch with it and
    breaks the pool; the batches left are then cleaned again one process each, and inside a
    batch that kills its process again one file per process, so only the input that kills its
    process is lost, as a `crashed` reject. `clean` is the batch function (tests swap it)."""
    progress = progress or NoProgress()
    progress.start("clean", sum(len(b) for b in batches))
    workers = min(ctx.settings.workers or os.cpu_count() or 1, len(batches))
    if workers <= 1:
        results = []
        for n, batch in enumerate(batches):
            results.append(clean(ctx, n, batch, line_stats_path))
            progress.advance(len(batch))
        return results
    done: dict[int, list[BatchResult]] = {}
    with worker_pool(workers) as pool:
        futures = {
            pool.submit(clean, ctx, n, batch, line_stats_path): n for n, batch in enumerate(batches)
        }
        for future in as_completed(futures):
            n = futures[future]
            with contextlib.suppress(BrokenProcessPool):
                done[n] = [future.result()]
                progress.advance(len(batches[n]))
    for n, batch in enumerate(batches):
        if n not in done:
            LOGGER.warning("run %s: a worker died; cleaning batch %d again alone", ctx.run_id, n)
            done[n] = _clean_alone(ctx, n, batch, line_stats_path, clean)
            progress.advance(len(batch))
    return [result for n in sorted(done) for result in done[n]]


def worker_pool(workers: int, preload: str = "crawler.staging") -> ProcessPoolExecutor:
    """Worker processes forked from a forkserver: they start clean (no inherited threads,
    locks or reactor), and the forkserver imports `preload` (the chain) once for all."""
    mp = multiprocessing.get_context("forkserver")
    mp.set_forkserver_preload([preload])
    return ProcessPoolExecutor(workers, mp_context=mp)


def _clean_alone(
    ctx: RunContext, n: int, batch: list[str], line_stats_path: str | None, clean: CleanBatch
) -> list[BatchResult]:
    """Batch `n` in a process of its own; if that dies too, each file in its own process."""
    try:
        with worker_pool(1) as pool:
            return [pool.submit(clean, ctx, n, batch, line_stats_path).result()]
    except BrokenProcessPool:
        pass
    results = []
    for i, name in enumerate(batch):
        sub_batch = (n + 1) * SPLIT_BATCH_BASE + i  # its own staging file names
        try:
            with worker_pool(1) as pool:
                results.append(pool.submit(clean, ctx, sub_batch, [name], line_stats_path).result())
        except BrokenProcessPool:
            LOGGER.warning("run %s: the cleaning process died on %s", ctx.run_id, name)
            results.append(_crashed(ctx, sub_batch, Path(name)))
    return results


class WorkerPool:
    """Worker processes that callers in several threads share (the Prefect flow's batch
    tasks): cleaning runs on every core, not under one interpreter lock, and a worker that
    dies costs only its input, as in `clean_batches`."""

    def __init__(self, workers: int, clean: CleanBatch = clean_batch) -> None:
        self.workers = workers
        self.clean_batch = clean  # the batch function (tests swap it)
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def clean(
        self, ctx: RunContext, n: int, batch: list[str], line_stats_path: str | None
    ) -> list[BatchResult]:
        """Batch `n` cleaned in a worker; more than one result if a dead worker split it."""
        with self._lock:
            if self._pool is None:
                self._pool = worker_pool(self.workers)
            pool = self._pool
        try:
            return [pool.submit(self.clean_batch, ctx, n, batch, line_stats_path).result()]
        except BrokenProcessPool:
            with self._lock:
                if self._pool is pool:  # the first caller to see the break replaces it
                    self._pool = None
            pool.shutdown(wait=False)
        LOGGER.warning("run %s: a worker died; cleaning batch %d again alone", ctx.run_id, n)
        return _clean_alone(ctx, n, batch, line_stats_path, self.clean_batch)

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown()
                self._pool = None


SPLIT_BATCH_BASE = 1_000_000  # batch numbers of single files split out of a batch


def _crashed(ctx: RunContext, batch_no: int, path: Path) -> BatchResult:
    """A staged batch holding one reject: the input its cleaning process died on."""
    size = None
    with contextlib.suppress(OSError):
        size = path.stat().st_size
    reject = reject_row(file_uri(path), Rejected.CRASHED, CRASHED_DETAIL, size, input_hash(path))
    return write_staged(ctx, batch_no, [], [reject], {"rejected": 1}, 0.0)
