"""Shared fixtures: repository paths, the seeds ingested once per session, the dev-set scorer."""

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


@pytest.fixture(scope="session")
def scorer() -> ModuleType:
    return load_scorer()


@pytest.fixture(scope="session")
def seeds_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds ingested once by `corpus ingest` (library call); tests must not modify it."""
    from crawler.ingest import run_ingest

    out = tmp_path_factory.mktemp("seeds") / "corpus"
    run_ingest([str(SEEDS)], out)
    return out


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A private copy of the seed files, for tests that add or change inputs."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target
