"""Scheduled deployments of the ingest and crawl flows: served here, or on a work pool.

    corpus serve [--config FILE]               serve them in this process until stopped
    corpus serve --list                        print them and their next run times
    python -m flows.deploy --work-pool corpus  register them on a Prefect server's work pool

`ingest-inbox` ingests the drop folder `schedule.ingest.inbox` and `crawl-sources` re-crawls
`schedule.crawl.sources`, each on its own cron schedule, both into the config's `dataset`. Runs
of one dataset do not overlap: each deployment has a concurrency limit of 1 (a colliding run
waits, ENQUEUE), a `corpus serve` process runs one flow run at a time across both deployments,
and the flows wait for the dataset's lock. See docs/scheduling.md.

Without PREFECT_API_URL, `corpus serve` starts a Prefect server of its own on 127.0.0.1 (state
in PREFECT_HOME, UI address printed) and stops it when it stops: Prefect's temporary
server would never fire the cron schedules (flows/prefect_server.py).

`corpus --help` builds this module's parser, so Prefect is only imported when it is used.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from crawler.config_file import CorpusConfig, load_config
from crawler.errors import ConfigError
from flows.prefect_env import server_startup_timeout
from flows.prefect_server import local_server

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment
    from prefect.schedules import Schedule

INGEST = "ingest-inbox"
CRAWL = "crawl-sources"
TAGS = ["corpus"]

DESCRIPTION = (
    "Serve the scheduled deployments of the config file: `ingest-inbox` ingests the drop folder "
    "(schedule.ingest) and `crawl-sources` re-crawls the sources file (schedule.crawl), each on "
    "its cron schedule, into the config's dataset, one run at a time. Runs until stopped "
    "(Ctrl-C, SIGTERM), which pauses the schedules. With PREFECT_API_URL set the runs, logs "
    "and artifacts are on that Prefect server; without it, `serve` starts a local Prefect "
    "server (127.0.0.1, state in PREFECT_HOME, its UI address printed) and stops it on the way "
    "out. With --work-pool, register the deployments on a Prefect server's "
    "work pool instead, for `prefect worker start` to run (docs/scheduling.md)."
)
EPILOG = (
    "examples: corpus serve --config corpus.toml; corpus serve --list; "
    "PREFECT_API_URL=http://127.0.0.1:4200/api corpus serve --work-pool corpus"
)


def build_deployments(config: CorpusConfig, work_pool: str | None = None) -> list[RunnerDeployment]:
    """The enabled deployments of `config`, with absolute paths (runs may start elsewhere).

    With `work_pool`, ready for `prefect.deploy` to a process pool: runs start in the current
    directory. Raises ConfigError for a bad schedule or a crawl schedule without a contact.
    """
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.deployments.runner import RunnerDeployment
    from prefect.types.entrypoint import EntrypointType

    from flows.crawl import crawl_flow
    from flows.ingest import ingest_flow

    options: dict[str, Any] = {
        # one run of a deployment at a time; a run that collides waits for the slot
        "concurrency_limit": ConcurrencyLimitConfig(
            limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE
        ),
        "tags": TAGS,
        # `flows.ingest.ingest_flow`: importable wherever the project is installed
        "entrypoint_type": EntrypointType.MODULE_PATH,
    }
    if work_pool is not None:
        options.update(work_pool_name=work_pool, job_variables={"working_dir": str(Path.cwd())})
    deployments = []
    ingest, crawl = config.schedule.ingest, config.schedule.crawl
    if ingest.enabled:
        deployment = RunnerDeployment.from_flow(
            ingest_flow,
            INGEST,
            schedule=_cron(ingest.cron, ingest.timezone, "schedule.ingest"),
            parameters=ingest_parameters(config),
            description=f"Ingest what lands in {ingest.inbox} into {config.dataset}.",
            **options,
        )
        # the package's name for it (defined in flows/ingest/prefect_flow.py, which the
        # package imports only when asked: `python -m flows.ingest` begins without Prefect)
        deployment.entrypoint = "flows.ingest.ingest_flow"
        deployments.append(deployment)
    if crawl.enabled:
        deployments.append(
            RunnerDeployment.from_flow(
                crawl_flow,
                CRAWL,
                schedule=_cron(crawl.cron, crawl.timezone, "schedule.crawl"),
                parameters=crawl_parameters(config),
                description=f"Crawl the sources of {crawl.sources} into {config.dataset}.",
                **options,
            )
        )
    return deployments


def ingest_parameters(config: CorpusConfig) -> dict[str, Any]:
    """`ingest_flow`'s arguments: the inbox into the dataset."""
    return {
        "paths": [_absolute(config.schedule.ingest.inbox)],
        "out": _absolute(config.dataset),
        **_config_file(config),
    }


