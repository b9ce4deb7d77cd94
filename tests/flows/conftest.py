"""A Prefect server for the tests that run tasks in other processes (the Dask path).

Without a server, every Dask worker process would start its own temporary one (40-50 s each).
This starts one `prefect server start` on 127.0.0.1 with its state in a temporary directory, waits
for /api/health, and stops it (and everything it started) at the end of the session.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import stop_process_group

STARTUP_TIMEOUT = 120.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API URL (`http://127.0.0.1:PORT/api`) of a Prefect server running for this session."""
    home = tmp_path_factory.mktemp("prefect-server")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API_", "PREFECT_HOME"))
    }
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_UI_ENABLED="false",
    )
    prefect = Path(sys.executable).with_name("prefect")
    log_path = home / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text("utf-8", errors="replace")[-2000:]
                pytest.fail(f"prefect server did not become healthy at {url}:\n{tail}")
            time.sleep(0.5)
        yield url
    finally:
        stop_process_group(proc)
