"""Decide, for the documents of one run, which are new records and which merge into an existing
or a new record, as exact or near duplicates.

Documents are visited most complete first (most words, then content hash), so the kept text of
a group is its fullest version and the outcome does not depend on input order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from crawler.dedup.index import DedupIndex
from crawler.dedup.minhash import U64, containment, shingle_set
from crawler.record import make_doc_id


@dataclass(frozen=True)
class Merge:
    source_uri: str
    doc_id: str
    kind: str  # "exact" | "near"
    similarity: float


@dataclass
class Resolution:
    new_records: dict[str, int] = field(default_factory=dict)  # doc_id -> index of its row
    sources: dict[str, list[str]] = field(default_factory=dict)  # new doc_id -> merged sources
    merges: list[Merge] = field(default_factory=list)
    doc_of_source: dict[str, str] = field(default_factory=dict)  # every source -> its doc_id
    kept_sources: set[str] = field(default_factory=set)  # sources whose text became a record


def visit_order(row: Mapping[str, Any]) -> tuple[int, str, str]:
    return (-int(row["word_count"]), str(row["content_hash"]), str(row["source_uri"]))


def resolve(
    rows: Sequence[Mapping[str, Any]],
    text_of: Callable[[int], str],
    index: DedupIndex,
    existing_texts: Callable[[list[str]], dict[str, str]],
    shingle_size: int,
    threshold: float,
    cache_size: int = 4096,
) -> Resolution:
    """Group the staged rows (source_uri, content_hash, word_count, signature; `text_of(i)` is
    row i's text) against each other and against the committed records in `index` (which it
    extends). Shingle sets are computed only for candidate pairs, and only a bounded number are
    cached, so memory does not grow with the run."""
    result = Resolution()

    @lru_cache(maxsize=cache_size)
    def run_shingles(i: int) -> U64:
        return shingle_set(text_of(i), shingle_size)

    def candidate_shingles(doc_ids: list[str]) -> dict[str, U64]:
        found = {d: run_shingles(result.new_records[d]) for d in doc_ids if d in result.new_records}
        older = [d for d in doc_ids if d not in found]
        if older:
            for doc_id, text in existing_texts(older).items():
                found[doc_id] = shingle_set(text, shingle_size)
        return found

    for i in sorted(range(len(rows)), key=lambda k: visit_order(rows[k])):
        row = rows[i]
        uri = row["source_uri"]
        target = index.doc_by_hash.get(row["content_hash"])
        if target is not None:
            _merge(result, Merge(uri, target, "exact", 1.0))
            continue
        signature = np.frombuffer(row["signature"], dtype="<u4")
        best: tuple[float, str] | None = None
        candidates = sorted(index.lsh.candidates(signature))
        if candidates:
            own = run_shingles(i)
            for doc_id, theirs in candidate_shingles(candidates).items():
                score = containment(own, theirs)
                if score >= threshold and (best is None or (score, doc_id) > best):
                    best = (score, doc_id)
        if best is not None:
            _merge(result, Merge(uri, best[1], "near", round(best[0], 4)))
            continue
        doc_id = make_doc_id(row["content_hash"])
        index.add(doc_id, row["content_hash"], int(row["word_count"]), signature)
        result.new_records[doc_id] = i
        result.sources[doc_id] = [uri]
        result.doc_of_source[uri] = doc_id
        result.kept_sources.add(uri)
    return result


def _merge(result: Resolution, merge: Merge) -> None:
    result.merges.append(merge)
    result.doc_of_source[merge.source_uri] = merge.doc_id
    if merge.doc_id in result.sources:
        result.sources[merge.doc_id].append(merge.source_uri)
