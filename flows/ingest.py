"""Prefect flow: ingest page dumps and HTML files into a dataset.

    discover -> scan -> clean batches (one task each) -> dedup + commit

Tasks pass paths and counters, never record lists; only the I/O tasks (discover, commit) retry.
Run it: `python -m flows.ingest seeds --out data/corpus` (Prefect's embedded server by default).
With `--dask tcp://host:8786` (or `--dask local:2`) the cleaning batches run on a Dask cluster;
everything else stays in this process (flows/dask.py, docs/distributed.md).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from crawler.config import Settings
from crawler.dataset import Dataset
from crawler.errors import ConfigError
from crawler.ingest import (
    BatchResult,
    RunContext,
    RunSummary,
    ScanResult,
    clean_batch,
    cleanup,
    discover_inputs,
    finish_run,
    plan_batches,
    scan_inputs,
    start_run,
)
from crawler.report import format_summary


@task(retries=2, retry_delay_seconds=[1, 5], cache_policy=NO_CACHE)
def discover_task(paths: list[str]) -> list[str]:
    return discover_inputs(paths)


@task(cache_policy=NO_CACHE)
def scan_task(ctx: RunContext, files: list[str]) -> ScanResult:
    return scan_inputs(ctx, files)


@task(cache_policy=NO_CACHE)
def clean_batch_task(
    ctx: RunContext, batch_no: int, files: list[str], line_stats_path: str | None
) -> BatchResult:
    return clean_batch(ctx, batch_no, files, line_stats_path)


@task(retries=2, retry_delay_seconds=[1, 5], cache_policy=NO_CACHE)
def commit_task(
    ctx: RunContext, batches: list[BatchResult], inputs: int, unchanged: int
) -> RunSummary:
    return finish_run(ctx, batches, inputs, unchanged)


@flow(name="ingest")
def ingest_flow(
    paths: list[str], out: str = "data/corpus", batch_size: int | None = None
) -> dict[str, Any]:
    """Ingest files and directories of page dumps / HTML into the dataset at `out`."""
    settings = Settings().with_overrides(batch_size=batch_size)
    files = discover_task(paths)
    with Dataset(out).lock():
        ctx = start_run(out, settings)
        try:
            scan = scan_task(ctx, files)
            batches = plan_batches(scan.new_files, settings.batch_size)
            futures = [
                clean_batch_task.submit(ctx, n, batch, scan.line_stats_path)
                for n, batch in enumerate(batches)
            ]
            results = [f.result() for f in futures]
            summary = commit_task(ctx, results, len(files), scan.unchanged)
        finally:
            cleanup(ctx)
    get_run_logger().info(
        "run %s committed: %d added, %d merged, %d rejected",
        summary.run_id,
        summary.added,
        summary.merged_exact + summary.merged_near,
        summary.rejected,
    )
    print(format_summary(summary), flush=True)
    return summary.to_dict()


def run_ingest_flow(
    paths: list[str],
    out: str = "data/corpus",
    batch_size: int | None = None,
    dask: str | None = None,
) -> dict[str, Any]:
    """Run `ingest_flow` once; with `dask` (`tcp://host:8786` or `local:N`) the cleaning batches
    run on that Dask cluster, the rest in this process. Without it, Prefect's default runner."""
    if dask is None:
        return ingest_flow(paths=paths, out=out, batch_size=batch_size)
    from flows.dask import dask_task_runner, restored_api_url  # distributed: ~1 s to import

    on_dask = ingest_flow.with_options(task_runner=dask_task_runner(dask))
    with restored_api_url():
        return on_dask(paths=paths, out=out, batch_size=batch_size)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the Prefect ingest flow once.")
    parser.add_argument("paths", nargs="+", help="files or directories to ingest")
    parser.add_argument("--out", default="data/corpus", help="dataset directory")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="run the cleaning batches on the Dask scheduler at ADDRESS (tcp://host:8786), or "
        "on a local cluster of N worker processes (local:N); see docs/distributed.md",
    )
    args = parser.parse_args(argv)
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
    run_ingest_flow(args.paths, out=args.out, batch_size=args.batch_size, dask=args.dask)
    return 0


if __name__ == "__main__":
    sys.exit(main())
