"""The Prefect API of a one-off flow run (`python -m flows.ingest`; `flows.crawl` could use it too).

With `PREFECT_API_URL` set, that server. Without it, Prefect would start its temporary server
itself on the run's first API call, after importing its whole server package into the flow's
own process only to launch it (~4 s of CPU and ~80 MB that stay for the whole run). This
starts the same temporary server (`flows.prefect_server`, `ephemeral=True`: the same app in
the same mode, its state in the same `PREFECT_HOME`) as a child of its own, before the flow
is called, and stops it after the run's logs and events are sent. The run's states, logs and
artifacts land where they would have; nothing of the server stays in the flow's process.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from flows.prefect_server import local_server

if TYPE_CHECKING:
    from prefect.settings.legacy import Setting

DRAIN_SECONDS = 30.0  # bound on sending the run's last logs and events before the server stops


@contextmanager
def flow_run_api() -> Iterator[str | None]:
    """The API URL this process's flow runs report to: `PREFECT_API_URL`, else a temporary
    server started here and stopped when the block ends. None when Prefect is configured to
    run without either (it then says why itself)."""
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_UI_URL,
        get_current_settings,
        temporary_settings,
    )

    settings = get_current_settings()
    if settings.api.url or not settings.server.ephemeral.enabled:
        yield settings.api.url
        return
    home = Path(settings.home)
    log = home / f"temporary-server-{os.getpid()}.log"
    timeout = settings.server.ephemeral.startup_timeout_seconds
    started = False
    try:
        with local_server(home, timeout, port=None, ephemeral=True, log=log) as server:
            started = True
            updates: dict[Setting, str] = {PREFECT_API_URL: server.api_url}
            if settings.ui_url is None:  # as with Prefect's own: no UI, so no "View at" link
                updates[PREFECT_UI_URL] = ""
            with temporary_settings(updates=updates):
                try:
                    yield server.api_url
                finally:
                    drain_logs_and_events()
    finally:
        if started:  # a server that failed to start keeps its log: the error names it
            log.unlink(missing_ok=True)


def drain_logs_and_events() -> None:
    """Send what the run's log and event workers still hold (as Prefect does at exit, before
    its own temporary server stops)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=DRAIN_SECONDS)
    EventsWorker.drain_all(timeout=DRAIN_SECONDS)
