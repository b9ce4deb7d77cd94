"""The persisted dedup index of a dataset: what is already in it, without re-reading its text.

`_index/docs`: one row per record (doc_id, content hash, MinHash signature, word count).
`_index/inputs`: one row per input ever processed (source URI + hash of its bytes -> outcome),
so re-ingesting unchanged inputs is a no-op that costs one hash per file.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from operator import itemgetter

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads

from crawler.dedup.minhash import LSHIndex
from crawler.dedup.resolution import Resolution
from crawler.extract.urls import canonicalize_url
from crawler.record import RECORDS_SCHEMA

# defined in the table registry; named here too for the modules that import them from here
from crawler.schemas import INDEX_DOCS_SCHEMA as INDEX_DOCS_SCHEMA
from crawler.schemas import INDEX_INPUTS_SCHEMA as INDEX_INPUTS_SCHEMA
from crawler.store.dataset import Dataset


@dataclass
class DedupIndex:
    """Everything dedup needs to know about the records already committed (and those of the
    runs resolved against it since). Its LSH bands name a record by a number (`key`): the
    committed records by the order they were added, a resolved run's records by their row
    after the keys it claimed (`claim`); `doc_id(key)` gives the record's doc_id."""

    bands: int
    doc_by_hash: dict[str, str] = field(default_factory=dict)
    lsh: LSHIndex = field(init=False)
    # (first key, the doc_ids of the records added one by one, or a run's resolution)
    _blocks: list[tuple[int, list[str] | Resolution]] = field(default_factory=list)
    _next: int = 0

    def __post_init__(self) -> None:
        self.lsh = LSHIndex(self.bands)

    def add(self, doc_id: str, content_hash: str, sig: npt.NDArray[np.uint32]) -> None:
        self.doc_by_hash[content_hash] = doc_id
        if not self._blocks or not isinstance(self._blocks[-1][1], list):
            self._blocks.append((self._next, []))
        named = self._blocks[-1][1]
        assert isinstance(named, list)
        named.append(doc_id)
        self.lsh.add(self._next, sig)
        self._next += 1

    def claim(self, run: Resolution) -> int:
        """Keys for a run's records: the record at row r is `start + r` (start returned);
        the index names them through the run's resolution."""
        start = self._next
        self._blocks.append((start, run))
        self._next += len(run)
        return start

    def doc_id(self, key: int) -> str:
        """The doc_id of the record indexed under key."""
        start, named = self._blocks[bisect_right(self._blocks, key, key=itemgetter(0)) - 1]
        if isinstance(named, list):
            return named[key - start]
        return named.own_doc_id(key - start)


def load_dedup_index(dataset: Dataset, bands: int) -> DedupIndex:
    """The committed records' hashes and signatures, ready for lookups."""
    index = DedupIndex(bands)
    table = dataset.read("_index/docs", INDEX_DOCS_SCHEMA, ["doc_id", "content_hash", "signature"])
    for row in table.to_pylist():
        index.add(row["doc_id"], row["content_hash"], np.frombuffer(row["signature"], dtype="<u4"))
    return index


def load_seen_inputs(dataset: Dataset) -> set[tuple[str, str]]:
    """(source_uri, input_hash) of every input already processed."""
    table = dataset.read("_index/inputs", INDEX_INPUTS_SCHEMA, ["source_uri", "input_hash"])
    return set(zip(table["source_uri"].to_pylist(), table["input_hash"].to_pylist(), strict=True))


def read_record_texts(dataset: Dataset, doc_ids: list[str]) -> dict[str, str]:
    """Texts of the given committed records (to verify near-duplicate candidates)."""
    files = [str(f) for f in dataset.files("records")]
    if not doc_ids or not files:
        return {}
    try:
        data = pads.dataset(files, schema=RECORDS_SCHEMA, format="parquet").to_table(
            columns=["doc_id", "text"], filter=pc.field("doc_id").isin(doc_ids)
        )
    except (OSError, pa.ArrowException) as exc:
        raise dataset.damaged_file_error(files, exc) from None
    return dict(zip(data["doc_id"].to_pylist(), data["text"].to_pylist(), strict=True))


def load_seen_urls(dataset: Dataset) -> set[str]:
    """Canonical URLs already in the dataset: records' `url`, and the http(s) `source_uri` of
    every input processed (records, merged duplicates, rejects). A re-crawl skips these."""
    urls = dataset.read("records", RECORDS_SCHEMA, ["url"])["url"].to_pylist()
    urls += dataset.read("_index/inputs", INDEX_INPUTS_SCHEMA, ["source_uri"])[
        "source_uri"
    ].to_pylist()
    return {c for u in urls if u and (c := canonicalize_url(u))}
