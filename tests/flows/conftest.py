"""One Prefect server for every test that runs flows or tasks in this session.

Without a server, each module's `prefect_test_harness` would start a temporary one (25-40 s
each), and every Dask worker process its own (40-50 s each). This starts one `prefect server
start` on 127.0.0.1 (flows/prefect_server.py, as `corpus serve` does) with its state in a
temporary directory, and stops it at the end of the session. Under xdist it starts at most once
per worker (`make test`: two).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import RefusedConfig
from prefect.settings import PREFECT_API_URL, temporary_settings

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


@pytest.fixture
def prefect_harness(prefect_server: str) -> Iterator[None]:
    """Flow runs in this test report to the session's server (what `prefect_test_harness` does
    with a temporary server of its own per use). Its logs and events are sent before the test
    ends, so none is left for a later test or for a stopped server."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    with temporary_settings(updates={PREFECT_API_URL: prefect_server}):
        yield
        APILogWorker.drain_all(timeout=60)
        EventsWorker.drain_all(timeout=60)


@pytest.fixture
def refused_config(prefect_harness: None, seeds_copy: Path, tmp_path: Path) -> RefusedConfig:
    from flows.ingest import ingest_flow

    out = tmp_path / "c"
    ingest_flow(paths=[str(seeds_copy)], out=str(out))
    config = tmp_path / "other.toml"
    config.write_text("[settings]\nnum_perm = 128\n")
    return RefusedConfig(out, config)
