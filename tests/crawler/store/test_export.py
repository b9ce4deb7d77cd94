"""The sink interface and `corpus export` (crawler/store/): JSON Lines and Parquet copies of a
dataset's latest records, read back and compared with the dataset's own rows."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from crawler.errors import ConfigError, DatasetDamagedError
from crawler.record import RECORDS_SCHEMA
from crawler.store.compact import compact
from crawler.store.dataset import Dataset, TableWriter
from crawler.store.export import FORMATS, export_records
from crawler.store.jsonl import JsonlSink
from crawler.store.parquet_file import ParquetFileSink
from crawler.store.sinks import Sink
from flows.cli import main


def parquet_rows(root: Path) -> list[dict[str, Any]]:
    rows = Dataset(root).read("records", RECORDS_SCHEMA).to_pylist()
    return sorted(rows, key=lambda r: r["doc_id"])


def as_json(row: dict[str, Any]) -> dict[str, Any]:
    """A Parquet row as the JSONL export should give it: ISO dates, float32 as written."""
    out = {}
    for key, value in row.items():
        if isinstance(value, datetime):
            value = value.isoformat()
        elif key == "removed_ratio":
            value = float(str(np.float32(value)))
        out[key] = value
    return out


def test_every_sink_is_a_sink(tmp_path: Path) -> None:
    assert isinstance(TableWriter(tmp_path / "t.parquet", RECORDS_SCHEMA, "r", 10), Sink)
    assert isinstance(JsonlSink(tmp_path / "a.jsonl", RECORDS_SCHEMA), Sink)
    assert isinstance(ParquetFileSink(tmp_path / "a.parquet", RECORDS_SCHEMA), Sink)
    assert set(FORMATS) == {"jsonl", "parquet"}


def test_jsonl_export_reads_back_as_the_parquet_rows(seeds_dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "records.jsonl"
    assert export_records(Dataset(seeds_dataset), "jsonl", out=out) == 4
    raw = out.read_bytes()
    text = raw.decode("utf-8")
    assert "‘" in text and "\\u" not in text  # UTF-8 as is, not \u escapes
    lines = text.splitlines()
    exported = [json.loads(line) for line in lines]
    assert all(list(row) == RECORDS_SCHEMA.names for row in exported)  # stable key order
    expected = [as_json(row) for row in parquet_rows(seeds_dataset)]
    assert sorted(exported, key=lambda r: r["doc_id"]) == expected
    assert exported[0]["ingested_at"].endswith("+00:00")  # ISO 8601 with its zone
    assert not list(tmp_path.glob(".*"))  # no temporary left beside it


def test_columns_are_chosen_and_ordered(seeds_dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    export_records(Dataset(seeds_dataset), "jsonl", ["title", "doc_id", "published_at"], out)
    exported = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [list(row) for row in exported] == [["title", "doc_id", "published_at"]] * 4
    expected = {r["doc_id"]: r["title"] for r in parquet_rows(seeds_dataset)}
    assert {r["doc_id"]: r["title"] for r in exported} == expected


def test_parquet_export_is_one_file_of_the_same_rows(seeds_dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    assert export_records(Dataset(seeds_dataset), "parquet", ["doc_id", "text"], out) == 4
    table = pq.read_table(out)
    assert table.schema.names == ["doc_id", "text"]
    got = sorted(table.to_pylist(), key=lambda r: r["doc_id"])
    assert got == [{"doc_id": r["doc_id"], "text": r["text"]} for r in parquet_rows(seeds_dataset)]


BASE_ROW = {name: None for name in RECORDS_SCHEMA.names} | {
    "text": "t",
    "authors": [],
    "source_uri": "u",
    "sources": ["u"],
    "source_kind": "text",
    "word_count": 1,
    "content_hash": "h",
    "ingested_at": datetime(2026, 11, 21, tzinfo=UTC),
    "pipeline_version": "v",
    "captions": [],
    "removed_ratio": 0.0,
    "run_id": "r",
}


def test_the_latest_row_of_a_record_wins(tmp_path: Path) -> None:
    dataset = Dataset(tmp_path / "c")
    base = BASE_ROW
    for run, (title, day) in enumerate([("new", 9), ("old", 2), ("only", 5)]):
        doc_id = "other" if title == "only" else "same"
        row = base | {"doc_id": doc_id, "title": title, "run_id": f"r{run}"}
        row["ingested_at"] = datetime(2026, 11, day, tzinfo=UTC)
        writer = dataset.writer("records", RECORDS_SCHEMA, f"r{run}", f"ingest_date=2026-11-{day}")
        writer.write([row])
        dataset.commit(f"r{run}", [writer.close() or Path()], {})
    out = tmp_path / "r.jsonl"
    assert export_records(dataset, "jsonl", ["doc_id", "title"], out) == 2
    exported = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(exported, key=lambda r: r["doc_id"]) == [
        {"doc_id": "other", "title": "only"},
        {"doc_id": "same", "title": "new"},  # ingested last, though committed first
    ]


def test_a_compaction_committed_during_an_export_takes_no_file_from_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Export reads the files of one commit: the compaction below swaps them out (and deletes
    them) after the first batch was written, and the export still writes every record."""
    dataset = Dataset(tmp_path / "c")
    for run in range(3):
        row = BASE_ROW | {"doc_id": f"d{run}", "title": f"t{run}", "run_id": f"r{run}"}
        row["ingested_at"] = datetime(2026, 11, 9, run, tzinfo=UTC)
        writer = dataset.writer("records", RECORDS_SCHEMA, f"r{run}", "ingest_date=2026-11-09")
        writer.write([row])
        dataset.commit(f"r{run}", [writer.close() or Path()], {})
    before = dataset.files("records")
    compacted: list[dict[str, tuple[int, int]]] = []

    class CompactingSink(JsonlSink):
        def write(self, rows: list[dict[str, Any]]) -> None:
            super().write(rows)
            if not compacted:
                compacted.append(compact(dataset))

    monkeypatch.setitem(FORMATS, "jsonl", CompactingSink)
    out = tmp_path / "r.jsonl"
    assert export_records(dataset, "jsonl", ["doc_id", "title"], out) == 3
    assert compacted == [{"records": (3, 1)}] and not any(p.exists() for p in before)
    exported = sorted(json.loads(line)["title"] for line in out.read_text().splitlines())
    assert exported == ["t0", "t1", "t2"]


