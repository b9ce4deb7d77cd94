"""The table registry (crawler/schemas.py) is what the dataset, compaction, verify and repair
list their tables, folders and schemas from."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from crawler.record import RECORDS_SCHEMA, SCHEMA_VERSION
from crawler.schemas import REGISTRY, table
from crawler.store import compact, dataset
from crawler.store.dataset import Dataset


def test_every_table_has_its_own_folder_schema_and_version() -> None:
    folders = [t.folder for t in REGISTRY.values()]
    assert len(set(folders)) == len(folders)
    # side tables are hidden from dataset discovery by their `_` folder; records are not
    assert [f for f in folders if not f.startswith("_")] == ["records"]
    names = [t.schema.metadata[b"corpus.table"] for t in REGISTRY.values()]
    assert len(set(names)) == len(names)
    assert {t.version for t in REGISTRY.values()} == {SCHEMA_VERSION}
    assert table("records").schema is RECORDS_SCHEMA


def test_dataset_and_compaction_read_the_registry() -> None:
    assert tuple(REGISTRY) == dataset.TABLES
    assert {name: t.folder for name, t in REGISTRY.items()} == dataset.FOLDERS
    assert {name: t.schema for name, t in REGISTRY.items()} == compact.SCHEMAS


def test_partitions_come_from_the_registry(tmp_path: Path) -> None:
    assert table("records").partition(date(2026, 11, 21)) == "ingest_date=2026-11-21"
    assert table("audit").partition("2026-11-21") == "ingest_date=2026-11-21"
    assert table("rejects").partition("2026-11-21") is None
    data = Dataset(tmp_path)
    writer = data.writer("records", RECORDS_SCHEMA, "r1", "ingest_date=2026-11-21")
    assert writer.final == tmp_path / "records" / "ingest_date=2026-11-21" / "part-r1.parquet"
    with pytest.raises(ValueError, match="has no partition"):
        data.writer("rejects", RECORDS_SCHEMA, "r1", "ingest_date=2026-11-21")
    with pytest.raises(ValueError, match="has no partition"):
        data.writer("records", RECORDS_SCHEMA, "r1", "day=2026-11-21")
    with pytest.raises(ValueError, match="unknown table 'nope'"):
        data.writer("nope", RECORDS_SCHEMA, "r1")
