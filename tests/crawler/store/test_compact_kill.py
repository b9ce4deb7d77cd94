"""SIGKILL `corpus compact` at every step after it has written its files (the commit point, each
rename, each folder swap, the removal of its staging area): readers that glob `records/` see
every row exactly once at each point, and the next compaction finishes the job."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from helpers import SEEDS
from killrun import KillPoint, compact_command, consumer_view, contents, kill_run

from crawler.run.ingest import run_ingest
from crawler.store.compact import compact
from crawler.store.dataset import Dataset

pytestmark = pytest.mark.slow


def three_runs(tmp_path: Path) -> Path:
    """The seeds ingested in three runs (so each table has several small files)."""
    out = tmp_path / "corpus"
    for n, names in enumerate((["000", "001"], ["002", "003"], ["004"])):
        folder = tmp_path / f"in{n}"
        folder.mkdir()
        for name in names:
            for path in SEEDS.glob(f"{name}_*.txt"):
                shutil.copy(path, folder)
        run_ingest([str(folder)], out)
    return out


def glob_rows(root: Path) -> tuple[int, int]:
    """(rows, distinct doc_ids) of `records/**/*.parquet` as DuckDB reads it."""
    query = f"SELECT count(*), count(DISTINCT doc_id) FROM '{root}/records/**/*.parquet'"
    rows, distinct = duckdb.sql(query).fetchall()[0]
    return int(rows), int(distinct)


def test_compaction_killed_at_any_step_shows_each_row_once(tmp_path: Path) -> None:
    original = three_runs(tmp_path)
    expected = contents(original)
    records = len(expected.records)
    steps = 0
    for step in range(1, 40):
        out = tmp_path / f"kill{step}" / "corpus"
        shutil.copytree(original, out)
        kill = kill_run(
            Path(),
            out,
            KillPoint(f"step {step}", pause_at_replace=step),
            command=compact_command(out),
        )
        view = consumer_view(out)
        assert not view.broken, (step, view)
        assert {k: v for k, v in view.records.items()} == dict.fromkeys(view.records, records), (
            step,
            view,
            kill.output,
        )
        assert glob_rows(out) == (records, records), step
        dataset = Dataset(out)
        with dataset.lock():
            compact(dataset)  # finishes a committed compaction, or compacts anew
        assert contents(out) == expected, step
        assert len(list((out / "records").rglob("*.parquet"))) == 1, step
        assert not (out / "_staging").exists(), step
        if not kill.killed:
            break
        steps += 1
    assert steps >= 10  # the commit point, 6 renames, 6 swaps, the clean-up (at least)
