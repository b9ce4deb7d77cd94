"""The Prefect settings every entry point needs, set before Prefect is imported.

`flows/__init__.py` calls `apply_defaults()`, so `corpus ...`, `python -m flows.ingest`,
`python -m flows.crawl` and `python -m flows.deploy` all run with them, inside `make` or not.
Each is a default: a variable the user has set (in the environment) is left as it is.

- `PREFECT_HOME`: the checkout's `.prefect/` (git-ignored), so runs neither read nor fill the
  user's `~/.prefect`; when the package is installed outside a checkout, Prefect's own default.
- `PREFECT_SERVER_ANALYTICS_ENABLED=false`: the server's telemetry is its only outbound call.
- `PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=120`: Prefect's 20 s is too short for its
  temporary server on a busy 2-core machine (~11 s idle, more while a test suite runs).

`corpus serve`'s own server (flows/prefect_server.py) is waited for at least
`SERVER_STARTUP_TIMEOUT` seconds (or that setting, if larger): its first start creates the
database, which took up to 2 minutes on a 2-core machine running other test suites.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

HOME = "PREFECT_HOME"
STARTUP_TIMEOUT = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
DEFAULT_STARTUP_TIMEOUT = 120.0
SERVER_STARTUP_TIMEOUT = 300.0
CHECKOUT = Path(__file__).resolve().parents[1]


def defaults() -> dict[str, str]:
    """The settings and their default values."""
    values = {
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        STARTUP_TIMEOUT: f"{DEFAULT_STARTUP_TIMEOUT:g}",
    }
    if (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "flows").is_dir():
        values[HOME] = str(CHECKOUT / ".prefect")
    return values


def apply_defaults(environ: MutableMapping[str, str] = os.environ) -> None:
    """Set each setting the environment does not set yet."""
    for name, value in defaults().items():
        environ.setdefault(name, value)


def server_startup_timeout(environ: MutableMapping[str, str] = os.environ) -> float:
    """The bound on the start-up of a `prefect server start`, in seconds."""
    try:
        configured = float(environ.get(STARTUP_TIMEOUT, DEFAULT_STARTUP_TIMEOUT))
    except ValueError:
        configured = DEFAULT_STARTUP_TIMEOUT
    return max(configured, SERVER_STARTUP_TIMEOUT)