def test_bad_requests_are_config_errors(seeds_dataset: Path, tmp_path: Path) -> None:
    dataset = Dataset(seeds_dataset)
    with pytest.raises(ConfigError, match=r"unknown column\(s\): nope \(records have: doc_id"):
        export_records(dataset, "jsonl", ["doc_id", "nope"], tmp_path / "x.jsonl")
    with pytest.raises(ConfigError, match="unknown export format 'csv'"):
        export_records(dataset, "csv", None, tmp_path / "x.csv")
    with pytest.raises(ConfigError, match="outside the dataset"):
        export_records(dataset, "jsonl", None, seeds_dataset / "records" / "x.jsonl")
    with pytest.raises(ConfigError, match="give --output FILE"):
        export_records(dataset, "parquet", None, None)
    assert not list(tmp_path.iterdir()) and not list(seeds_dataset.rglob("*.jsonl"))


def test_a_damaged_records_file_is_named_and_nothing_is_left(
    seeds_dataset: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "c"
    shutil.copytree(seeds_dataset, copy)
    victim = next((copy / "records").rglob("*.parquet"))
    victim.write_bytes(victim.read_bytes()[:200])
    with pytest.raises(DatasetDamagedError, match=r"records/.*cannot be read"):
        export_records(Dataset(copy), "jsonl", None, tmp_path / "out" / "r.jsonl")
    assert not list((tmp_path / "out").iterdir())  # no half file, no temporary


def test_cli_export_to_stdout_and_file_with_exit_codes(
    seeds_dataset: Path, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    ds = str(seeds_dataset)
    assert main(["export", "--out", ds, "--columns", "doc_id, title"]) == 0
    lines = capsysbinary.readouterr().out.decode("utf-8").splitlines()
    assert len(lines) == 4 and all(list(json.loads(line)) == ["doc_id", "title"] for line in lines)
    out = tmp_path / "r.jsonl"
    assert main(["export", "--out", ds, "--format", "jsonl", "-o", str(out)]) == 0
    assert capsysbinary.readouterr().err.decode() == f"exported 4 records to {out}\n"
    assert len(out.read_text().splitlines()) == 4
    assert main(["export", "--out", ds, "--columns", "doc_id,bogus"]) == 2
    err = capsysbinary.readouterr().err.decode()
    assert err.startswith("corpus: error: unknown column(s): bogus") and err.count("\n") == 1
    with pytest.raises(SystemExit) as usage:
        main(["export", "--out", ds, "--format", "csv"])
    assert usage.value.code == 2
    assert b"invalid choice: 'csv'" in capsysbinary.readouterr().err
    assert main(["export", "--out", str(tmp_path / "none")]) == 2
    copy = tmp_path / "c"
    shutil.copytree(seeds_dataset, copy)
    (copy / "_manifest.json").unlink()
    assert main(["export", "--out", str(copy)]) == 4


def test_a_reader_that_stops_early_is_no_error(tmp_path: Path) -> None:
    """`corpus export | head -1`: exit 0 and nothing on stderr when the pipe closes."""
    dataset = Dataset(tmp_path / "c")
    writer = dataset.writer("records", RECORDS_SCHEMA, "r", "ingest_date=2026-11-21")
    writer.write([BASE_ROW | {"doc_id": str(n), "text": "word " * 5000} for n in range(100)])
    dataset.commit("r", [writer.close() or Path()], {})
    corpus = Path(sys.executable).parent / "corpus"
    export = subprocess.Popen(
        [str(corpus), "export", "--out", str(dataset.root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert export.stdout is not None and export.stderr is not None
    assert export.stdout.readline().startswith(b'{"doc_id": "')
    export.stdout.close()  # 2.5 MB unread: the next writes meet a closed pipe
    assert export.wait(timeout=120) == 0
    assert export.stderr.read() == b""
