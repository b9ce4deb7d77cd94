"""`corpus export`: a consumer-ready copy of a dataset's records, through a sink.

The latest committed row of each record (by `ingested_at`, then commit order), the chosen
columns in the chosen order, streamed file by file. Adding a format: one sink module and one
line in FORMATS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from crawler.errors import ConfigError
from crawler.schemas import table
from crawler.store.dataset import Dataset
from crawler.store.jsonl import JsonlSink
from crawler.store.parquet_file import ParquetFileSink
from crawler.store.sinks import Sink
from crawler.store.snapshot import Snapshot, snapshot

SinkFactory = Callable[[Path | None, pa.Schema], Sink]
FORMATS: dict[str, SinkFactory] = {
    "jsonl": JsonlSink,
    "parquet": ParquetFileSink,
}
BATCH_ROWS = 5_000  # rows per read and write: bounds memory whatever the dataset's size
_ID_SCHEMA = pa.schema(
    [table("records").schema.field("doc_id"), table("records").schema.field("ingested_at")]
)


def export_records(
    dataset: Dataset,
    fmt: str,
    columns: list[str] | None = None,
    out: Path | None = None,
    history: bool = False,
) -> int:
    """Write the dataset's latest records as `fmt` to `out` (None: standard output); the
    number of records written. `history`: the revisions newer texts replaced too (after the
    records). ConfigError for an unknown format or column, or an `out` inside the dataset;
    DatasetDamagedError when a committed file cannot be read."""
    records = table("records").schema
    schema = export_schema(records, columns)
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r} (known: {', '.join(FORMATS)})")
    if out is not None:
        if out.resolve().is_relative_to(dataset.root):
            raise ConfigError(f"{out}: the export must be written outside the dataset")
        if out.is_dir():
            raise ConfigError(f"{out} is a directory: give a file name")
        out.parent.mkdir(parents=True, exist_ok=True)
    sink = FORMATS[fmt](out, schema)
    written = 0
    try:
        with snapshot(dataset, ["records", "revisions"]) as files:
            for rows in latest_rows(files, schema.names):
                sink.write(rows)
                written += len(rows)
            for rows in revision_rows(files, schema.names) if history else ():
                sink.write(rows)
                written += len(rows)
    except BaseException:
        sink.abort()
        raise
    sink.close()
    return written


def export_schema(records: pa.Schema, columns: list[str] | None) -> pa.Schema:
    """The records' schema cut to `columns`, in their order (all columns when None)."""
    if not columns:
        return records
    unknown = [c for c in columns if c not in records.names]
    if unknown:
        raise ConfigError(
            f"unknown column(s): {', '.join(unknown)} (records have: {', '.join(records.names)})"
        )
    if len(set(columns)) != len(columns):
        raise ConfigError(f"a column is named twice in --columns: {','.join(columns)}")
    return pa.schema([records.field(c) for c in columns], metadata=records.metadata)


def latest_rows(files: Snapshot, columns: list[str]) -> Iterator[list[dict[str, Any]]]:
    """Batches of the snapshot's records (these columns), the latest row of each doc_id only."""
    records = table("records").schema
    paths = files.paths("records")
    try:
        winners = _latest_file_of_repeated(files, records)
        emitted: set[str] = set()

        def keep(doc_id: str, index: int) -> bool:
            """Whether this is the row of `doc_id` to write (once, from its latest file)."""
            if doc_id not in winners:
                return True
            if winners[doc_id] != index or doc_id in emitted:
                return False
            emitted.add(doc_id)
            return True

        read = columns if not winners else list(dict.fromkeys([*columns, "doc_id"]))
        for index in range(len(paths)):
            for batch in files.batches("records", index, records, read, BATCH_ROWS):
                rows = batch.to_pylist()
                if winners:
                    rows = [{c: r[c] for c in columns} for r in rows if keep(r["doc_id"], index)]
                if rows:
                    yield rows
    except (OSError, pa.ArrowException) as exc:
        raise files.dataset.damaged_file_error(paths, exc) from None


def revision_rows(files: Snapshot, columns: list[str]) -> Iterator[list[dict[str, Any]]]:
    """Batches of the snapshot's replaced revisions (`_revisions`), these columns."""
    revisions = table("revisions").schema
    paths = files.paths("revisions")
    try:
        for index in range(len(paths)):
            for batch in files.batches("revisions", index, revisions, columns, BATCH_ROWS):
                if batch.num_rows:
                    yield batch.to_pylist()
    except (OSError, pa.ArrowException) as exc:
        raise files.dataset.damaged_file_error(paths, exc) from None


def _latest_file_of_repeated(files: Snapshot, schema: pa.Schema) -> dict[str, int]:
    """For each doc_id in more than one row: the index of the file holding its latest row
    (max ingested_at, then the later commit). Empty when every doc_id is unique (the rule)."""
    count = len(files.paths("records"))
    if not count:
        return {}
    parts = []
    for index in range(count):
        batches = files.batches("records", index, schema, ["doc_id", "ingested_at"], BATCH_ROWS)
        ids = pa.Table.from_batches(list(batches), schema=_ID_SCHEMA)
        parts.append(ids.append_column("file", pa.array([index] * ids.num_rows, pa.int32())))
    keys = pa.concat_tables(parts)
    counts = keys.group_by("doc_id").aggregate([("doc_id", "count")])
    repeated = counts.filter(pc.greater(counts["doc_id_count"], 1))["doc_id"]
    if len(repeated) == 0:
        return {}
    rows = keys.filter(pc.is_in(keys["doc_id"], repeated)).to_pylist()
    latest: dict[str, tuple[Any, int]] = {}
    for row in rows:
        key = (row["ingested_at"], row["file"])
        if row["doc_id"] not in latest or key >= latest[row["doc_id"]]:
            latest[row["doc_id"]] = key
    return {doc_id: file for doc_id, (_, file) in latest.items()}
