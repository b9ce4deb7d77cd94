"""Which documents of a run are new revisions of articles the dataset has (docs/dataset.md).

A document is a revision when its source, or its canonical URL, is the kept source of a
committed record (a newer dump of a known article, a re-crawled page) and its text differs
(another content hash). A revision is not a duplicate: the dedup may have merged it into its
own older text, or near another record; it becomes a record anyway, with the next revision
number and its predecessor's doc_id, and the predecessor moves to `_revisions` in the same
commit. Only an exact copy of another record stays a merge (two records never share a text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from crawler.dedup.resolution import EXACT, NEAR, Resolution
from crawler.record import make_doc_id
from crawler.store.dataset import Dataset
from crawler.store.revisions import Latest, latest_records
from crawler.store.staged import read_docs

_COLUMNS = ["source_uri", "url", "content_hash"]


@dataclass
class Revisions:
    """The run's revisions: {new doc_id: the record it replaces}."""

    previous: dict[str, Latest] = field(default_factory=dict)

    def columns(self, doc_id: str, now: datetime) -> dict[str, Any]:
        """The revision columns of the run's record `doc_id`."""
        before = self.previous.get(doc_id)
        return {
            "revision": before.revision + 1 if before else 1,
            "previous_doc_id": before.doc_id if before else None,
            "seen_at": now,
        }

    def replaced(self) -> set[str]:
        return {p.doc_id for p in self.previous.values()}


def plan_revisions(dataset: Dataset, docs_paths: list[str], resolution: Resolution) -> Revisions:
    """Find the run's revisions and make each a record in `resolution` (see the module doc);
    the resolution's rows are those of `docs_paths`, one after the other."""
    revisions = Revisions()
    if not dataset.files("records"):
        return revisions
    by_source, by_url = latest_records(dataset)
    tables = [read_docs(p, _COLUMNS) for p in docs_paths]
    rows = pa.concat_tables(tables).to_pylist() if tables else []
    taken: set[str] = set()
    for i in sorted(range(len(rows)), key=lambda k: str(rows[k]["source_uri"])):
        row = rows[i]
        before = by_source.get(row["source_uri"]) or (
            by_url.get(row["url"]) if row["url"] else None
        )
        if before is None or before.content_hash == row["content_hash"]:
            continue
        if before.doc_id in taken:
            continue  # two documents of one run claim one article: the first is its revision
        if resolution.kind[i] == EXACT:
            continue  # a copy of another record's text
        if resolution.kind[i] == NEAR:
            resolution.make_record(i, make_doc_id(row["content_hash"]))
        revisions.previous[resolution.doc_id(i)] = before
        taken.add(before.doc_id)
    return revisions
