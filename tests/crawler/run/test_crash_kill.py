"""SIGKILL `corpus ingest` (the CLI with its worker processes) at several points of a large run on
generated dumps with reposts, into a dataset that already holds the seeds: each time the dataset
stays readable, consumers see only whole committed files and the seeds' records as before; the
next run completes it to exactly what an uninterrupted run gives, and the run after adds nothing.
Kill points and checks: tests/killrun.py; figures at other sizes and at random times:
bench/kill_report.py."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from helpers import SEEDS
from killrun import (
    POINTS,
    Contents,
    complete,
    consumer_view,
    contents,
    generate_corpus,
    ingest,
    kill_run,
)

pytestmark = pytest.mark.slow

DUMPS = 1500
SEED_RECORDS = 4
BATCHES = math.ceil(DUMPS / 200)  # at the default batch size


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kill") / "dumps"
    generate_corpus(path, DUMPS)
    return path


@pytest.fixture(scope="module")
def reference(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Contents:
    """The dataset an uninterrupted run gives."""
    out = tmp_path_factory.mktemp("reference") / "corpus"
    ingest(SEEDS, out)
    ingest(corpus, out)
    return contents(out)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """A dataset holding an earlier run: the seeds' four records."""
    ingest(SEEDS, tmp_path / "corpus")
    return tmp_path / "corpus"


def kill_and_check(corpus: Path, out: Path, name: str, reference: Contents) -> None:
    """Kill a run at the named point: the dataset it leaves must be readable, readers must pick
    up only whole committed files, and until the commit point see just what was there."""
    point, phases = POINTS[name]
    kill = kill_run(corpus, out, point)
    if not kill.killed:
        pytest.skip(f"the run finished before the kill point {name!r} came")
    assert kill.progress.phase in phases, (kill.progress, kill.output)
    if name == "mid-clean":
        assert kill.progress.batches < BATCHES, kill.progress
    view = consumer_view(out)
    assert not view.uncommitted and not view.broken, view
    assert view.readable, view
    committed = len(reference.records) if kill.progress.committed else SEED_RECORDS
    assert view.records["corpus stats"] == committed, view  # goes by the manifest
    if not kill.progress.committed:
        assert set(view.records.values()) == {SEED_RECORDS}, view


def check_completed(corpus: Path, out: Path, reference: Contents) -> None:
    """The next run completes the dataset to the reference; the one after adds nothing."""
    done = complete(corpus, out, reference)
    assert (done.duplicates, done.missing, done.extra) == (0, 0, 0), done
    assert done.same_as_reference, done
    assert done.leftovers == (), done
    assert done.view.readable and set(done.view.records.values()) == {len(reference.records)}
    assert done.rerun == {"added": 0, "processed": 0, "unchanged": DUMPS}


@pytest.mark.parametrize("name", ["scan", "mid-clean", "commit point"])
def test_a_killed_run_is_completed_by_the_next(
    corpus: Path, reference: Contents, out: Path, name: str
) -> None:
    kill_and_check(corpus, out, name, reference)
    check_completed(corpus, out, reference)


def test_two_kills_in_a_row_then_the_next_run_completes(
    corpus: Path, reference: Contents, out: Path
) -> None:
    # partial hidden parts of the first, then a commit cut between its renames
    kill_and_check(corpus, out, "writing parts", reference)
    kill_and_check(corpus, out, "mid-renames", reference)
    check_completed(corpus, out, reference)
