"""An ingest run in stages: scan -> clean batches -> dedup and commit, inside a run session.

Each stage takes and returns small serializable values (paths, counters), so the CLI can call
them in a loop (cleaning batches in worker processes) and the Prefect flow can run each as a
task, with identical results. The order of steps for one document lives in `crawler.extract.chain`;
this module orders the ingest stages; the run around them (lock, recover, finish, clean up)
is `crawler.run.session`, shared with the crawl. The stages themselves: `crawler.run.clean`
(clean) and `crawler.run.finish` (dedup + commit).
"""

from __future__ import annotations

import contextlib
import logging
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from crawler.config import Settings
from crawler.dedup.index import load_seen_inputs
from crawler.errors import Drop
from crawler.extract.boilerplate import LineStats
from crawler.readers.files import discover
from crawler.readers.inputs import Input, is_input, read_inputs
from crawler.run.clean import (
    PendingInput,
    clean_batch,
    clean_input,
    save_batches,
    stage_batch,
    write_staged,
)
from crawler.run.finish import finish_run
from crawler.run.progress import NoProgress, Progress
from crawler.run.session import Commit, RunSession, cleanup, start_run
from crawler.run.workers import WorkerPool, clean_batches
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
    "plan_batches",
    "run_ingest",
    "scan_inputs",
    "stage_batch",
    "start_run",
    "write_staged",
]


def discover_inputs(paths: list[str], follow_symlinks: bool = False) -> list[str]:
    """Input files under the given paths, those some reader takes (`crawler.readers.inputs`);
    ConfigError if a path does not exist."""
    return [str(p) for p in discover(paths, follow_symlinks=follow_symlinks, accepts=is_input)]


def scan_inputs(ctx: RunContext, files: list[str], progress: Progress | None = None) -> ScanResult:
    """The inputs of the files (each hashed once, by its reader); skip those already processed
    with the same bytes, and learn which lines recur across the page dumps of this ingest
    (site chrome) for the cleaner: from every new dump and the most recently changed
    KNOWN_DUMPS_FOR_STATS of the known ones (a drop folder that keeps its old dumps must not
    make every run read them all)."""
    progress = progress or NoProgress()
    progress.start("scan", len(files))
    seen = load_seen_inputs(Dataset(ctx.dataset_root))
    new: list[Input] = []
    known_dumps: list[Input] = []
    found = 0
    for name in files:
        for item in read_inputs(Path(name), ctx.settings):
            found += 1
            if not item.input_hash or (item.source_uri, item.input_hash) not in seen:
                new.append(item)
            elif item.kind_hint == "text":
                known_dumps.append(item)
        progress.advance()
    stats_path = None
    if ctx.settings.use_line_stats and new:
        new_dumps = [i for i in new if i.kind_hint == "text"]
        stats = _learn_line_stats([*new_dumps, *_most_recent(known_dumps)])
        if stats.n_docs:
            stats_path = str(Path(ctx.staging) / "line_stats.pickle")
            Path(stats_path).write_bytes(pickle.dumps(stats.pruned()))
    keys = [i.key for i in new]
    return ScanResult(keys, found - len(new), stats_path, new_inputs=new, inputs=found)


KNOWN_DUMPS_FOR_STATS = 2000


def _most_recent(inputs: list[Input]) -> list[Input]:
    """Up to KNOWN_DUMPS_FOR_STATS of `inputs`, latest modified first (ties by key)."""
    if len(inputs) <= KNOWN_DUMPS_FOR_STATS:
        return inputs
    return sorted(inputs, key=lambda i: (-i.modified, i.key))[:KNOWN_DUMPS_FOR_STATS]


def _learn_line_stats(inputs: list[Input]) -> LineStats:
    stats = LineStats()
    for item in inputs:
        with contextlib.suppress(Drop):  # unreadable inputs are rejected by clean_batch
            stats.add(item.load().text)
    return stats


def plan_batches(items: list[T], batch_size: int) -> list[list[T]]:
    """`items` in batches of `batch_size` (the last one smaller)."""
    return [items[i : i + batch_size] for i in range(0, len(items), batch_size)]


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
    session.needed_bytes = lambda: sum(i.size_bytes or 0 for i in scanned.new_inputs)
    LOGGER.info(
        "run %s: %d inputs, %d new, %d unchanged (scan %.1f s)",
        ctx.run_id,
        scanned.inputs,
        len(scanned.new_inputs),
        scanned.unchanged,
        session.seconds["scan"],
    )
    batches = save_batches(ctx, plan_batches(scanned.new_inputs, ctx.settings.batch_size))
    with session.timed("clean"):
        results = clean(ctx, batches, scanned.line_stats_path)
    LOGGER.info(
        "run %s: cleaned %d batches (%.1f s)", ctx.run_id, len(batches), session.seconds["clean"]
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
    Prefect flow runs the same stages as tasks. Waits up to `wait_seconds` for another run
    writing the same dataset (DatasetLockedError after that)."""
    settings = settings or Settings()
    files = discover_inputs(paths, settings.follow_symlinks)
    with RunSession(out, settings, wait_seconds=wait_seconds, on_wait=on_wait) as session:
        return ingest_stages(
            session,
            files,
            lambda ctx, batches, stats: clean_batches(ctx, batches, stats, progress),
            scan=lambda ctx, names: scan_inputs(ctx, names, progress),
        )
