import json
import multiprocessing
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as pads
import pytest

from crawler.errors import DatasetDamagedError, DatasetLockedError
from crawler.record import REJECTS_SCHEMA, SCHEMA_VERSION
from crawler.store.dataset import Dataset


def rejects(n: int, run_id: str) -> pa.Table:
    from datetime import UTC, datetime

    rows = [
        {
            "source_uri": f"file:///x/{i}",
            "reason": "empty",
            "detail": "",
            "size_bytes": 0,
            "rejected_at": datetime.now(UTC),
            "run_id": run_id,
        }
        for i in range(n)
    ]
    return pa.Table.from_pylist(rows, schema=REJECTS_SCHEMA)


def visible_rows(root: Path) -> int:
    folder = root / "_rejects"
    return pads.dataset(folder, format="parquet").count_rows() if folder.exists() else 0


def test_commit_then_read_back(tmp_path: Path) -> None:
    ds = Dataset(tmp_path)
    ds.commit("r1", ds.write_tables("r1", {"rejects": rejects(3, "r1")}), {"note": 1})
    ds.commit("r2", ds.write_tables("r2", {"rejects": rejects(2, "r2")}), {})
    assert ds.read("rejects", REJECTS_SCHEMA).num_rows == 5
    assert [r["run_id"] for r in ds.manifest()["runs"]] == ["r1", "r2"]
    assert visible_rows(tmp_path) == 5


def test_recommitting_a_run_is_a_no_op(tmp_path: Path) -> None:
    ds = Dataset(tmp_path)
    ds.commit("r1", ds.write_tables("r1", {"rejects": rejects(3, "r1")}), {})
    assert ds.commit("r1", ds.write_tables("r1", {"rejects": rejects(3, "r1")}), {}) == []
    assert ds.read("rejects", REJECTS_SCHEMA).num_rows == 3


def test_uncommitted_files_are_invisible_and_removed(tmp_path: Path) -> None:
    ds = Dataset(tmp_path)
    ds.commit("r1", ds.write_tables("r1", {"rejects": rejects(1, "r1")}), {})
    # a run that died before its manifest: only hidden temp files, which no reader sees
    orphan = tmp_path / "_rejects" / ".part-r2.parquet.tmp"
    orphan.write_bytes(b"partial")
    assert ds.read("rejects", REJECTS_SCHEMA).num_rows == 1
    actions = ds.recover()
    assert not orphan.exists() and len(actions) == 1
    assert visible_rows(tmp_path) == 1


def test_a_visible_file_the_manifest_does_not_list_is_damage_not_deleted(tmp_path: Path) -> None:
    ds = Dataset(tmp_path)
    ds.commit("r1", ds.write_tables("r1", {"rejects": rejects(1, "r1")}), {})
    stray = tmp_path / "_rejects" / "part-r3.parquet"  # not proven uncommitted: keep it
    stray.write_bytes(b"junk")
    with pytest.raises(DatasetDamagedError, match=r"part-r3.parquet.*corpus repair"):
        ds.recover()
    assert stray.read_bytes() == b"junk"


def test_recover_finishes_a_committed_run(tmp_path: Path) -> None:
    ds = Dataset(tmp_path)
    ds.commit("r1", ds.write_tables("r1", {"rejects": rejects(2, "r1")}), {})
    final = tmp_path / "_rejects" / "part-r1.parquet"
    final.rename(tmp_path / "_rejects" / ".part-r1.parquet.tmp")  # died after the commit point
    ds.recover()
    assert final.exists() and visible_rows(tmp_path) == 2


def _hold_lock(
    root: str, ready: "multiprocessing.synchronize.Event", done: "multiprocessing.synchronize.Event"
) -> None:
    with Dataset(root).lock():
        ready.set()
        done.wait(10)


def test_lock_excludes_a_second_writer(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    ready, done = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(str(tmp_path), ready, done))
    holder.start()
    try:
        assert ready.wait(120)  # a bound against a hang: spawning is slow on a busy machine
        with (
            pytest.raises(DatasetLockedError, match="being written by pid"),
            Dataset(tmp_path).lock(),
        ):
            pass
    finally:
        done.set()
        holder.join(10)
    with Dataset(tmp_path).lock():  # released when the holder ended
        pass


def test_manifest_is_plain_json(tmp_path: Path) -> None:
    ds = Dataset(tmp_path)
    ds.commit("r1", ds.write_tables("r1", {"rejects": rejects(1, "r1")}), {"inputs": 1})
    data = json.loads((tmp_path / "_manifest.json").read_text())
    assert data["files"]["rejects"] == ["_rejects/part-r1.parquet"]
    assert data["schema_version"] == SCHEMA_VERSION


def test_recover_removes_uncommitted_files_in_partitions(tmp_path: Path) -> None:
    ds = Dataset(tmp_path)
    ds.commit("r1", ds.write_tables("r1", {"rejects": rejects(1, "r1")}), {})
    partition = tmp_path / "records" / "ingest_date=2026-01-01"
    partition.mkdir(parents=True)
    orphan = partition / ".part-r2.parquet.tmp"  # a run killed while writing its records
    orphan.write_bytes(b"partial")
    manifest_tmp = tmp_path / "._manifest.json.tmp"  # killed while writing its manifest
    manifest_tmp.write_text("{")
    assert len(ds.recover()) == 2
    assert not orphan.exists() and not manifest_tmp.exists()
    assert visible_rows(tmp_path) == 1


