"""`python -m flows.ingest PATH... --out DIR`: the ingest flow, run once, without importing
Prefect before the run's stages begin.

With no `PREFECT_API_URL` (the README's default), Prefect's temporary server is started first,
from what the environment says (flows/temporary_server.py: `server_guess`), and the main
thread runs the stages at once, as `corpus ingest` does (flows/ingest/head_start.py). Prefect
(~1.5 s of CPU to import, most of it its settings) is imported by the flow run's own thread once
the server answers, while the workers clean: off the stages' way, as the server's start is.
Otherwise (`PREFECT_API_URL` set, `--dask`, a Prefect setting read from a file) Prefect is
imported first and the flow runs every stage itself (flows/ingest/prefect_flow.py).
"""

from __future__ import annotations

import argparse
import contextvars
import os
import sys
import threading

from crawler.config_file import load_config
from crawler.errors import (
    ConfigError,
    DatasetAccessError,
    DatasetDamagedError,
    DatasetLockedError,
)
from flows import collector
from flows.ingest import head_start
from flows.ingest.head_start import HeadStart
from flows.temporary_server import DRAIN_SECONDS, FlowRunApi, starting_flow_run_api

# as `corpus ingest` exits (README: exit status)
EXIT_STATUS = {
    ConfigError: 2,
    DatasetLockedError: 3,
    DatasetDamagedError: 4,
    DatasetAccessError: 5,
}


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
        with starting_flow_run_api(guess=args.dask is None) as api:
            if args.dask is None and api.pending is not None:
                run_with_head_start(
                    api, args.paths, args.out, args.batch_size, args.config, wait_for_flow=30
                )
            else:
                from flows.ingest.prefect_flow import run_ingest_flow

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
    own once the temporary server is up (flows/ingest/head_start.py), which imports Prefect
    then. Raises the stages' error, else the flow run's. Once the stages are over, the flow run
    gets `wait_for_flow` seconds more than its server's start-up bound and its logs' drain."""
    cfg = load_config(config)
    settings = cfg.settings.with_overrides(batch_size=batch_size)
    head = HeadStart()
    flow_errors: list[BaseException] = []

    def run_flow() -> None:
        head_start.use(head)
        try:
            with api.reporting():
                with collector.paused():  # the rest of Prefect's import (flows/collector.py)
                    from flows.ingest.prefect_flow import ingest_flow

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
