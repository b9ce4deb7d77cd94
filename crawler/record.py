"""The explicit Parquet schemas of the dataset's tables, and the record id. The values behind a
record (Meta, Document) are in `crawler.model`."""

from __future__ import annotations

import hashlib

import pyarrow as pa

# Bump on any change to a schema below, and say what changed in docs/dataset.md.
SCHEMA_VERSION = "2"

RECORDS_SCHEMA = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("title", pa.string()),
        pa.field("publisher", pa.string()),
        pa.field("authors", pa.list_(pa.string()), nullable=False),
        pa.field("published_at", pa.timestamp("us", tz="UTC")),
        pa.field("date_text", pa.string()),
        pa.field("language", pa.string()),
        pa.field("url", pa.string()),
        pa.field("source_uri", pa.string(), nullable=False),
        pa.field("sources", pa.list_(pa.string()), nullable=False),
        pa.field("source_kind", pa.string(), nullable=False),
        pa.field("word_count", pa.int32(), nullable=False),
        pa.field("content_hash", pa.string(), nullable=False),
        pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("pipeline_version", pa.string(), nullable=False),
        # Additions to the starting contract (record-schema.md allows new columns):
        pa.field("captions", pa.list_(pa.string()), nullable=False),
        pa.field("removed_ratio", pa.float32(), nullable=False),  # share of input chars removed
        pa.field("run_id", pa.string(), nullable=False),
        # Where the page was fetched and its raw response archived (WARC/ARC ingest, crawls):
        # crawler.model.Capture; null for loose files.
        pa.field("fetched_url", pa.string()),
        pa.field("fetched_at", pa.timestamp("us", tz="UTC")),
        pa.field("http_content_type", pa.string()),
        pa.field("http_charset", pa.string()),
        pa.field("warc_file", pa.string()),
        pa.field("warc_offset", pa.int64()),
        pa.field("warc_record_id", pa.string()),
        # Revisions (docs/dataset.md#revisions); null in rows written before they existed:
        pa.field("revision", pa.int32()),  # 1 for a source's first text, +1 for each change
        pa.field("previous_doc_id", pa.string()),  # the revision this one replaced
        pa.field("seen_at", pa.timestamp("us", tz="UTC")),  # when this revision was first seen
    ],
    metadata={"corpus.schema_version": SCHEMA_VERSION, "corpus.table": "records"},
)

# The revisions a newer text of the same source replaced: record rows, moved out of `records`
# (whose default view is the latest revision of every article) in the commit that replaced them.
REVISIONS_SCHEMA = RECORDS_SCHEMA.with_metadata(
    {"corpus.schema_version": SCHEMA_VERSION, "corpus.table": "revisions"}
)

# One row per removed line of every input that produced a record (or was merged into one).
# No `text` column on purpose: tools that scan every Parquet file for text+source_uri
# (eval/score.py) must not take removed lines for article text.
AUDIT_SCHEMA = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("source_uri", pa.string(), nullable=False),
        pa.field("line_no", pa.int32(), nullable=False),
        pa.field("line", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
    ],
    metadata={"corpus.schema_version": SCHEMA_VERSION, "corpus.table": "audit"},
)

# One row per input that produced no record.
REJECTS_SCHEMA = pa.schema(
    [
        pa.field("source_uri", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("detail", pa.string(), nullable=False),
        pa.field("size_bytes", pa.int64()),
        pa.field("rejected_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
    ],
    metadata={"corpus.schema_version": SCHEMA_VERSION, "corpus.table": "rejects"},
)

# One row per input merged into a record as a duplicate (exact or near).
MERGES_SCHEMA = pa.schema(
    [
        pa.field("source_uri", pa.string(), nullable=False),
        pa.field("doc_id", pa.string(), nullable=False),  # the record it merged into
        pa.field("kind", pa.string(), nullable=False),  # "exact" | "near"
        pa.field("similarity", pa.float32(), nullable=False),  # containment of the smaller text
        pa.field("merged_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
    ],
    metadata={"corpus.schema_version": SCHEMA_VERSION, "corpus.table": "merges"},
)


def make_doc_id(content_hash: str) -> str:
    """Stable id of a record: derived from the kept text only, so the same inputs give the same
    id on every run and in any order."""
    return hashlib.sha256(b"corpus-doc:" + content_hash.encode()).hexdigest()[:32]
