"""Compaction: rewrite a table's many small files (one per run) as few large ones, atomically.

Rows are copied unchanged, in file order; partitions are kept (records and audit: one output file
per ingest day). The old files leave the manifest in the same commit that adds the new ones.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq

from crawler.dataset import FOLDERS, TABLES, Dataset, TableWriter
from crawler.index import INDEX_DOCS_SCHEMA, INDEX_INPUTS_SCHEMA
from crawler.record import AUDIT_SCHEMA, MERGES_SCHEMA, RECORDS_SCHEMA, REJECTS_SCHEMA
from crawler.run_types import new_run_id

SCHEMAS = {
    "records": RECORDS_SCHEMA,
    "audit": AUDIT_SCHEMA,
    "rejects": REJECTS_SCHEMA,
    "merges": MERGES_SCHEMA,
    "_index/docs": INDEX_DOCS_SCHEMA,
    "_index/inputs": INDEX_INPUTS_SCHEMA,
}


def compact(dataset: Dataset, min_files: int = 2) -> dict[str, tuple[int, int]]:
    """Compact every table (and partition) with at least `min_files` files. Call it holding the
    dataset's lock. Returns {table: (files before, files after)} for what was compacted."""
    dataset.recover()
    run_id = "compact-" + new_run_id(datetime.now(UTC))
    written: list[Path] = []
    superseded: list[Path] = []
    done: dict[str, tuple[int, int]] = {}
    for table in TABLES:
        groups: dict[Path, list[Path]] = defaultdict(list)
        for path in dataset.files(table):
            groups[path.parent].append(path)
        before = after = 0
        for folder, files in sorted(groups.items()):
            before += len(files)
            if len(files) < min_files:
                after += len(files)
                continue
            partition = (
                str(folder.relative_to(dataset.root / FOLDERS[table]))
                if folder != dataset.root / FOLDERS[table]
                else None
            )
            writer: TableWriter = dataset.writer(table, SCHEMAS[table], run_id, partition or None)
            for path in files:
                for batch in pq.ParquetFile(path).iter_batches(batch_size=10_000):
                    writer.write(batch.to_pylist())
            if (out := writer.close()) is not None:
                written.append(out)
                after += 1
            superseded += files
        if before != after:
            done[table] = (before, after)
    if written or superseded:
        dataset.commit(run_id, written, {"compaction": done}, superseded)
    return done
