"""crawler.model: the one metadata type and the record it becomes."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime

from crawler.model import Document, Meta, Removal
from crawler.record import RECORDS_SCHEMA
from crawler.store.staged import STAGED_SCHEMA


def test_meta_fields_are_record_columns_under_the_same_names() -> None:
    names = [f.name for f in fields(Meta)]
    assert set(names) <= set(RECORDS_SCHEMA.names)
    assert set(names) <= set(STAGED_SCHEMA.names)


def test_a_document_row_has_its_metadata_as_columns() -> None:
    meta = Meta(title="T", authors=["A"], published_at=datetime(2024, 1, 2, tzinfo=UTC))
    doc = Document("file:///x.txt", "text", "body", meta, removed=[Removal(0, "Menu", "nav")])
    row = doc.to_row()
    assert "meta" not in row
    assert (row["title"], row["authors"], row["published_at"]) == ("T", ["A"], meta.published_at)
    assert row["removed"] == [{"line_no": 0, "line": "Menu", "reason": "nav"}]
