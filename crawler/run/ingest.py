"""An ingest run in stages: scan -> clean batches -> dedup and commit, inside a run session.

Each stage takes and returns small serializable values (paths, counters), so the CLI can call
them in a loop (cleaning batches in worker processes) and the Prefect flow can run each as a
task, with identical results. The order of steps for one document lives in `crawler.extract.chain`;
this module orders the ingest stages; the run around them (lock, recover, finish, clean up)
is `crawler.run.session`, shared with the crawl. The stages themselves: `crawler.run.clean`
(clean) and `crawler.run.finish` (dedup + commit).
"""

from __future__ import annotations

import gc
import itertools
import logging
import pickle
import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from crawler.config import Settings
from crawler.dedup.index import load_seen_inputs
from crawler.extract.boilerplate import LineStats
from crawler.extract.boilerplate.stats import LineCountsFile, SpilledLineStats, write_counts
from crawler.readers.files import discover, folders_resolved_once
from crawler.readers.inputs import Input, is_input, read_inputs
from crawler.run.clean import (
    PendingInput,
    clean_batch,
    clean_input,
    learn_line_counts,
    learn_line_stats,
    save_batches,
    stage_batch,
    write_staged,
)
from crawler.run.finish import finish_run
from crawler.run.progress import NoProgress, Progress
from crawler.run.session import Commit, RunSession, cleanup, start_run
from crawler.run.workers import (
    IsolatingPool,
    WorkerLost,
    WorkerPool,
    clean_batches,
    may_hold_html,
)
from crawler.run_types import BatchResult, RunContext, RunSummary, ScanResult
from crawler.store.dataset import Dataset

LOGGER = logging.getLogger(__name__)
T = TypeVar("T")

__all__ = [
    "BatchResult",
    "PendingInput",
    "RunContext",
    "RunSummary",
    "ScanResult",
    "WorkerPool",
    "clean_batch",
    "clean_batches",
    "clean_input",
    "cleanup",
    "discover_inputs",
    "finish_run",
    "ingest_stages",
    "learn_line_stats",
    "plan_batches",
    "run_ingest",
    "run_stages",
    "scan_inputs",
    "stage_batch",
    "start_run",
    "write_staged",
]


def discover_inputs(paths: list[str], follow_symlinks: bool = False) -> list[str]:
    """Input files under the given paths, those some reader takes (`crawler.readers.inputs`);
    ConfigError if a path does not exist."""
    return [str(p) for p in discover(paths, follow_symlinks=follow_symlinks, accepts=is_input)]


def scan_inputs(
    ctx: RunContext,
    files: list[str],
    progress: Progress | None = None,
    pool: IsolatingPool | None = None,
) -> ScanResult:
    """The inputs of the files (each hashed once, by its reader); skip those already processed
    with the same bytes, and learn which lines recur across the page dumps of this ingest
    (site chrome) for the cleaner: from every new dump and the most recently changed
    KNOWN_DUMPS_FOR_STATS of the known ones (a drop folder that keeps its old dumps must not
    make every run read them all). With `pool`, the dumps are fed to its workers in chunks as
    the scan meets them, so learning runs on every core while this process reads on."""
    progress = progress or NoProgress()
    progress.start("scan", len(files))
    seen = load_seen_inputs(Dataset(ctx.dataset_root))
    new: list[Input] = []
    known_dumps: list[Input] = []
    found = 0
    learn = ctx.settings.use_line_stats
    with (
        _StatsLearner(pool, ctx.settings.max_doc_seconds, ctx.staging) as learner,
        folders_resolved_once(),
    ):
        for name in files:
            for item in read_inputs(Path(name), ctx.settings):
                found += 1
                if not item.input_hash or (item.source_uri, item.input_hash) not in seen:
                    new.append(item)
                    if pool is not None and len(new) == 2:
                        # two new inputs are two batches for the workers: their forkserver
                        # imports (and warms up) on another core while this process scans
                        pool.start_forkserver()
                    if learn and item.kind_hint == "text":
                        learner.add(item)
                elif item.kind_hint == "text":
                    known_dumps.append(item)
            progress.advance()
        stats_path = None
        if learn and new:
            for item in _most_recent(known_dumps):
                learner.add(item)
            stats = learner.result()
            if stats.n_docs:
                stats_path = str(Path(ctx.staging) / "line_stats.pickle")
                Path(stats_path).write_bytes(pickle.dumps(stats.pruned()))
    keys = [i.key for i in new]
    return ScanResult(keys, found - len(new), stats_path, new_inputs=new, inputs=found)


