"""The Prefect API of a one-off flow run (`python -m flows.ingest`, `python -m flows.crawl`).

With `PREFECT_API_URL` set, that server. Without it, Prefect would start its temporary server
itself on the run's first API call, after importing its whole server package into the flow's
own process only to launch it (~4 s of CPU and ~80 MB that stay for the whole run). This
starts the same temporary server (`flows.prefect_server`, `ephemeral=True`: the same app in
the same mode, its state in the same `PREFECT_HOME`) as a child of its own, and stops it after
the run's logs and events are sent. The run's states, logs and artifacts land where they would
have; nothing of the server stays in the flow's process.

`starting_flow_run_api` does not wait for the server: the caller works on while it comes up
(~4.5 s of CPU, mostly its imports; the ingest flow scans meanwhile: flows/ingest/head_start.py)
and `FlowRunApi.reporting` waits for it, within the start-up timeout, where the flow runs.
With `guess=True` it does not import Prefect either (~1.5 s of CPU, most of it Prefect's
settings): the server starts at once with the home and start-up bound the environment sets
(`server_guess`), and `reporting` checks them against Prefect's settings once the server is up
(another API, or another home: that server is stopped and the settings' one used).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flows import collector
from flows.prefect_env import STARTUP_TIMEOUT
from flows.prefect_server import PendingServer, launch_server

if TYPE_CHECKING:
    from prefect.settings.legacy import Setting
    from prefect.settings.models.root import Settings

DRAIN_SECONDS = 30.0  # bound on sending the run's last logs and events before the server stops


@dataclass(frozen=True)
class ServerGuess:
    """The temporary server's home and start-up bound, as read before Prefect is imported."""

    home: Path
    startup_timeout: float


@dataclass
class FlowRunApi:
    """Where flow runs report: `configured` (`PREFECT_API_URL`, or None when Prefect runs
    without a server), or the temporary server `pending`, perhaps still starting (started on
    `guessed` settings: checked against Prefect's in `reporting`)."""

    configured: str | None
    pending: PendingServer | None = None
    no_ui: bool = False
    guessed: ServerGuess | None = None

    @contextmanager
    def reporting(self) -> Iterator[str | None]:
        """In the thread that runs the flow: Prefect's settings point at the API (waiting for
        the temporary server to be healthy: ConfigError if it is not in time); the run's
        last logs and events are sent when the block ends."""
        if self.pending is not None:
            self.pending.ready()  # before Prefect's import: the server's start is its own bound
        if self.guessed is not None:
            with collector.paused():  # Prefect's import, while the stages run in the main thread
                self._check_guess()
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

    def _check_guess(self) -> None:
        """The server started on the environment's settings, against Prefect's own: another
        API (or none) stops it; another home starts the settings' server instead."""
        from prefect.settings import get_current_settings

        guess, self.guessed = self.guessed, None
        assert guess is not None
        settings = get_current_settings()
        self.no_ui = settings.ui_url is None
        wanted = _temporary_server(settings)
        if self.pending is None or (wanted and wanted.home.resolve() == guess.home.resolve()):
            return  # (a start-up bound set elsewhere than the environment is not worth a restart)
        self.pending.stop()
        self.pending.log.unlink(missing_ok=True)  # it was healthy
        self.pending = None if wanted is None else _launch(wanted)
        self.configured = settings.api.url


def _temporary_server(settings: Settings) -> ServerGuess | None:
    """The temporary server Prefect's `settings` ask for (None: another API, or none)."""
    if settings.api.url or not settings.server.ephemeral.enabled:
        return None
    return ServerGuess(Path(settings.home), settings.server.ephemeral.startup_timeout_seconds)


def _launch(server: ServerGuess) -> PendingServer:
    log = server.home / f"temporary-server-{os.getpid()}.log"
    return launch_server(server.home, server.startup_timeout, port=None, ephemeral=True, log=log)


def server_guess(
    environ: Mapping[str, str] = os.environ, cwd: Path | None = None
) -> ServerGuess | None:
    """The temporary server as the environment asks for it (`PREFECT_HOME`, its start-up
    bound) when none of Prefect's other settings sources could point runs elsewhere: no
    `PREFECT_API_URL` in the environment or the active profile, no prefect.toml, no `PREFECT_`
    line in .env, no `[tool.prefect]` in pyproject.toml (in `cwd`). None: ask Prefect."""
    if environ.get("PREFECT_API_URL") or STARTUP_TIMEOUT not in environ:
        return None
    home = Path(environ.get("PREFECT_HOME") or "~/.prefect").expanduser()
    here = Path.cwd() if cwd is None else cwd
    try:
        timeout = float(environ[STARTUP_TIMEOUT])
        profiles = Path(environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml")
        if _profile_sets_api(profiles.expanduser(), environ.get("PREFECT_PROFILE")):
            return None
        if (here / "prefect.toml").exists():
            return None
        for name, marker in ((".env", "PREFECT_"), ("pyproject.toml", "tool.prefect")):
            path = here / name
            if path.is_file() and marker in path.read_text("utf-8", errors="replace"):
                return None
    except (OSError, ValueError, tomllib.TOMLDecodeError):
        return None
    return ServerGuess(home, timeout)


def _profile_sets_api(profiles: Path, active: str | None) -> bool:
    """Whether the active profile of `profiles` (if the file exists) sets `PREFECT_API_URL`."""
    if not profiles.is_file():
        return False
    data = tomllib.loads(profiles.read_text("utf-8"))
    profile = data.get("profiles", {}).get(active or data.get("active", "ephemeral"), {})
    return bool(profile.get("PREFECT_API_URL"))


@contextmanager
def starting_flow_run_api(guess: bool = False) -> Iterator[FlowRunApi]:
    """The API this process's flow runs report to: `PREFECT_API_URL`, else a temporary server
    started here (not waited for) and stopped when the block ends. With `guess`, Prefect is
    not imported first when the environment says enough (`server_guess`)."""
    guessed = server_guess() if guess else None
    if guessed is not None:
        api = FlowRunApi(None, _launch(guessed), guessed=guessed)
    else:
        from prefect.settings import get_current_settings

        settings = get_current_settings()
        wanted = _temporary_server(settings)
        if wanted is None:
            yield FlowRunApi(settings.api.url)
            return
        api = FlowRunApi(None, _launch(wanted), no_ui=settings.ui_url is None)
    try:
        yield api
    finally:
        if api.pending is not None:
            api.pending.stop()
            if api.pending.server is not None:  # a server that failed to start keeps its log
                api.pending.log.unlink(missing_ok=True)


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
