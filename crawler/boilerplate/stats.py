"""Corpus-level line evidence: in how many documents of one ingest each line occurs.

Site chrome ("Sign up for our newsletter", "Most Popular", a footer) recurs in every
page of a site, whatever its wording; article text does not (except syndicated copies,
which `cleaner.py` protects). Lines are folded (`lines.fold_key`: case, white space,
digits) and stored as 64-bit BLAKE2 hashes, so memory is one int per distinct line.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from crawler.boilerplate.lines import fold_key

MIN_DOCS = 3
"""A line must occur in at least this many documents to count as recurring (two other
pages besides the current one: one repeat can be chance or a duplicate page)."""

MIN_SHARE = 0.005
"""... and in at least this share of the ingest's documents (0.5%). Per-site chrome of a
site contributing 1% of a large mixed ingest is still caught, while in a large ingest a
line needs more than a handful of coincidental repeats."""


def line_hash(line: str) -> int:
    """Stable 64-bit hash of a folded line (stable across processes, unlike `hash`)."""
    return key_hash(fold_key(line))


def key_hash(key: str) -> int:
    """`line_hash` of a line already folded with `lines.fold_key`."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "big")


class LineStats:
    """Corpus-level evidence: how many documents of one ingest each (normalized) line occurs in."""

    def __init__(self) -> None:
        self._counts: Counter[int] = Counter()
        self._docs = 0

    def add(self, text: str) -> None:
        """Count one document's distinct non-blank lines."""
        self._docs += 1
        keys = {fold_key(line) for line in text.split("\n") if line and not line.isspace()}
        self._counts.update(key_hash(k) for k in keys)

    def doc_freq(self, line: str) -> int:
        """Number of added documents that contain this line (after folding)."""
        return self._counts.get(line_hash(line), 0)

    def key_freq(self, key: str) -> int:
        """`doc_freq` of a line given by its `lines.fold_key`."""
        return self._counts.get(key_hash(key), 0)

    @property
    def n_docs(self) -> int:
        """Number of documents added (including merged ones)."""
        return self._docs

    def merge(self, other: LineStats) -> None:
        """Add the counts of another batch (e.g. counted in another process)."""
        self._counts.update(other._counts)
        self._docs += other._docs

    def is_recurring(self, line: str) -> bool:
        """The line occurs in enough documents of the ingest to be site chrome."""
        return self.freq_is_recurring(self.doc_freq(line))

    def freq_is_recurring(self, freq: int) -> bool:
        """Whether a document frequency reaches the recurring thresholds."""
        return freq >= MIN_DOCS and freq >= MIN_SHARE * self._docs
