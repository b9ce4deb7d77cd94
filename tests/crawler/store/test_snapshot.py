"""A reader's snapshot (crawler/store/snapshot.py): the files of one commit, held open."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from crawler.record import RECORDS_SCHEMA
from crawler.store import snapshot as snapshot_module
from crawler.store.compact import compact
from crawler.store.dataset import Dataset
from crawler.store.snapshot import snapshot
from tests.crawler.store.test_export import BASE_ROW


def dataset_of_runs(root: Path, runs: int) -> Dataset:
    """A dataset of `runs` one-record commits in one partition."""
    dataset = Dataset(root)
    for run in range(runs):
        row = BASE_ROW | {"doc_id": f"d{run}", "title": f"t{run}", "run_id": f"r{run}"}
        row["ingested_at"] = datetime(2026, 11, 9, run, tzinfo=UTC)
        writer = dataset.writer("records", RECORDS_SCHEMA, f"r{run}", "ingest_date=2026-11-09")
        writer.write([row])
        dataset.commit(f"r{run}", [writer.close() or Path()], {})
    return dataset


def titles(files: Any) -> list[str]:
    found = []
    for index in range(len(files.paths("records"))):
        for batch in files.batches("records", index, RECORDS_SCHEMA, ["title"], 100):
            found += batch.column("title").to_pylist()
    return sorted(found)


def test_files_removed_after_the_snapshot_stay_readable(tmp_path: Path) -> None:
    dataset = dataset_of_runs(tmp_path / "c", 3)
    with snapshot(dataset, ["records"]) as files:
        assert files.pinned
        compact(dataset)
        assert not any(Path(p).exists() for p in files.paths("records"))
        assert titles(files) == ["t0", "t1", "t2"]


def test_a_commit_between_manifest_and_open_is_taken_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The compaction lands after the manifest was read and before the files are opened: the
    snapshot reads the new manifest and opens the compacted file."""
    dataset = dataset_of_runs(tmp_path / "c", 3)
    opened = []
    real_open = pa.OSFile

    def racing_open(path: str) -> pa.OSFile:
        if not opened:
            opened.append(compact(dataset))
        return real_open(path)

    monkeypatch.setattr(snapshot_module.pa, "OSFile", racing_open)
    with snapshot(dataset, ["records"]) as files:
        assert opened == [{"records": (3, 1)}] and len(files.paths("records")) == 1
        assert files.pinned and titles(files) == ["t0", "t1", "t2"]


def test_more_files_than_the_process_may_open_are_read_by_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = dataset_of_runs(tmp_path / "c", 2)
    monkeypatch.setattr(snapshot_module, "_room_for", lambda files: False)
    with snapshot(dataset, ["records"]) as files:
        assert not files.pinned and titles(files) == ["t0", "t1"]
