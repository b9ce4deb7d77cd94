"""The Prefect API of a one-off flow run (`python -m flows.ingest`, `python -m flows.crawl`).

With `PREFECT_API_URL` set, that server. Without it, Prefect would start its temporary server
itself on the run's first API call, after importing its whole server package into the flow's
own process only to launch it (~4 s of CPU and ~80 MB that stay for the whole run). This
starts the same temporary server (`flows.prefect_server`, `ephemeral=True`: the same app in
the same mode, its state in the same `PREFECT_HOME`) as a child of its own, and stops it after
the run's logs and events are sent. The run's states, logs and artifacts land where they would
have; nothing of the server stays in the flow's process.

`starting_flow_run_api` does not wait for the server: the caller works on while it comes up
(~6 s of CPU, mostly its imports; the ingest flow scans meanwhile: flows/ingest/head_start.py)
and `FlowRunApi.reporting` waits for it, within the start-up timeout, where the flow runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flows.prefect_server import PendingServer, starting_server

if TYPE_CHECKING:
    from prefect.settings.legacy import Setting

DRAIN_SECONDS = 30.0  # bound on sending the run's last logs and events before the server stops


@dataclass
class FlowRunApi:
    """Where flow runs report: `configured` (`PREFECT_API_URL`, or None when Prefect runs
    without a server), or the temporary server `pending`, perhaps still starting."""

    configured: str | None
    pending: PendingServer | None = None
    no_ui: bool = False

    @contextmanager
    def reporting(self) -> Iterator[str | None]:
        """In the thread that runs the flow: Prefect's settings point at the API (waiting for
        the temporary server to be healthy: ConfigError if it is not in time); the run's
        last logs and events are sent when the block ends."""
        if self.pending is None:
            yield self.configured
            return
        from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL, temporary_settings

        url = self.pending.ready().api_url
        updates: dict[Setting, str] = {PREFECT_API_URL: url}
        if self.no_ui:  # as with Prefect's own: no UI, so no "View at" link
            updates[PREFECT_UI_URL] = ""
        with temporary_settings(updates=updates):
            try:
                yield url
            finally:
                drain_logs_and_events()


@contextmanager
def starting_flow_run_api() -> Iterator[FlowRunApi]:
    """The API this process's flow runs report to: `PREFECT_API_URL`, else a temporary server
    started here (not waited for) and stopped when the block ends."""
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    if settings.api.url or not settings.server.ephemeral.enabled:
        yield FlowRunApi(settings.api.url)
        return
    home = Path(settings.home)
    log = home / f"temporary-server-{os.getpid()}.log"
    timeout = settings.server.ephemeral.startup_timeout_seconds
    pending: PendingServer | None = None
    try:
        with starting_server(home, timeout, port=None, ephemeral=True, log=log) as pending:
            yield FlowRunApi(None, pending, no_ui=settings.ui_url is None)
    finally:
        if pending is not None and pending.server is not None:
            log.unlink(missing_ok=True)  # a server that failed to start keeps its log


@contextmanager
def flow_run_api() -> Iterator[str | None]:
    """`starting_flow_run_api`, waited for: the API URL (None when Prefect is configured to
    run without a server: it then says why itself)."""
    with starting_flow_run_api() as api, api.reporting() as url:
        yield url


def drain_logs_and_events() -> None:
    """Send what the run's log and event workers still hold (as Prefect does at exit, before
    its own temporary server stops)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=DRAIN_SECONDS)
    EventsWorker.drain_all(timeout=DRAIN_SECONDS)