def crawl_parameters(config: CorpusConfig) -> dict[str, Any]:
    """`crawl_flow`'s arguments: the sources file and the `[crawl]` defaults (0/-1: none)."""
    crawl = config.crawl
    if not crawl.contact:
        raise ConfigError(
            "schedule.crawl is enabled but crawl.contact is empty: set a URL or e-mail "
            "for the User-Agent so site owners can reach you"
        )
    return {
        "sources_file": _absolute(config.schedule.crawl.sources),
        "source_names": config.schedule.crawl.source_names or None,
        "out": _absolute(config.dataset),
        **crawl.job_options(),
        **_config_file(config),
    }


def _config_file(config: CorpusConfig) -> dict[str, Any]:
    """The flows' `config` argument: they read settings and run limits from the same file."""
    return {"config": _absolute(config.path)} if config.path else {}


def _absolute(path: str) -> str:
    return str(Path(path).absolute())


def _cron(cron: str, timezone: str, key: str) -> Schedule:
    """A cron schedule; a bad cron string or time zone is a ConfigError naming `key`."""
    from prefect.client.schemas.schedules import CronSchedule
    from prefect.schedules import Cron
    from pydantic import ValidationError

    try:
        CronSchedule(cron=cron, timezone=timezone)
    except ValidationError as exc:
        message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{key}: {message}") from exc
    except ValueError as exc:
        raise ConfigError(f"{key}: {exc}") from exc
    return Cron(cron, timezone=timezone)


def describe(deployments: list[RunnerDeployment], now: datetime | None = None) -> str:
    """One paragraph per deployment: name, schedule and next run, parameters."""
    import asyncio

    from prefect.server.schemas.schedules import CronSchedule

    paragraphs = []
    for deployment in deployments:
        lines = [f"{deployment.flow_name}/{deployment.name}"]
        for entry in deployment.schedules or []:
            cron, timezone = entry.schedule.cron, entry.schedule.timezone  # type: ignore[union-attr]
            schedule = CronSchedule(cron=cron, timezone=timezone)
            (next_run,) = asyncio.run(schedule.get_dates(n=1, start=now))
            lines.append(f"  schedule: {cron!r} {timezone}, next run {next_run.isoformat()}")
        for name, value in deployment.parameters.items():
            lines.append(f"  {name} = {value!r}")
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def prepare_inbox(config: CorpusConfig) -> None:
    """Create the drop folder, so a run on an empty inbox ingests nothing instead of failing."""
    if config.schedule.ingest.enabled:
        Path(config.schedule.ingest.inbox).mkdir(parents=True, exist_ok=True)


def serve_deployments(config: CorpusConfig) -> None:
    """Serve the deployments until stopped; one flow run at a time across all of them. Without
    PREFECT_API_URL, on a local Prefect server started here (stopped after the serve loop)."""
    # prefect.runner.server is imported here, not by the runner: Prefect prints "being served"
    # before its runner imports its webserver (fastapi, pydantic: seconds on a busy machine)
    # and takes SIGTERM over, and a SIGTERM in that window raised our SystemExit inside
    # pydantic's schema build, which turned it into an error (exit 1)
    import prefect.runner.server  # noqa: F401
    from prefect import serve

    deployments = _enabled(config)
    prepare_inbox(config)
    try:
        with _stopped_by_signals(), prefect_api():
            serve(*deployments, limit=1)
    except KeyboardInterrupt:  # Ctrl-C before serving began (the serve loop handles its own)
        print("corpus: stopped", file=sys.stderr)


