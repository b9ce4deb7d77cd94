"""A Prefect server on 127.0.0.1 as a child process: started, waited for, stopped.

`corpus serve` needs one when no `PREFECT_API_URL` is set: Prefect's temporary
server does not run the scheduler, so cron deployments never fire on it. The child runs
`python -m prefect server start` in a session of its own (a Ctrl-C in the terminal reaches
`corpus serve`, which stops the serve loop first and the server after it), with its state in
`PREFECT_HOME`, and on Linux it is told to stop when its parent dies, even by SIGKILL.

With `ephemeral=True` the child is the server Prefect itself starts for a flow run when no
`PREFECT_API_URL` is set (`SubprocessASGIServer`: uvicorn running Prefect's app in its
ephemeral mode, no UI, only the services a flow run needs); `flows/temporary_server.py`
starts it for `python -m flows.ingest`.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict, Unpack

from crawler.errors import ConfigError
from flows.prefect_uvicorn import APP_MODULE

HOST = "127.0.0.1"
PREFERRED_PORT = 4200  # Prefect's own default: the UI address users know
_PR_SET_PDEATHSIG = 1
# Two servers started at once may both find the preferred port free; the one that loses exits
# ("Port ... is already in use") while the other answers the loser's health checks. The loser
# is then started again on a port the system picks, at most this many times in all.
_ATTEMPTS = 3
HEALTH_POLL_SECONDS = 0.25


@dataclass(frozen=True)
class LocalServer:
    pid: int
    port: int
    log: Path

    @property
    def url(self) -> str:
        """The UI: http://127.0.0.1:PORT."""
        return f"http://{HOST}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"


def free_port(preferred: int | None = None) -> int:
    """`preferred` if nothing listens on it on 127.0.0.1, else a port the system picks."""
    for port in (preferred, 0):
        if port is None:
            continue
        with socket.socket() as sock:
            # as the server binds: a port whose last connections are closing is free
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
            found: int = sock.getsockname()[1]
            return found
    raise OSError("no free port on 127.0.0.1")


def healthy(api_url: str) -> bool:
    """Whether the Prefect API at `api_url` answers its health check."""
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


class ServerOptions(TypedDict, total=False):
    """`launch_server`'s options, which `local_server` and `starting_server` pass on."""

    ui: bool
    port: int | None
    env: Mapping[str, str] | None
    ephemeral: bool
    log: Path | None


@contextlib.contextmanager
def local_server(
    home: Path, startup_timeout: float, **options: Unpack[ServerOptions]
) -> Iterator[LocalServer]:
    """A `prefect server start` (with `ephemeral`, Prefect's temporary server) with its state
    in `home` and its output in `log` (default `home/server.log`), healthy on entry, stopped
    with everything it started on exit. Raises ConfigError when it is not healthy within
    `startup_timeout` seconds (the log's tail says why)."""
    with starting_server(home, startup_timeout, **options) as pending:
        yield pending.ready()


@contextlib.contextmanager
def starting_server(
    home: Path, startup_timeout: float, **options: Unpack[ServerOptions]
) -> Iterator[PendingServer]:
    """`local_server`, started but not waited for: the block runs while the server comes up
    (`PendingServer.ready` waits for it, within `startup_timeout` of the start). Stopped with
    everything it started on exit, healthy or not."""
    pending = launch_server(home, startup_timeout, **options)
    try:
        yield pending
    finally:
        pending.stop()


def launch_server(
    home: Path,
    startup_timeout: float,
    *,
    ui: bool = True,
    port: int | None = PREFERRED_PORT,
    env: Mapping[str, str] | None = None,
    ephemeral: bool = False,
    log: Path | None = None,
) -> PendingServer:
    """The server of `starting_server`, started; the caller stops it (`PendingServer.stop`)."""
    home.mkdir(parents=True, exist_ok=True)
    child_env = {k: v for k, v in (os.environ if env is None else env).items()}
    child_env.pop("PREFECT_API_URL", None)
    child_env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_UI_ENABLED=str(ui and not ephemeral).lower(),
    )
    if ephemeral:  # as SubprocessASGIServer sets them (prefect/server/api/server.py)
        child_env.update(PREFECT_UI_ENABLED="0", PREFECT__SERVER_EPHEMERAL="1")
        child_env.update(PREFECT__SERVER_FINAL="1")
    return PendingServer(child_env, log or home / "server.log", port, ephemeral, startup_timeout)


