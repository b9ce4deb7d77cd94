"""Worker processes that cannot start at all (here: TMPDIR so long that the forkserver's Unix
socket path exceeds 107 bytes): `corpus ingest` and `corpus crawl` stop with one line saying
why and exit 2, instead of a traceback (ingest) or a crawl that stores nothing and exits 0."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import ROOT, SEEDS
from newssite import NewsSite, serve

WAIT_SECONDS = 300  # a bound for the test, not a timing assertion

pytestmark = pytest.mark.slow


def long_tmpdir(tmp_path: Path) -> str:
    folder = tmp_path / ("t" * 120)
    folder.mkdir()
    return str(folder)


def corpus(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TMPDIR": long_tmpdir(tmp_path),
        "PREFECT_HOME": str(tmp_path / "prefect"),
    }
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
    )


def assert_one_line_reason(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 2, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr[-2000:]
    assert lines[0].startswith("corpus: error: worker processes cannot start")
    assert "TMPDIR" in lines[0] and "107 bytes" in lines[0]


def test_ingest_whose_workers_cannot_start_says_why(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    assert len(seeds) >= 4
    for seed in seeds:
        (inputs / seed.name).write_bytes(seed.read_bytes())
    out = tmp_path / "out"
    args = ["ingest", str(inputs), "--out", str(out), "--workers", "2", "--batch-size", "1"]
    assert_one_line_reason(corpus(args, tmp_path))
    assert not list(out.glob("records/**/*.parquet"))


@pytest.fixture(scope="module")
def site() -> Iterator[NewsSite]:
    with serve(4, traps=False) as news:
        yield news


def test_crawl_whose_workers_cannot_start_says_why(site: NewsSite, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = [
        "crawl",
        site.url("/"),
        "--out",
        str(out),
        "--allow-net",
        "127.0.0.0/8",
        "--contact",
        "desk@x.test",
        "--workers",
        "2",
        "--quiet",
    ]
    assert_one_line_reason(corpus(args, tmp_path))
    assert not list(out.glob("records/**/*.parquet"))
