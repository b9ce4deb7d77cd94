"""The Prefect settings every entry point sets, and the local server `corpus serve` starts."""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import psutil
import pytest
from helpers import ROOT

import flows.prefect_server
from crawler.errors import ConfigError
from flows.prefect_env import apply_defaults, server_startup_timeout
from flows.prefect_server import HOST, free_port, healthy, listens, local_server

SHOW_SETTINGS = """
import json, sys
import {module}
from prefect.settings import get_current_settings
s = get_current_settings()
print(json.dumps([str(s.home), s.server.ephemeral.startup_timeout_seconds, s.server.analytics_enabled]))
"""


def clean_env(**extra: str) -> dict[str, str]:
    """A shell outside `make`: no PREFECT_* or CORPUS_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CORPUS_"))}
    return {**env, **extra}


def settings_seen_by(module: str, env: dict[str, str], cwd: Path) -> list[object]:
    code = SHOW_SETTINGS.format(module=module)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen: list[object] = json.loads(done.stdout.splitlines()[-1])
    return seen


@pytest.mark.slow
def test_entry_points_set_what_prefect_needs_and_keep_what_the_user_set(tmp_path: Path) -> None:
    # `corpus` (flows.cli) and every `python -m flows.X` import the `flows` package first
    seen = settings_seen_by("flows.ingest", clean_env(HOME=str(tmp_path)), tmp_path)
    assert seen == [str(ROOT / ".prefect"), 120.0, False]
    env = clean_env(
        PREFECT_HOME=str(tmp_path / "mine"),
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="300",
        PREFECT_SERVER_ANALYTICS_ENABLED="true",
    )
    assert settings_seen_by("flows.ingest", env, tmp_path) == [str(tmp_path / "mine"), 300.0, True]
    environ = {"PREFECT_HOME": "/srv/prefect"}
    apply_defaults(environ)
    assert environ["PREFECT_HOME"] == "/srv/prefect"
    assert environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] == "120"


def test_free_port_prefers_the_given_one_unless_it_is_taken() -> None:
    with socket.socket() as busy:
        busy.bind((HOST, 0))
        busy.listen()
        taken = busy.getsockname()[1]
        other = free_port(taken)
        assert other != taken and other > 0
    assert free_port(taken) == taken  # closed: free again


def prefect_servers_of_this_process() -> list[psutil.Process]:
    return [
        p
        for p in psutil.Process().children(recursive=True)
        if "server" in p.cmdline() and "prefect" in " ".join(p.cmdline())
    ]


@pytest.mark.slow
def test_a_server_that_does_not_come_up_in_time_is_one_line_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    before = {p.pid for p in prefect_servers_of_this_process()}  # e.g. the session's server
    with pytest.raises(ConfigError) as error, local_server(tmp_path, 0.0, port=None):
        pass
    message = str(error.value)
    assert "\n" not in message and "not healthy after 0 s" in message, message
    assert str(tmp_path / "server.log") in message
    assert [p for p in prefect_servers_of_this_process() if p.pid not in before] == []


def test_listens_names_the_process_that_holds_the_port() -> None:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert listens(os.getpid(), port) is True
        other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        try:
            assert listens(other.pid, port) is False
        finally:
            other.kill()
            other.wait(timeout=30)


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"true")

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.slow
def test_a_server_that_lost_its_port_to_another_is_started_again_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two `corpus serve` started at once both find the preferred port free; the other one's
    # server binds it first and answers health checks there. Ours must not take it for itself.
    other = http.server.ThreadingHTTPServer((HOST, 0), _Health)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    taken = other.server_address[1]
    real_free_port = flows.prefect_server.free_port
    monkeypatch.setattr(
        flows.prefect_server, "free_port", lambda p: taken if p == taken else real_free_port(p)
    )
    try:
        with local_server(tmp_path, server_startup_timeout(), ui=False, port=taken) as server:
            port = int(server.url.rsplit(":", 1)[1])
            assert port != taken
            assert listens(server.pid, port) is True and healthy(server.api_url)
    finally:
        other.shutdown()
        other.server_close()
