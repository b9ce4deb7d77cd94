"""The one table registry: every table of a dataset with its schema, folder and partitioning.

The dataset (crawler/store/dataset.py), compaction, verify and repair all list tables from
here, so a new table is one `Table` line below (and its schema). Schema versions live in
each schema's metadata (`corpus.schema_version`); docs/dataset.md describes every column.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pyarrow as pa

from crawler.record import (
    AUDIT_SCHEMA,
    MERGES_SCHEMA,
    RECORDS_SCHEMA,
    REJECTS_SCHEMA,
    REVISIONS_SCHEMA,
    SCHEMA_VERSION,
)

INDEX_DOCS_SCHEMA = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("content_hash", pa.string(), nullable=False),
        pa.field("word_count", pa.int32(), nullable=False),
        pa.field("signature", pa.binary(), nullable=False),  # num_perm little-endian uint32
    ],
    metadata={"corpus.schema_version": SCHEMA_VERSION, "corpus.table": "index_docs"},
)

INDEX_INPUTS_SCHEMA = pa.schema(
    [
        pa.field("source_uri", pa.string(), nullable=False),
        pa.field("input_hash", pa.string(), nullable=False),  # sha256 of the input's bytes
        pa.field("outcome", pa.string(), nullable=False),  # "record" | "merged" | "rejected"
        pa.field("doc_id", pa.string()),
        pa.field("run_id", pa.string(), nullable=False),
    ],
    metadata={"corpus.schema_version": SCHEMA_VERSION, "corpus.table": "index_inputs"},
)

URL_STATES_SCHEMA = pa.schema(
    [
        pa.field("url", pa.string(), nullable=False),  # canonical, redacted
        pa.field("state", pa.string(), nullable=False),  # "gone" | "listing" | "article"
        pa.field("status", pa.int32(), nullable=False),  # the HTTP status seen
        pa.field("seen_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        # an "article" row's validators, sent back as If-None-Match / If-Modified-Since
        pa.field("etag", pa.string()),
        pa.field("last_modified", pa.string()),
    ],
    metadata={"corpus.schema_version": SCHEMA_VERSION, "corpus.table": "index_urls"},
)

# Per site, on how many pages of one run each paragraph of the kept text occurred (64-bit key
# of its word tokens); summed over runs, it tells site chrome from articles
# (crawler/dedup/site_lines.py).
SITE_LINES_SCHEMA = pa.schema(
    [
        pa.field("site", pa.string(), nullable=False),  # host without "www."
        pa.field("line_hash", pa.uint64(), nullable=False),
        pa.field("pages", pa.int32(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
    ],
    metadata={"corpus.schema_version": SCHEMA_VERSION, "corpus.table": "index_site_lines"},
)


@dataclass(frozen=True)
class Table:
    """One table of a dataset."""

    name: str  # how the code and the manifest name it
    schema: pa.Schema
    folder: str  # under the dataset root; side tables' folders start with `_`
    partition_by: str | None = None  # Hive-style partition column of its folders, if any

    @property
    def version(self) -> str:
        """The schema version its files are written with."""
        version: bytes = (self.schema.metadata or {})[b"corpus.schema_version"]
        return version.decode()

    def partition(self, day: date | str) -> str | None:
        """The partition folder of rows ingested on `day` ("ingest_date=2026-11-21"), or None
        for an unpartitioned table."""
        return f"{self.partition_by}={day}" if self.partition_by else None


REGISTRY: dict[str, Table] = {
    t.name: t
    for t in (
        Table("records", RECORDS_SCHEMA, "records", "ingest_date"),
        Table("audit", AUDIT_SCHEMA, "_audit", "ingest_date"),
        Table("rejects", REJECTS_SCHEMA, "_rejects"),
        Table("merges", MERGES_SCHEMA, "_merges"),
        Table("_index/docs", INDEX_DOCS_SCHEMA, "_index/docs"),
        Table("_index/inputs", INDEX_INPUTS_SCHEMA, "_index/inputs"),
        Table("_index/urls", URL_STATES_SCHEMA, "_index/urls"),
        Table("_index/site_lines", SITE_LINES_SCHEMA, "_index/site_lines"),
        Table("revisions", REVISIONS_SCHEMA, "_revisions"),
    )
}


def table(name: str) -> Table:
    """The registered table `name`; ValueError for an unknown one."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown table {name!r}") from None