@contextmanager
def prefect_api() -> Iterator[str]:
    """The Prefect API URL to serve on: PREFECT_API_URL's, else a local server's, started here
    and stopped (with everything it started) when the block ends."""
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    settings = get_current_settings()
    if settings.api.url:
        yield settings.api.url
        return
    home = Path(settings.home)
    print(
        f"corpus: PREFECT_API_URL is not set: starting a local Prefect server (state in {home})",
        file=sys.stderr,
        flush=True,
    )
    with local_server(home, server_startup_timeout()) as server:
        print(
            f"corpus: Prefect UI at {server.url} (API {server.api_url}, pid {server.pid}, log "
            f"{server.log}); it stops with `corpus serve`",
            file=sys.stderr,
            flush=True,
        )
        before = os.environ.get("PREFECT_API_URL")
        os.environ["PREFECT_API_URL"] = server.api_url  # for the flow-run processes
        try:
            with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
                yield server.api_url
        finally:
            if before is None:
                os.environ.pop("PREFECT_API_URL", None)
            else:
                os.environ["PREFECT_API_URL"] = before


@contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP end this process through SystemExit (as Prefect's runner does for
    SIGTERM once it runs), so a server started here is stopped on the way out."""
    if sys.platform == "win32" or threading.current_thread() is not threading.main_thread():
        yield
        return

    def leave(signum: int, frame: FrameType | None) -> None:
        sys.exit(0)

    previous = {sig: signal.signal(sig, leave) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def register_deployments(config: CorpusConfig, work_pool: str) -> None:
    """Create or update the deployments on the Prefect server, to run on `work_pool`."""
    from prefect import deploy
    from prefect.settings import get_current_settings

    if get_current_settings().api.url is None:
        raise ConfigError("--work-pool needs PREFECT_API_URL: the server the workers poll")
    deployments = _enabled(config, work_pool)
    prepare_inbox(config)
    deploy(*deployments, work_pool_name=work_pool, ignore_warnings=True)


def _enabled(config: CorpusConfig, work_pool: str | None = None) -> list[RunnerDeployment]:
    deployments = build_deployments(config, work_pool)
    if not deployments:
        raise ConfigError("nothing to serve: schedule.ingest and schedule.crawl are disabled")
    return deployments


def add_serve_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `serve` subcommand of `corpus` (`commands`: its subparsers; `common`: the parent
    parser of the options every subcommand takes, --config among them)."""
    serve = commands.add_parser(
        "serve",
        help="serve the scheduled ingest and crawl deployments (corpus.toml [schedule])",
        description=DESCRIPTION,
        epilog=EPILOG,
        parents=[common],
    )
    _serve_options(serve)


def _serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--list",
        action="store_true",
        help="print the deployments, their next run times and parameters, and exit",
    )
    parser.add_argument(
        "--work-pool",
        metavar="POOL",
        help="register the deployments on this work pool of the Prefect server at "
        "PREFECT_API_URL instead of serving them",
    )


def cmd_serve(args: argparse.Namespace, config: CorpusConfig) -> int:
    if args.list:
        print(describe(_enabled(config)))
    elif args.work_pool:
        register_deployments(config, args.work_pool)
    else:
        serve_deployments(config)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m flows.deploy", description=DESCRIPTION, epilog=EPILOG
    )
    parser.add_argument(
        "--config", metavar="FILE", help="config file (default: $CORPUS_CONFIG, ./corpus.toml)"
    )
    _serve_options(parser)
    args = parser.parse_args(argv)
    try:
        return cmd_serve(args, load_config(args.config))
    except ConfigError as exc:
        print(f"corpus: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