KNOWN_DUMPS_FOR_STATS = 2000
STATS_CHUNK = 500  # page dumps per call when the line statistics are learned in the pool


def _most_recent(inputs: list[Input]) -> list[Input]:
    """Up to KNOWN_DUMPS_FOR_STATS of `inputs`, latest modified first (ties by key)."""
    if len(inputs) <= KNOWN_DUMPS_FOR_STATS:
        return inputs
    return sorted(inputs, key=lambda i: (-i.modified, i.key))[:KNOWN_DUMPS_FOR_STATS]


class _StatsLearner:
    """Line statistics of the dumps `add`ed, learned in chunks of STATS_CHUNK: in the pool's
    workers (one chunk per worker at a time) while the scan goes on, or in this process
    without a pool. A worker writes its chunk's counts to the run's staging area and returns
    the file's name (`learn_line_counts`): this process never holds a chunk's counts (their
    unpickling, on the pool's threads, left ~100 MB of heap at 100k dumps). A chunk whose
    worker is lost is learned here (as it was before)."""

    def __init__(
        self, pool: IsolatingPool | None, max_doc_seconds: float, folder: str | Path
    ) -> None:
        self.pool = pool
        self.max_doc_seconds = max_doc_seconds
        self.threads = ThreadPoolExecutor(pool.workers, "scan") if pool is not None else None
        self.chunk: list[Input] = []
        self.futures: list[Future[LineCountsFile]] = []
        # the chunks' counts, added up on disk as they come (most lines occur once)
        self.total = SpilledLineStats(folder)

    def add(self, item: Input) -> None:
        self.chunk.append(item)
        if len(self.chunk) >= STATS_CHUNK:
            self._submit()

    def _submit(self) -> None:
        chunk, self.chunk = self.chunk, []
        if not chunk:
            return
        if self.threads is None:
            self.total.add(learn_line_stats(chunk))
        else:
            self._add_learned()
            assert self.pool is not None
            self.pool.start_forkserver()  # here, on the main thread: see its docstring
            path = self.total.new_path()
            self.futures.append(self.threads.submit(self._learn, chunk, path))

    def _add_learned(self) -> None:
        """Add up the chunks the workers have learned so far (not held until the end)."""
        done = [f for f in self.futures if f.done()]
        self.futures = [f for f in self.futures if not f.done()]
        for future in done:
            self.total.add_file(future.result())

    def _learn(self, chunk: list[Input], path: str) -> LineCountsFile:
        assert self.pool is not None
        args = (chunk, path, self.total.partitions)
        try:
            return self.pool.call(learn_line_counts, args, len(chunk), self.max_doc_seconds)
        except WorkerLost:
            return write_counts(learn_line_stats(chunk), path, self.total.partitions)

    def result(self) -> LineStats:
        """The statistics of every dump added, pruned (`LineStats.pruned`; counts add up, so
        the order does not matter). Dumps that fit in one chunk are learned here: a worker
        would first wait for the forkserver's imports, for what takes this process well
        under a second."""
        if self.futures:
            self._submit()
        else:
            self.total.add(learn_line_stats(self.chunk))
            self.chunk = []
        for future in self.futures:
            self.total.add_file(future.result())
        self.futures = []
        return self.total.result()

    def __enter__(self) -> _StatsLearner:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.threads is not None:  # bounded: every call on the pool is
            self.threads.shutdown(wait=True, cancel_futures=True)
        self.total.close()


