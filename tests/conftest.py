"""Shared fixtures: repository paths, the seeds ingested once per session, the dev-set scorer;
and the suite's two speeds (`make test-fast`, `make test`, see `pytest_collection_modifyitems`)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import ModuleType

import pytest
from helpers import ROOT, SEEDS, load_scorer

# Prefect: keep its state out of the user's home, never phone home, be patient on busy machines.
os.environ.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

# Fixtures that crawl the fixture site in a child process, start a Prefect server or ingest big
# hostile inputs in worker processes: a test that uses one is `slow` (left out of `make
# test-fast`) without having to say so.
SLOW_FIXTURES = frozenset(
    {"site", "first", "crawl", "prefect_harness", "prefect_server", "hostile_run"}
)
# Tests on the session's Prefect server are ordered together (one group in the sort below).
PREFECT_GROUP = "prefect-server"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests that use a slow fixture `slow`. Under `pytest -n N --dist loadfile`
    (`make test`: a module's tests stay in one worker, its module-scoped crawls are made once)
    the modules with the most slow tests go first, so that no long one is left for last."""
    groups: dict[pytest.Item, str] = {}
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)
        if fixtures & {"prefect_harness", "prefect_server"}:
            groups[item] = PREFECT_GROUP
        else:
            groups[item] = item.nodeid.split("::", 1)[0]
    if config.getoption("dist", "no") in ("loadfile", "loadgroup"):
        slow: dict[str, int] = {}
        for item in items:
            slow[groups[item]] = slow.get(groups[item], 0) + bool(item.get_closest_marker("slow"))
        first_seen = {group: n for n, group in reversed(list(enumerate(groups.values())))}
        items.sort(key=lambda item: (-slow[groups[item]], first_seen[groups[item]]))


@pytest.fixture(scope="session")
def scorer() -> ModuleType:
    return load_scorer()


@pytest.fixture(scope="session")
def seeds_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds ingested once by `corpus ingest` (library call); tests must not modify it."""
    from crawler.run.ingest import run_ingest

    out = tmp_path_factory.mktemp("seeds") / "corpus"
    run_ingest([str(SEEDS)], out)
    return out


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A private copy of the seed files, for tests that add or change inputs."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target
