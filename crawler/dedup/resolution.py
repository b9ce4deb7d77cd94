"""The rows dedup resolves and its outcome, by row number (`crawler.dedup.resolve` decides).

A run's rows are held as columns (Arrow strings for sources and content hashes, numpy for the
rest), and the outcome as numpy arrays indexed by row: no Python object per row survives the
resolution (100k of them pinned ~80 MB of the finish's memory at 100k documents). Doc ids and
sources become strings when a batch is written (`doc_ids`, `sources_of`); the dict views of
the older outcome (`doc_of_source`, `sources`, `merges`...) are built on each access, for
tests and benches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

RECORD, EXACT, NEAR = 0, 1, 2  # a row's outcome (`Resolution.kind`)
KIND_NAMES = {EXACT: "exact", NEAR: "near"}
DOC_ID_BYTES = 16  # `crawler.record.make_doc_id`: 32 hex digits


@dataclass(frozen=True, slots=True)  # one per merged document: no __dict__ each
class Merge:
    source_uri: str
    doc_id: str
    kind: str  # "exact" | "near"
    similarity: float


@dataclass(frozen=True)
class RunRows:
    """The rows to resolve as columns: sources and content hashes (Arrow strings), word
    counts, and each row's MinHash signature (`<u4` bytes) when asked."""

    sources: pa.Array | pa.ChunkedArray
    hashes: pa.Array | pa.ChunkedArray
    words: npt.NDArray[np.int64]
    signature: Callable[[int], bytes]

    @classmethod
    def of(cls, rows: Sequence[Mapping[str, Any]]) -> RunRows:
        """Rows given as mappings (source_uri, content_hash, word_count, signature)."""
        return cls(
            pa.array([str(r["source_uri"]) for r in rows], pa.string()),
            pa.array([str(r["content_hash"]) for r in rows], pa.string()),
            np.array([int(r["word_count"]) for r in rows], dtype=np.int64),
            lambda i: bytes(rows[i]["signature"]),
        )

    def __len__(self) -> int:
        return len(self.sources)

    def visit_order(self) -> npt.NDArray[np.intp]:
        """Row numbers most complete first: most words, then content hash, then source (a
        stable sort; Arrow compares strings by their UTF-8 bytes, which is Python's order)."""
        table = pa.table({"w": self.words, "h": self.hashes, "s": self.sources})
        keys = [("w", "descending"), ("h", "ascending"), ("s", "ascending")]
        order: npt.NDArray[np.intp] = pc.sort_indices(table, sort_keys=keys).to_numpy()
        return order

    def hash_codes(self) -> npt.NDArray[np.int32]:
        """Each row's content hash as a number, equal for equal hashes."""
        codes: npt.NDArray[np.int32] = (
            pc.index_in(self.hashes, value_set=pc.unique(self.hashes)).to_numpy().astype(np.int32)
        )
        return codes

    def content_hash(self, i: int) -> str:
        return str(self.hashes[i].as_py())

    def source(self, i: int) -> str:
        return str(self.sources[i].as_py())


