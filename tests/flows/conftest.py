"""A Prefect server for the tests that run tasks in other processes (the Dask path).

Without a server, every Dask worker process would start its own temporary one (40-50 s each).
This starts one `prefect server start` on 127.0.0.1 (flows/prefect_server.py, as `corpus serve`
does) with its state in a temporary directory, and stops it at the end of the session.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crawler.errors import ConfigError
from flows.prefect_env import server_startup_timeout
from flows.prefect_server import local_server


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API URL (`http://127.0.0.1:PORT/api`) of a Prefect server running for this session."""
    home = tmp_path_factory.mktemp("prefect-server")
    try:
        with local_server(home, server_startup_timeout(), ui=False, port=None) as server:
            yield server.api_url
    except ConfigError as exc:
        pytest.fail(str(exc))
