"""A run's staged batches: the Parquet pair each clean-stage batch leaves for `finish`.

One file of staged documents (with audit rows, input hash and MinHash signature) and one of
rejects per batch, in the dataset's staging folder. The names do not end in .parquet, so no
reader's glob over the dataset folder picks them up.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from crawler.record import RECORDS_SCHEMA, REJECTS_SCHEMA

_AUDIT_STRUCT = pa.struct([("line_no", pa.int32()), ("line", pa.string()), ("reason", pa.string())])
STAGED_SCHEMA = pa.schema(
    [
        f
        for f in RECORDS_SCHEMA
        if f.name not in ("doc_id", "sources", "ingested_at", "pipeline_version", "run_id")
    ]
    + [
        pa.field("removed", pa.list_(_AUDIT_STRUCT)),
        pa.field("input_hash", pa.string()),
        pa.field("signature", pa.binary()),
    ]
)
STAGED_REJECTS_SCHEMA = pa.schema(
    [f for f in REJECTS_SCHEMA if f.name not in ("rejected_at", "run_id")]
    + [pa.field("input_hash", pa.string())]
)


def write_batch(
    docs: list[dict[str, Any]], rejects: list[dict[str, Any]], docs_path: str, rejects_path: str
) -> None:
    """Write one batch's staged rows and reject rows."""
    pq.write_table(pa.Table.from_pylist(docs, schema=STAGED_SCHEMA), docs_path)
    pq.write_table(pa.Table.from_pylist(rejects, schema=STAGED_REJECTS_SCHEMA), rejects_path)


def write_docs(docs: list[dict[str, Any]], path: str) -> None:
    """Write staged rows alone (a batch rewritten by finish, such as site-lines stripping)."""
    pq.write_table(pa.Table.from_pylist(docs, schema=STAGED_SCHEMA), path)


def read_docs(path: str, columns: list[str] | None = None) -> pa.Table:
    """A batch's staged documents (all columns, or these)."""
    return pq.read_table(path, columns=columns, schema=STAGED_SCHEMA)


def read_rejects(path: str, columns: list[str] | None = None) -> pa.Table:
    """A batch's staged rejects (all columns, or these)."""
    return pq.read_table(path, columns=columns, schema=STAGED_REJECTS_SCHEMA)


def row_count(path: str) -> int:
    """The rows of a staged file, from its footer."""
    return int(pq.ParquetFile(path).metadata.num_rows)
