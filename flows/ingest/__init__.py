"""Prefect flow: ingest page dumps and HTML files into a dataset.

    discover -> scan -> clean batches -> dedup + commit

Prefect orchestrates and stays off the data path: the flow runs the same `RunSession` stages as
`corpus ingest`, and the batches are cleaned by the same worker processes
(`crawler.run.workers.clean_batches`), not one Prefect task each. Tasks pass paths and counters,
never record lists; only the I/O tasks (discover, commit) retry, with exponential backoff, and
only on OSError. The run waits for the dataset's lock when another run holds it
(`runs.lock_wait_seconds`), so overlapping schedules take turns.
Run it: `python -m flows.ingest seeds --out data/corpus` (flows/ingest/__main__.py; Prefect's
temporary server by default: flows/temporary_server.py, started while the run's stages begin:
flows/ingest/head_start.py).
With `--dask tcp://host:8786` (or `--dask local:2`) the cleaning batches run on a Dask cluster;
everything else stays in this process (flows/dask.py, docs/distributed.md).
"""

from __future__ import annotations

import argparse
import contextvars
import os
import sys
import threading
import time
from typing import Any

from prefect import State, flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from crawler.config import Settings
from crawler.config_file import RunLimits, load_config
from crawler.errors import (
    ConfigError,
    DatasetAccessError,
    DatasetDamagedError,
    DatasetLockedError,
)
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
from flows.ingest import head_start
from flows.ingest.head_start import CommitRequest, HeadStart
from flows.temporary_server import DRAIN_SECONDS, FlowRunApi, starting_flow_run_api


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


def check_dataset(parser: argparse.ArgumentParser, config: str | None, out: str | None) -> None:
    """Exit 2 with one line before any flow run when the config or the dataset is unusable
    (a dataset URL such as s3://...: `CorpusConfig.dataset_for`)."""
    try:
        load_config(config).dataset_for(out)
    except ConfigError as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the Prefect ingest flow once.")
    parser.add_argument("paths", nargs="+", help="files or directories to ingest")
    parser.add_argument("--out", help="dataset directory (default: the config's dataset)")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--config", metavar="FILE", help="config file (default: ./corpus.toml)")
    parser.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="run the cleaning batches on the Dask scheduler at ADDRESS (tcp://host:8786), or "
        "on a local cluster of N worker processes (local:N); see docs/distributed.md",
    )
    args = parser.parse_args(argv)
    check_dataset(parser, args.config, args.out)
    if args.dask is not None:
        from flows.dask import API_URL, dask_task_runner, is_local

        try:
            dask_task_runner(args.dask)
        except ConfigError as exc:
            parser.error(str(exc))
        if not is_local(args.dask) and not os.environ.get(API_URL):
            print(
                f"note: {API_URL} is not set: this flow run uses a temporary Prefect server "
                "that the Dask workers cannot reach (docs/distributed.md)",
                file=sys.stderr,
            )
    try:
        with starting_flow_run_api() as api:
            if args.dask is None and api.pending is not None:
                run_with_head_start(
                    api, args.paths, args.out, args.batch_size, args.config, wait_for_flow=30
                )
            else:
                with api.reporting():
                    run_ingest_flow(
                        args.paths,
                        out=args.out,
                        batch_size=args.batch_size,
                        dask=args.dask,
                        config=args.config,
                    )
    except (ConfigError, DatasetLockedError, DatasetDamagedError, DatasetAccessError) as exc:
        print(f"flows.ingest: error: {exc}", file=sys.stderr)
        return EXIT_STATUS[type(exc)]
    return 0


def run_with_head_start(
    api: FlowRunApi,
    paths: list[str],
    out: str | None,
    batch_size: int | None,
    config: str | None,
    wait_for_flow: float = 0.0,
) -> None:
    """The run's stages in this (main) thread from the start, the flow run in a thread of its
    own once the temporary server is up (flows/ingest/head_start.py). Raises the stages'
    error, else the flow run's. Once the stages are over, the flow run gets `wait_for_flow`
    seconds more than its server's start-up bound and its logs' drain to end."""
    cfg = load_config(config)
    settings = cfg.settings.with_overrides(batch_size=batch_size)
    head = HeadStart()
    flow_errors: list[BaseException] = []

    def run_flow() -> None:
        head_start.use(head)
        try:
            with api.reporting():
                ingest_flow(paths=paths, out=out, batch_size=batch_size, config=config)
        except BaseException as exc:  # handed to the stages (waiting for a commit, perhaps)
            flow_errors.append(exc)
            head.reply(exc)

    context = contextvars.copy_context()
    head.flow_thread = threading.Thread(
        target=context.run, args=(run_flow,), name="flow-run", daemon=True
    )
    head.flow_thread.start()
    try:
        head.run_stages(paths, cfg.dataset_for(out), settings, cfg.runs)
    finally:
        # the flow run ends soon after the stages (it has their outcome), or after the server's
        # start-up bound if it was still waiting for it, then sends its last logs
        start_up = api.pending.startup_timeout if api.pending is not None else 0.0
        head.join_flow(start_up + 2 * DRAIN_SECONDS + wait_for_flow)
    if flow_errors:
        raise flow_errors[0]


# as `corpus ingest` exits (README: exit status)
EXIT_STATUS = {
    ConfigError: 2,
    DatasetLockedError: 3,
    DatasetDamagedError: 4,
    DatasetAccessError: 5,
}