def test_a_committed_file_not_yet_renamed_is_read_by_its_hidden_name(tmp_path: Path) -> None:
    ds = Dataset(tmp_path)
    ds.commit("r1", ds.write_tables("r1", {"rejects": rejects(2, "r1")}), {})
    final = tmp_path / "_rejects" / "part-r1.parquet"
    final.rename(tmp_path / "_rejects" / ".part-r1.parquet.tmp")  # died after the commit point
    assert ds.read("rejects", REJECTS_SCHEMA).num_rows == 2
    ds.recover()
    assert ds.files("rejects") == [final]


def test_a_first_run_killed_before_its_commit_is_cleaned_up(tmp_path: Path) -> None:
    # no manifest yet: hidden files of a run that left its staging area are its own leftovers
    (tmp_path / "_staging" / "r1").mkdir(parents=True)
    orphan = tmp_path / "_rejects" / ".part-r1.parquet.tmp"
    orphan.parent.mkdir()
    orphan.write_bytes(b"partial")
    unknown = tmp_path / "_rejects" / ".part-r0.parquet.tmp"  # no staging: not proven
    unknown.write_bytes(b"whose?")
    Dataset(tmp_path).recover()
    assert not orphan.exists() and unknown.exists()


def test_older_manifests_get_sizes_and_checksums(tmp_path: Path) -> None:
    ds = Dataset(tmp_path)
    ds.commit("r1", ds.write_tables("r1", {"rejects": rejects(2, "r1")}), {})
    manifest = json.loads((tmp_path / "_manifest.json").read_text())
    del manifest["file_info"]
    (tmp_path / "_manifest.json").write_text(json.dumps(manifest))
    assert "recorded sizes and checksums of the committed files" in ds.recover()
    info = ds.manifest()["file_info"]["_rejects/part-r1.parquet"]
    assert info["rows"] == 2 and info["run_id"] == "r1" and len(info["sha256"]) == 64


def test_manifest_figures_and_tables_from_the_first_run(seeds_copy: Path, tmp_path: Path) -> None:
    import duckdb

    from crawler.run.ingest import run_ingest

    out = tmp_path / "corpus"
    first = run_ingest([str(seeds_copy)], out)
    manifest = json.loads((out / "_manifest.json").read_text())
    assert first.total_records == manifest["total_records"] == 4
    assert manifest["runs"][-1]["total_records"] == 4
    # every table has a file from the first commit (the seeds have no rejects): globs work
    for folder in ("records", "_audit", "_rejects", "_merges", "_index/docs", "_index/inputs"):
        duckdb.sql(f"SELECT count(*) FROM '{out}/{folder}/**/*.parquet'").fetchall()
    (rejected,) = duckdb.sql(f"SELECT count(*) FROM '{out}/_rejects/*.parquet'").fetchall()[0]
    assert rejected == 0
    again = run_ingest([str(seeds_copy)], out)  # changes nothing
    assert again.total_records == 4 and again.added == 0
    assert json.loads((out / "_manifest.json").read_text()) == manifest  # no run entry added


def test_a_writer_takes_rows_and_arrow_tables_in_the_order_written(tmp_path: Path) -> None:
    from crawler.store.dataset import TableWriter

    writer = TableWriter(tmp_path / "t.parquet", REJECTS_SCHEMA, "r1", rows_per_group=4)
    first, rest = rejects(3, "r1").to_pylist(), rejects(6, "r1")
    writer.write(first[:1])
    # a table's columns are taken by name, in any order
    writer.write_table(rest.slice(0, 2).select(list(reversed(REJECTS_SCHEMA.names))))
    writer.write(first[1:])
    writer.write_table(rest.slice(2))
    path = writer.close()
    assert path is not None and writer.count == 9
    writer.hidden.rename(path)
    import pyarrow.parquet as pq

    written = pq.read_table(path)
    assert written.to_pylist() == first[:1] + rest.slice(0, 2).to_pylist() + first[1:] + (
        rest.slice(2).to_pylist()
    )
    # buffered up to a row group of at least 4 rows: 1 + 2 + 2 = 5, then the last 4
    assert [written_group.num_rows for written_group in _groups(path)] == [5, 4]


def test_a_table_of_another_type_is_refused(tmp_path: Path) -> None:
    from crawler.store.dataset import TableWriter

    writer = TableWriter(tmp_path / "t.parquet", REJECTS_SCHEMA, "r1", rows_per_group=4)
    table = rejects(2, "r1")
    wrong = table.set_column(3, "size_bytes", table["size_bytes"].cast(pa.string()))
    with pytest.raises((pa.ArrowInvalid, pa.ArrowTypeError, TypeError)):
        writer.write_table(wrong)


def _groups(path: Path) -> list[pa.Table]:
    import pyarrow.parquet as pq

    file = pq.ParquetFile(path)
    return [file.read_row_group(i) for i in range(file.num_row_groups)]
