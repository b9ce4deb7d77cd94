"""An ingest run in stages: start -> scan -> clean batches -> dedup and commit.

Each stage takes and returns small serializable values (paths, counters), so the CLI can call
them in a loop (cleaning batches in worker processes) and the Prefect flow can run each as a
task, with identical results. The order of steps for one document lives in `crawler.chain`;
this module orders the run. The stages themselves: `crawler.staging` (clean) and
`crawler.finish` (dedup + commit).
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from crawler.boilerplate import LineStats
from crawler.config import Settings
from crawler.dataset import Dataset, access_error, is_write_error
from crawler.errors import ConfigError, Drop
from crawler.finish import finish_run
from crawler.index import load_seen_inputs
from crawler.progress import NoProgress, Progress
from crawler.readers import discover, file_uri, read_input
from crawler.run_types import BatchResult, RunContext, RunSummary, ScanResult, new_run_id
from crawler.staging import (
    PendingInput,
    clean_batch,
    clean_input,
    input_hash,
    stage_batch,
    write_staged,
)
from crawler.workers import WorkerPool, clean_batches

LOGGER = logging.getLogger(__name__)

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
    "plan_batches",
    "run_ingest",
    "scan_inputs",
    "stage_batch",
    "start_run",
    "write_staged",
]


def start_run(dataset_root: str | Path, settings: Settings) -> RunContext:
    """Recover the dataset from any interrupted run and open a staging area. Hold the lock."""
    dataset = Dataset(dataset_root)
    dataset.recover()
    for index in ("_index/docs", "_index/inputs"):  # every run reads them whole: cheap
        dataset.check_sums(index)
    built_with = dataset.manifest().get("dedup")
    if built_with and built_with != settings.dedup_params():
        raise ConfigError(
            f"dataset {dataset.root} was built with dedup settings {built_with}; this run has "
            f"{settings.dedup_params()}: use the dataset's settings (signatures must match)"
        )
    now = datetime.now(UTC)
    run_id = new_run_id(now)
    return RunContext(
        run_id=run_id,
        dataset_root=str(dataset.root),
        staging=str(dataset.staging_dir(run_id)),
        started_at=now.isoformat(),
        settings=settings,
    )


def discover_inputs(paths: list[str], follow_symlinks: bool = False) -> list[str]:
    """Input files under the given paths (ConfigError if one does not exist)."""
    return [str(p) for p in discover(paths, follow_symlinks=follow_symlinks)]


def scan_inputs(ctx: RunContext, files: list[str], progress: Progress | None = None) -> ScanResult:
    """Skip inputs already processed with the same bytes, and learn which lines recur across
    the page dumps of this ingest (site chrome) for the cleaner: from every new dump and the
    most recently changed KNOWN_DUMPS_FOR_STATS of the known ones (a drop folder that keeps
    its old dumps must not make every run read them all)."""
    progress = progress or NoProgress()
    progress.start("scan", len(files))
    seen = load_seen_inputs(Dataset(ctx.dataset_root))
    new_files: list[str] = []
    known_dumps: list[str] = []
    for name in files:
        path = Path(name)
        digest = input_hash(path)
        if digest is None or (file_uri(path), digest) not in seen:
            new_files.append(name)
        elif name.lower().endswith(".txt"):
            known_dumps.append(name)
        progress.advance()
    stats_path = None
    if ctx.settings.use_line_stats and new_files:
        new_dumps = [n for n in new_files if n.lower().endswith(".txt")]
        stats = _learn_line_stats([*new_dumps, *_most_recent(known_dumps)], ctx)
        if stats.n_docs:
            stats_path = str(Path(ctx.staging) / "line_stats.pickle")
            Path(stats_path).write_bytes(pickle.dumps(stats.pruned()))
    return ScanResult(new_files, len(files) - len(new_files), stats_path)


KNOWN_DUMPS_FOR_STATS = 2000


def _most_recent(names: list[str]) -> list[str]:
    """Up to KNOWN_DUMPS_FOR_STATS of `names`, latest modified first (ties by name)."""
    if len(names) <= KNOWN_DUMPS_FOR_STATS:
        return names

    def modified(name: str) -> float:
        try:
            return Path(name).stat().st_mtime
        except OSError:
            return 0.0

    return sorted(names, key=lambda n: (-modified(n), n))[:KNOWN_DUMPS_FOR_STATS]


def _learn_line_stats(names: list[str], ctx: RunContext) -> LineStats:
    stats = LineStats()
    for name in names:
        with contextlib.suppress(Drop):  # unreadable inputs are rejected by clean_batch
            stats.add(read_input(Path(name), ctx.settings.max_input_bytes).text)
    return stats


def plan_batches(files: list[str], batch_size: int) -> list[list[str]]:
    return [files[i : i + batch_size] for i in range(0, len(files), batch_size)]


def cleanup(ctx: RunContext) -> None:
    """Remove the run's staging area (and the staging folder when no other run uses it)."""
    shutil.rmtree(ctx.staging, ignore_errors=True)
    with contextlib.suppress(OSError):
        Path(ctx.staging).parent.rmdir()


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
    with Dataset(out).lock(wait_seconds, on_wait):
        ctx = start_run(out, settings)
        new_files: list[str] = []
        try:
            t0 = time.perf_counter()
            scan = scan_inputs(ctx, files, progress)
            new_files = scan.new_files
            t1 = time.perf_counter()
            LOGGER.info(
                "run %s: %d inputs, %d new, %d unchanged (scan %.1f s)",
                ctx.run_id,
                len(files),
                len(scan.new_files),
                scan.unchanged,
                t1 - t0,
            )
            batches = plan_batches(scan.new_files, settings.batch_size)
            results = clean_batches(ctx, batches, scan.line_stats_path, progress)
            t2 = time.perf_counter()
            LOGGER.info("run %s: cleaned %d batches (%.1f s)", ctx.run_id, len(batches), t2 - t1)
            summary = finish_run(ctx, results, len(files), scan.unchanged)
            summary.seconds.update(scan=round(t1 - t0, 3), clean=round(t2 - t1, 3))
            return summary
        except OSError as exc:
            if not is_write_error(exc):
                raise
            needed = sum(_size(name) for name in new_files)
            raise access_error(exc, Path(ctx.dataset_root), needed) from None
        finally:
            cleanup(ctx)


def _size(name: str) -> int:
    try:
        return Path(name).stat().st_size
    except OSError:
        return 0
