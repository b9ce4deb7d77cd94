"""The ingest flow and its tasks (`flows.ingest.ingest_flow`: imported from the package when
first asked for, so that `python -m flows.ingest` imports Prefect only once its stages run:
flows/ingest/launch.py).

Prefect orchestrates and stays off the data path: the flow runs the same `RunSession` stages as
`corpus ingest`, and the batches are cleaned by the same worker processes
(`crawler.run.workers.clean_batches`), not one Prefect task each. Tasks pass paths and counters,
never record lists; only the I/O tasks (discover, commit) retry, with exponential backoff, and
only on OSError. The run waits for the dataset's lock when another run holds it
(`runs.lock_wait_seconds`), so overlapping schedules take turns.
With `--dask tcp://host:8786` (or `--dask local:2`) the cleaning batches run on a Dask cluster;
everything else stays in this process (flows/dask.py, docs/distributed.md).
"""

from __future__ import annotations

import time
from typing import Any

from prefect import State, flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from crawler.config import Settings
from crawler.config_file import RunLimits, load_config
from crawler.report.summary import format_summary
from crawler.run.ingest import (
    BatchResult,
    RunContext,
    RunSummary,
    ScanResult,
    clean_batch,
    discover_inputs,
    finish_run,
    ingest_stages,
    run_stages,
    scan_inputs,
)
from crawler.run.session import RunSession
from flows.artifacts import publish_failure, publish_run_report
from flows.flow_parameters import serialize_plain
from flows.ingest import head_start
from flows.ingest.head_start import CommitRequest, HeadStart


def is_io_error(task: Any, task_run: Any, state: State[Any]) -> bool:
    """Retry only I/O failures (a full disk, a flaky network share): not bad settings, not a
    locked dataset, not bugs."""
    return isinstance(state.data, OSError)


@task(retries=2, retry_delay_seconds=[1, 5], retry_condition_fn=is_io_error, cache_policy=NO_CACHE)
def discover_task(paths: list[str], follow_symlinks: bool = False) -> list[str]:
    return discover_inputs(paths, follow_symlinks)


@task(cache_policy=NO_CACHE)
def scan_task(ctx: RunContext, files: list[str]) -> ScanResult:
    return scan_inputs(ctx, files)


@task(cache_policy=NO_CACHE)
def clean_batch_task(
    ctx: RunContext, batch_no: int, files: list[str], line_stats_path: str | None
) -> list[BatchResult]:
    """One batch cleaned where the task runner runs it (a Dask worker): the flow submits these
    only without worker processes."""
    return [clean_batch(ctx, batch_no, files, line_stats_path)]


@task(retries=2, retry_delay_seconds=[1, 5], retry_condition_fn=is_io_error, cache_policy=NO_CACHE)
def commit_task(
    ctx: RunContext, batches: list[BatchResult], inputs: int, unchanged: int
) -> RunSummary:
    return finish_run(ctx, batches, inputs, unchanged)


def io_retries(limits: RunLimits) -> dict[str, Any]:
    """Task options for the I/O tasks: the config's retry count, exponential backoff."""
    return {
        "retries": limits.io_retries,
        "retry_delay_seconds": exponential_backoff(limits.io_retry_base_seconds),
        "retry_jitter_factor": 0.2,
    }


