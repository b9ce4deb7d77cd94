"""One run writing one dataset, the same for `corpus ingest`, the Prefect flow and the crawl:

    lock -> recover -> stage (the caller's work) -> finish (dedup + write + commit) -> clean up

`RunSession` is a context manager around the caller's stages. It holds the dataset's lock
(waiting for another run up to `wait_seconds`), recovers an interrupted run, opens the run's
staging area, times the caller's stages (`timed`), finishes with one commit (a run that changed
nothing leaves no run entry: `crawler.run.finish`), and always removes its staging area. A write
the file system refuses (a full disk, a read-only folder) leaves it as one DatasetAccessError.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import pyarrow as pa

from crawler.config import Settings
from crawler.errors import ConfigError
from crawler.run.finish import finish_run
from crawler.run_types import BatchResult, RunContext, RunSummary, new_run_id
from crawler.store.dataset import Dataset, access_error, is_write_error

LOGGER = logging.getLogger(__name__)

# (ctx, staged batches, inputs, unchanged) -> summary: `finish_run`, or the flow's retried task
Commit = Callable[[RunContext, list[BatchResult], int, int], RunSummary]


def start_run(dataset_root: str | Path, settings: Settings) -> RunContext:
    """Recover the dataset from any interrupted run and open a staging area (the caller holds
    the lock). ConfigError when the dataset was built with other dedup settings."""
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


def cleanup(ctx: RunContext) -> None:
    """Remove the run's staging area (and the staging folder when no other run uses it)."""
    shutil.rmtree(ctx.staging, ignore_errors=True)
    with contextlib.suppress(OSError):
        Path(ctx.staging).parent.rmdir()


class RunSession:
    """One run on the dataset at `out`; use it as a context manager, then `ctx`, `timed` and
    `finish` inside. `staging`: stage batches there instead of the run's own staging area (a
    crawl keeps them in its job folder, so a crawl killed before its commit can resume them);
    that folder is left in place, the run's own is removed."""

    def __init__(
        self,
        out: str | Path,
        settings: Settings,
        *,
        wait_seconds: float = 0.0,
        on_wait: Callable[[str], None] | None = None,
        staging: str | Path | None = None,
    ) -> None:
        self.dataset = Dataset(out)
        self.settings = settings
        self.wait_seconds = wait_seconds
        self.on_wait = on_wait
        self.staging = staging
        self.seconds: dict[str, float] = {}  # the caller's stages, in the order they ran
        # about how many bytes the run writes (its new inputs): told when the disk is full
        self.needed_bytes: Callable[[], int] = lambda: 0
        self._ctx: RunContext | None = None
        self._stack = ExitStack()

    @property
    def ctx(self) -> RunContext:
        """What every stage of the run needs (inside the `with` only)."""
        if self._ctx is None:
            raise RuntimeError("a RunSession's context exists inside its `with` block only")
        return self._ctx

    def __enter__(self) -> RunSession:
        with ExitStack() as stack:
            stack.enter_context(self._translated_write_errors())
            stack.enter_context(self.dataset.lock(self.wait_seconds, self.on_wait))
            run = start_run(self.dataset.root, self.settings)
            stack.callback(cleanup, run)
            if self.staging is not None:
                Path(self.staging).mkdir(parents=True, exist_ok=True)
                run = replace(run, staging=str(self.staging))
            self._ctx = run
            self._stack = stack.pop_all()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        self._ctx = None
        return self._stack.__exit__(kind, exc, tb)

    @contextlib.contextmanager
    def _translated_write_errors(self) -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            if not is_write_error(exc):
                raise
            raise access_error(exc, self.dataset.root, self.needed_bytes()) from None

    @contextlib.contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Time the stage inside; its seconds go into the run summary's `seconds`."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = round(time.perf_counter() - started, 3)

    def finish(
        self,
        batches: list[BatchResult],
        inputs: int,
        unchanged: int,
        side_tables: dict[str, pa.Table] | None = None,
        commit: Commit | None = None,
        archive_files: list[Path] | None = None,
    ) -> RunSummary:
        """Dedup the staged batches against each other and the dataset, write and commit them
        at once (with `side_tables`: rows of other tables, such as a crawl's URL states).
        `commit` replaces `finish_run` (the flow runs it as a task with retries)."""
        if commit is not None:
            if side_tables or archive_files:
                raise ValueError("side_tables need the default commit (finish_run)")
            summary = commit(self.ctx, batches, inputs, unchanged)
        else:
            summary = finish_run(self.ctx, batches, inputs, unchanged, side_tables, archive_files)
        summary.seconds.update(self.seconds)
        return summary