class Resolution:
    """Which rows became records and which merged into what, by row number: `kind[i]`
    (RECORD, EXACT or NEAR); for a merged row, `target[i]`: the row of the run's record it
    merged into when it was resolved (a later join moves it on: `root`), or -1 - k for the
    k-th committed record in `committed`; its `similarity`. A record row's doc_id is kept as
    16 bytes; merges are listed in the order they were made (`merge_rows`)."""

    def __init__(self, sources: pa.Array | pa.ChunkedArray) -> None:
        n = len(sources)
        self.uris = sources  # each row's source (Arrow)
        self.kind = np.zeros(n, dtype=np.int8)
        self.target = np.zeros(n, dtype=np.int32)
        self.similarity = np.zeros(n, dtype=np.float64)
        self._doc_ids = np.zeros((n, DOC_ID_BYTES), dtype=np.uint8)
        self._merge_order = np.zeros(n, dtype=np.int32)
        self._merges = 0
        self.committed: list[str] = []  # doc_ids of the committed records rows merged into
        self._committed_at: dict[str, int] = {}
        self.joined: dict[int, int] = {}  # a record row joined into another -> that one's row
        self._members: tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]] | None = None

    def __len__(self) -> int:
        return int(self.kind.size)

    # --- made by `resolve` (and `crawler.run.revisions`)

    def add_record(self, i: int, doc_id: str) -> None:
        self.kind[i] = RECORD
        self._doc_ids[i] = np.frombuffer(bytes.fromhex(doc_id), dtype=np.uint8)
        self._members = None

    def merge(self, i: int, kind: int, similarity: float, row: int = -1, doc_id: str = "") -> None:
        """Row i merges into the run's record at `row`, or (row -1) the committed `doc_id`."""
        if row < 0:
            k = self._committed_at.setdefault(doc_id, len(self.committed))
            if k == len(self.committed):
                self.committed.append(doc_id)
            row = -1 - k
        self.kind[i], self.target[i], self.similarity[i] = kind, row, similarity
        self._merge_order[self._merges] = i
        self._merges += 1
        self._members = None

    def join(self, other: int, keep: int, similarity: float) -> None:
        """The run's record at row `other` joins the one at `keep` (a near merge)."""
        self.merge(other, NEAR, similarity, keep)
        self.joined[other] = keep

    def make_record(self, i: int, doc_id: str) -> None:
        """A merged row becomes a record of its own (a revision); rows merged into it stay."""
        self.add_record(i, doc_id)

    # --- read when a run is written

    def root(self, row: int) -> int:
        """The record row a record row's documents belong to (itself unless it was joined)."""
        while row in self.joined:
            row = self.joined[row]
        return row

    def own_doc_id(self, row: int) -> str:
        """The doc_id of the record made of row's text."""
        return bytes(self._doc_ids[row]).hex()

    def doc_id(self, i: int) -> str:
        """The doc_id of the record row i is (or merged into)."""
        if self.kind[i] == RECORD:
            return self.own_doc_id(i)
        row = int(self.target[i])
        return self.committed[-1 - row] if row < 0 else self.own_doc_id(self.root(row))

    def doc_ids(self, start: int, stop: int) -> list[str]:
        return [self.doc_id(i) for i in range(start, stop)]

    def kept(self, start: int, stop: int) -> npt.NDArray[np.bool_]:
        """Which of these rows are records."""
        kept: npt.NDArray[np.bool_] = self.kind[start:stop] == RECORD
        return kept

    def merge_rows(self) -> npt.NDArray[np.int32]:
        """The merged rows, in the order they merged."""
        rows = self._merge_order[: self._merges]
        merged: npt.NDArray[np.int32] = rows[self.kind[rows] != RECORD]
        return merged

    def sources_of(self, records: Sequence[int]) -> list[list[str]]:
        """Each record row's sources (its own and those merged into it), sorted."""
        order, starts = self._grouped()
        if not len(records):
            return []
        at = np.asarray(records, dtype=np.intp)
        members = np.concatenate([order[starts[r] : starts[r + 1]] for r in at.tolist()])
        names = self.uris.take(members).to_pylist()
        ends = np.cumsum(starts[at + 1] - starts[at]).tolist()
        return [sorted(names[a:b]) for a, b in zip([0, *ends[:-1]], ends, strict=True)]

    def _grouped(self) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """Rows grouped by the run's record they belong to: the rows of record r are
        order[starts[r]:starts[r + 1]] (rows merged into committed records in none)."""
        if self._members is None:
            owner = np.arange(len(self), dtype=np.int64)
            for i in np.flatnonzero(self.kind != RECORD).tolist():
                row = int(self.target[i])
                owner[i] = len(self) if row < 0 else self.root(row)
            order = np.argsort(owner, kind="stable")
            starts = np.searchsorted(owner[order], np.arange(len(self) + 1))
            self._members = order, starts
        return self._members

    # --- the outcome as dicts and lists of strings (built on each access: tests, benches)

    @property
    def new_records(self) -> dict[str, int]:
        """doc_id -> its row, of every record."""
        return {self.own_doc_id(r): r for r in np.flatnonzero(self.kind == RECORD).tolist()}

    @property
    def kept_sources(self) -> set[str]:
        """The sources whose text became a record."""
        return set(self.uris.filter(pa.array(self.kind == RECORD)).to_pylist())

    @property
    def doc_of_source(self) -> dict[str, str]:
        return dict(zip(self.uris.to_pylist(), self.doc_ids(0, len(self)), strict=True))

    @property
    def sources(self) -> dict[str, list[str]]:
        """doc_id -> the sources of that record, sorted."""
        records = np.flatnonzero(self.kind == RECORD).tolist()
        listed = self.sources_of(records)
        return {self.own_doc_id(r): s for r, s in zip(records, listed, strict=True)}

    @property
    def merges(self) -> list[Merge]:
        rows = self.merge_rows()
        kinds, scores = self.kind[rows].tolist(), self.similarity[rows].tolist()
        return [
            Merge(str(self.uris[i].as_py()), self.doc_id(i), KIND_NAMES[k], s)
            for i, k, s in zip(rows.tolist(), kinds, scores, strict=True)
        ]

    @property
    def alias(self) -> dict[str, str]:
        """A record joined into another -> the one it joined."""
        return {self.own_doc_id(a): self.own_doc_id(b) for a, b in self.joined.items()}