class PendingServer:
    """A server process started on construction; `ready()` waits until it is healthy."""

    def __init__(
        self,
        env: dict[str, str],
        log: Path,
        port: int | None,
        ephemeral: bool,
        startup_timeout: float,
    ) -> None:
        self._env, self._log, self._ephemeral = env, log, ephemeral
        self.startup_timeout = startup_timeout
        self._deadline = time.monotonic() + startup_timeout
        self._attempt = 0
        self._proc, self._server = self._launch(port)
        self.server: LocalServer | None = None  # once healthy

    @property
    def log(self) -> Path:
        return self._log

    def _launch(self, port: int | None) -> tuple[subprocess.Popen[bytes], LocalServer]:
        chosen = free_port(port)
        return _start(server_command(chosen, self._ephemeral), self._log, chosen, self._env)

    def ready(self) -> LocalServer:
        """The server once it answers its health check (at once if it did before); ConfigError
        when it exited or is not healthy by the deadline (the log's tail says why)."""
        while self.server is None:
            if _wait_until_healthy(self._proc, self._server, self.startup_timeout, self._deadline):
                self.server = self._server
                break
            stop_process_group(self._proc)  # it lost its port to another server: try another
            self._attempt += 1
            if self._attempt >= _ATTEMPTS:
                raise ConfigError(
                    f"the local Prefect server lost its port {_ATTEMPTS} times (log {self._log})"
                )
            self._proc, self._server = self._launch(None)
        return self.server

    def stop(self) -> None:
        """Stop the server and everything it started (bounded waits)."""
        stop_process_group(self._proc)


def server_command(port: int, ephemeral: bool) -> list[str]:
    """`prefect server start`, or the command Prefect's temporary server runs (uvicorn with
    Prefect's app factory: Prefect is not imported here, its server modules cost seconds),
    started by flows/prefect_uvicorn.py, which loads those modules with the collector paused."""
    if not ephemeral:
        return [
            *(sys.executable, "-m", "prefect", "server", "start"),
            *("--host", HOST, "--port", str(port)),
        ]
    spec = importlib.util.find_spec("prefect")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("Prefect is not installed in this environment")
    app_dir = Path(next(iter(spec.submodule_search_locations))).parent
    return [
        *(sys.executable, "-m", "flows.prefect_uvicorn", "--app-dir", str(app_dir)),
        *("--factory", f"{APP_MODULE}:create_app"),
        *("--host", HOST, "--port", str(port), "--log-level", "error", "--lifespan", "on"),
    ]


def _start(
    command: list[str], log_path: Path, port: int, env: Mapping[str, str]
) -> tuple[subprocess.Popen[bytes], LocalServer]:
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    return proc, LocalServer(proc.pid, port, log_path)


def _wait_until_healthy(
    proc: subprocess.Popen[bytes], server: LocalServer, bound: float, deadline: float
) -> bool:
    """True once the server answers on its port and holds that port itself; False when it
    exited while another process answered there (it lost the port); ConfigError otherwise."""
    while True:
        answered = healthy(server.api_url)
        if answered and listens(proc.pid, server.port) is not False:
            return True
        exited = proc.poll() is not None
        if exited and answered:
            return False
        if exited or time.monotonic() > deadline:
            tail = server.log.read_text("utf-8", errors="replace").strip().splitlines()[-3:]
            why = "exited" if proc.returncode is not None else f"not healthy after {bound:g} s"
            raise ConfigError(
                f"the local Prefect server at {server.url} {why} (log {server.log}: "
                f"{' | '.join(tail) or 'empty'})"
            )
        time.sleep(HEALTH_POLL_SECONDS)


def listens(pid: int, port: int) -> bool | None:
    """Whether process `pid` holds the listening TCP socket on HOST:`port` (Linux's /proc);
    None where that cannot be read."""
    table, fds = Path("/proc/net/tcp"), Path(f"/proc/{pid}/fd")
    try:
        rows = table.read_text().splitlines()[1:]
        held = set()
        for fd in fds.iterdir():
            with contextlib.suppress(OSError):
                held.add(os.readlink(fd))
    except OSError:
        return None
    (address,) = struct.unpack("=I", socket.inet_aton(HOST))
    local = f"{address:08X}:{port:04X}"
    listening = {f"socket:[{r.split()[9]}]" for r in rows if r.split()[1:4:2] == [local, "0A"]}
    return bool(listening & held)


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the parent dies (Linux's PR_SET_PDEATHSIG)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def stop_process_group(proc: subprocess.Popen[Any], term_wait: float = 20.0) -> None:
    """SIGTERM the process group of `proc` (started with `start_new_session`), then SIGKILL;
    each wait bounded. Nothing of the group survives it."""
    for sig, wait in ((signal.SIGTERM, term_wait), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        # the leader is gone; make sure nothing it started survives it
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        return