def plan_batches(items: list[T], batch_size: int, workers: int = 1) -> list[list[T]]:
    """`items` in order, in batches of at most `batch_size` that differ by one item at most,
    as many as a multiple of `workers` (when there are that many items): every worker gets as
    much to clean. 63 dumps on 2 workers are 32 + 31, not one batch cleaned by one process
    (one core, and no worker to lose instead of the run); 450 in batches of 200 are
    113 + 113 + 112 + 112, not 200 + 200 + 50."""
    if not items:
        return []
    count = -(-len(items) // batch_size)
    count = min(len(items), -(-count // max(1, workers)) * max(1, workers))
    size, longer = divmod(len(items), count)
    bounds = [i * size + min(i, longer) for i in range(count + 1)]
    return [items[a:b] for a, b in itertools.pairwise(bounds)]


def release_scan_memory() -> None:
    """Let the allocator give back the memory of the scan's inputs, once they are dropped.

    CPython's type attribute cache keeps a reference to the names it was last asked for, and
    the worker pool's answers come back unpickled with names of their own: the scan left one
    such string per chunk it learned, each in one of the 1 MiB allocator arenas that the
    inputs (~1 KB each) filled meanwhile, so those arenas stayed when the inputs were dropped:
    ~100 MB in the main process at 100k dumps. Clearing the cache frees them. So does a full
    collection for the scan's cyclic garbage (futures, threads, frames), which would otherwise
    wait in the oldest generation behind the run's ~100k long-lived objects."""
    # Python 3.13 deprecates _clear_type_cache for _clear_internal_caches, which clears it too
    clear_caches = getattr(sys, "_clear_internal_caches", None) or sys._clear_type_cache
    clear_caches()
    gc.collect()


CleanBatches = Callable[[RunContext, list[list[str]], str | None], list[BatchResult]]
Scan = Callable[[RunContext, list[str]], ScanResult]


def ingest_stages(
    session: RunSession,
    files: list[str],
    clean: CleanBatches,
    *,
    scan: Scan = scan_inputs,
    commit: Commit | None = None,
) -> RunSummary:
    """The stages of an ingest inside a run session: scan -> clean batches -> finish.

    `corpus ingest` and the Prefect flow differ only in how they run each stage: `clean`
    cleans the planned batches (in worker processes, or as tasks), `scan` and `commit` may be
    tasks (the flow retries the commit)."""
    ctx = session.ctx
    with session.timed("scan"):
        scanned = scan(ctx, files)
    needed = sum(i.size_bytes or 0 for i in scanned.new_inputs)
    session.needed_bytes = lambda: needed
    LOGGER.info(
        "run %s: %d inputs, %d new, %d unchanged (scan %.1f s)",
        ctx.run_id,
        scanned.inputs,
        len(scanned.new_inputs),
        scanned.unchanged,
        session.seconds["scan"],
    )
    planned = plan_batches(scanned.new_inputs, ctx.settings.batch_size, ctx.settings.worker_count())
    batches = save_batches(ctx, planned)
    # the inputs travel as keys from here on: the run does not hold them (~0.8 KB each)
    scanned = replace(scanned, new_files=[], new_inputs=[])
    del planned
    release_scan_memory()
    with session.timed("clean"):
        results = clean(ctx, batches, scanned.line_stats_path)
    cleaned = len(batches)
    del batches  # the keys, a string per input: the finish reads the staged batches
    LOGGER.info(
        "run %s: cleaned %d batches (%.1f s)", ctx.run_id, cleaned, session.seconds["clean"]
    )
    return session.finish(results, scanned.inputs, scanned.unchanged, commit=commit)


def run_ingest(
    paths: list[str],
    out: str | Path,
    settings: Settings | None = None,
    *,
    wait_seconds: float = 0.0,
    on_wait: Callable[[str], None] | None = None,
    progress: Progress | None = None,
) -> RunSummary:
    """A whole ingest run in this process (and its workers): what `corpus ingest` does. The
    Prefect flow runs the same stages (`run_stages`). Waits up to `wait_seconds` for another
    run writing the same dataset (DatasetLockedError after that)."""
    settings = settings or Settings()
    files = discover_inputs(paths, settings.follow_symlinks)
    with RunSession(out, settings, wait_seconds=wait_seconds, on_wait=on_wait) as session:
        return run_stages(session, files, progress)


def run_stages(
    session: RunSession,
    files: list[str],
    progress: Progress | None = None,
    commit: Commit | None = None,
) -> RunSummary:
    """The ingest stages with one worker pool for the whole run, when there are several
    workers: the scan feeds it the page dumps to learn line statistics from, then it cleans
    the batches. `corpus ingest` and the Prefect flow (which retries `commit`) both run this."""
    workers = session.settings.worker_count()
    html = may_hold_html(files)
    pool = IsolatingPool(workers, warm_html=html) if workers > 1 else None
    try:
        if pool is not None and html and len(files) > session.settings.batch_size:
            # workers will be needed: the forkserver warms up on another core during the scan
            pool.start_forkserver()
        return ingest_stages(
            session,
            files,
            lambda ctx, batches, stats: clean_batches(ctx, batches, stats, progress, pool=pool),
            scan=lambda ctx, names: scan_inputs(ctx, names, progress, pool),
            commit=commit,
        )
    finally:
        if pool is not None:
            pool.close()