@flow(name="ingest")
def ingest_flow(
    paths: list[str],
    out: str | None = None,
    batch_size: int | None = None,
    config: str | None = None,
    worker_processes: bool = True,
) -> dict[str, Any]:
    """Ingest files and directories of page dumps / HTML into the dataset at `out` (default:
    the config's `dataset`). `config`: a corpus.toml (default: $CORPUS_CONFIG, ./corpus.toml).
    With `worker_processes` the batches are cleaned as `corpus ingest` cleans them, in worker
    processes of the flow's process (every core; a dying worker costs only its input); without,
    each batch is a task, run where the task runner runs it (a Dask cluster).
    Publishes the run report and review table as artifacts; a failed run publishes why."""
    cfg = load_config(config)
    out = cfg.dataset_for(out)
    settings = cfg.settings.with_overrides(batch_size=batch_size)
    logger = get_run_logger()
    head = head_start.current()
    try:
        if head is None:
            summary = _ingest(paths, out, settings, cfg.runs, logger, worker_processes)
        else:
            summary = _finish_head_start(head, cfg.runs, logger)
    except Exception as exc:
        publish_failure("ingest", out, exc)
        raise
    logger.info(
        "run %s committed: %d added, %d merged, %d rejected",
        summary.run_id,
        summary.added,
        summary.merged_exact + summary.merged_near,
        summary.rejected,
    )
    publish_run_report("ingest", summary)
    print(format_summary(summary), flush=True)
    return summary.to_dict()


# its parameters are JSON already: stored without importing FastAPI (flows/flow_parameters.py)
ingest_flow.serialize_parameters = serialize_plain(  # type: ignore[method-assign,assignment]
    ingest_flow.serialize_parameters
)


def _ingest(
    paths: list[str],
    out: str,
    settings: Settings,
    limits: RunLimits,
    logger: Any,
    worker_processes: bool,
) -> RunSummary:
    """The ingest stages as tasks, in a run session (`crawler.run.session`: the dataset's lock,
    waiting for another run if needed, recovery, one commit, clean-up)."""
    io = io_retries(limits)
    files = discover_task.with_options(**io)(paths, settings.follow_symlinks)

    def clean_as_tasks(
        ctx: RunContext, batches: list[list[str]], stats: str | None
    ) -> list[BatchResult]:
        futures = [clean_batch_task.submit(ctx, n, batch, stats) for n, batch in enumerate(batches)]
        return [r for f in futures for r in f.result()]

    commit = commit_task.with_options(**io)
    with RunSession(
        out, settings, wait_seconds=limits.lock_wait_seconds, on_wait=logger.warning
    ) as session:
        if worker_processes:  # what `corpus ingest` runs: Prefect is off the data path
            return run_stages(session, files, commit=commit)
        return ingest_stages(session, files, clean_as_tasks, scan=scan_task, commit=commit)


def _finish_head_start(head: HeadStart, limits: RunLimits, logger: Any) -> RunSummary:
    """The run whose stages this process's main thread began before the flow run: its commit
    as this flow run's task, then its summary (or the stages' error)."""
    logger.info(
        "the run's stages began %.1f s before this flow run, while Prefect's temporary server "
        "started (%d input files found)",
        time.monotonic() - head.started,
        head.files,
    )
    got = head.next_request()
    if not isinstance(got, CommitRequest):  # the stages ended without a commit
        if got.error is not None:
            raise got.error
        assert got.summary is not None
        return got.summary
    commit = commit_task.with_options(**io_retries(limits))
    try:
        committed = commit(got.ctx, got.batches, got.inputs, got.unchanged)
    except BaseException as exc:
        head.reply(exc)
        raise
    head.reply(committed)
    return head.outcome()


def run_ingest_flow(
    paths: list[str],
    out: str | None = None,
    batch_size: int | None = None,
    dask: str | None = None,
    config: str | None = None,
) -> dict[str, Any]:
    """Run `ingest_flow` once; with `dask` (`tcp://host:8786` or `local:N`) the cleaning batches
    run on that Dask cluster, the rest in this process. Without it, Prefect's default runner."""
    if dask is None:
        return ingest_flow(paths=paths, out=out, batch_size=batch_size, config=config)
    from flows.dask import dask_task_runner, restored_api_url  # distributed: ~1 s to import

    on_dask = ingest_flow.with_options(task_runner=dask_task_runner(dask))
    with restored_api_url():
        return on_dask(
            paths=paths, out=out, batch_size=batch_size, config=config, worker_processes=False
        )
