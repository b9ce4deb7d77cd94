"""Site-recurring paragraphs: a paragraph that the cleaner kept on several pages of one site
(an "about us" blurb, an author bio, a licence notice, a teaser) is the site's chrome, even when
it reads as prose.

Streaming, in two passes over a run's staged batches (one batch in memory at a time):
1. count, per site (the host of the page's URL), on how many pages each paragraph of the kept
   text occurs: 64-bit hashes only, added to the counts the dataset kept from earlier runs
   (the `_index/site_lines` side table, read for this run's sites only);
2. rewrite each batch: paragraphs on at least `SITE_PAGES` pages of their site leave the text
   (an audit row with reason `site_recurring`), and the content hash, word count and MinHash
   signature are recomputed, so dedup sees the text the record keeps.

A page whose every prose paragraph recurs keeps them all: that is the same article on several
pages (a repost, a print version), and merging those is dedup's job. Pages without a URL (file
dumps) have no site and are left as they are.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads

from crawler.config import Settings
from crawler.dedup.lines import paragraph_keys
from crawler.dedup.minhash import MinHasher, shingle_set
from crawler.extract.normalize import content_hash, word_count
from crawler.extract.urls import host_of
from crawler.reasons import Removed
from crawler.schemas import SITE_LINES_SCHEMA
from crawler.store.dataset import Dataset
from crawler.store.staged import read_docs, write_docs

U64 = npt.NDArray[np.uint64]
# Chosen on dragnet-train HTML (bench/site_lines_eval.py): see docs/quality.md
SITE_PAGES = 3  # a paragraph on this many pages of one site is the site's
PARAGRAPH_WORDS = 8  # shorter lines are the cleaner's business (menus, labels, bylines)
AUDIT_LINE_NO = -1  # the audit row of a paragraph of the cleaned text, not of an input line


def site_of(row: dict[str, Any]) -> str | None:
    """The site of a staged document: the host of its URL (or of an http(s) source), without
    "www."; None for a page with neither."""
    for url in (row.get("url"), row.get("source_uri")):
        if url and str(url).startswith(("http://", "https://")):
            host = host_of(str(url)).lower()
            if host:
                return host.removeprefix("www.")
    return None


def site_paragraphs(text: str, min_words: int = PARAGRAPH_WORDS) -> list[tuple[str, int]]:
    """(paragraph, 64-bit key) for each prose paragraph of a cleaned text, in order."""
    lines, keys = paragraph_keys(text, min_words)
    return list(zip(lines, keys.tolist(), strict=True))


@dataclass
class SiteCounts:
    """Pages per (site, paragraph key): this run's and the dataset's history's."""

    sites: dict[str, int] = field(default_factory=dict)  # site -> site number
    _pending: list[tuple[int, int]] = field(default_factory=list)
    run_keys: npt.NDArray[np.uint64] = field(
        default_factory=lambda: np.zeros((0, 2), dtype=np.uint64)
    )
    run_pages: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    history: dict[tuple[int, int], int] = field(default_factory=dict)

    def add(self, site: str, keys: Iterable[int]) -> None:
        """Count one page's distinct paragraph keys."""
        number = self.sites.setdefault(site, len(self.sites))
        self._pending.extend((number, k) for k in set(keys))
        if len(self._pending) >= 1 << 18:
            self._fold()

    def _fold(self) -> None:
        if not self._pending:
            return
        new = np.array(self._pending, dtype=np.uint64).reshape(-1, 2)
        self._pending = []
        keys = np.concatenate((self.run_keys, new))
        pages = np.concatenate((self.run_pages, np.ones(len(new), dtype=np.int64)))
        self.run_keys, inverse = np.unique(keys, axis=0, return_inverse=True)
        self.run_pages = np.bincount(inverse.ravel(), weights=pages).astype(np.int64)

    def pages(self, site: str, keys: U64) -> npt.NDArray[np.int64]:
        """Pages of the site with each of these paragraph keys, in this run and earlier ones."""
        self._fold()
        number = self.sites.get(site)
        if number is None:
            return np.zeros(keys.size, dtype=np.int64)
        column = self.run_keys[:, 0]
        i = int(np.searchsorted(column, number, side="left"))
        j = int(np.searchsorted(column, number, side="right"))
        found = np.zeros(keys.size, dtype=np.int64)
        if j > i:
            site_keys = self.run_keys[i:j, 1]
            at = np.minimum(np.searchsorted(site_keys, keys), j - i - 1)
            hit = site_keys[at] == keys
            found[hit] = self.run_pages[i:j][at[hit]]
        if self.history:
            found += np.array([self.history.get((number, k), 0) for k in keys.tolist()])
        return found

    def row_chunks(self, run_id: str, size: int = 50_000) -> Iterator[list[dict[str, Any]]]:
        """This run's counts as `_index/site_lines` rows, `size` at a time."""
        self._fold()
        names = {n: s for s, n in self.sites.items()}
        for start in range(0, len(self.run_pages), size):
            keys = self.run_keys[start : start + size].tolist()
            pages_of = self.run_pages[start : start + size].tolist()
            yield [
                {"site": names[number], "line_hash": key, "pages": pages, "run_id": run_id}
                for (number, key), pages in zip(keys, pages_of, strict=True)
            ]


def load_history(dataset: Dataset, counts: SiteCounts) -> None:
    """Add the dataset's earlier counts for the sites of this run."""
    files = [str(f) for f in dataset.files("_index/site_lines")]
    if not files or not counts.sites:
        return
    dataset.check_sums("_index/site_lines")
    try:
        table = pads.dataset(files, schema=SITE_LINES_SCHEMA, format="parquet").to_table(
            columns=["site", "line_hash", "pages"], filter=pc.field("site").isin(list(counts.sites))
        )
    except (OSError, pa.ArrowException) as exc:
        raise dataset.damaged_file_error(files, exc) from None
    summed = table.group_by(["site", "line_hash"]).aggregate([("pages", "sum")])
    for site, key, pages in zip(
        summed["site"].to_pylist(),
        summed["line_hash"].to_pylist(),
        summed["pages_sum"].to_pylist(),
        strict=True,
    ):
        counts.history[(counts.sites[site], int(key))] = int(pages)


def count_run(docs_paths: list[str]) -> SiteCounts:
    """Pass 1: pages per (site, paragraph) over the run's staged batches."""
    counts = SiteCounts()
    for path in docs_paths:
        table = read_docs(path, ["url", "source_uri", "text"])
        for row in table.to_pylist():
            if (site := site_of(row)) is not None:
                counts.add(site, (k for _, k in site_paragraphs(row["text"])))
    return counts


def recurring(
    text: str,
    site: str,
    counts: SiteCounts,
    pages: int = SITE_PAGES,
    min_words: int = PARAGRAPH_WORDS,
) -> list[str]:
    """The paragraphs of text that recur on `pages` pages of the site; none when that is
    every prose paragraph (the same article on several pages: dedup's job)."""
    lines, keys = paragraph_keys(text, min_words)
    hits = [p for p, n in zip(lines, counts.pages(site, keys).tolist(), strict=True) if n >= pages]
    return [] if len(hits) == len(lines) else hits


@lru_cache(maxsize=4)
def _hasher(num_perm: int) -> MinHasher:
    return MinHasher(num_perm)


def strip_row(row: dict[str, Any], drop: list[str], settings: Settings) -> dict[str, Any]:
    """The staged row without the paragraphs in drop, its hash, counts and signature redone."""
    gone = set(drop)
    text = "\n".join(line for line in row["text"].split("\n") if line not in gone)
    audit = [
        {"line_no": AUDIT_LINE_NO, "line": p, "reason": str(Removed.SITE_RECURRING)} for p in drop
    ]
    # the input's characters, from the kept text's and the share the cleaner removed
    ratio = float(row["removed_ratio"])
    total = len(row["text"]) / (1 - ratio) if ratio < 1 else 0.0
    signature = _hasher(settings.num_perm).signature(shingle_set(text, settings.shingle_size))
    return row | {
        "text": text,
        "content_hash": content_hash(text),
        "word_count": word_count(text),
        "removed": [*row["removed"], *audit],
        "removed_ratio": 1 - len(text) / total if total else ratio,
        "signature": signature.astype("<u4").tobytes(),
    }


def strip_site_lines(dataset: Dataset, docs_paths: list[str], settings: Settings) -> SiteCounts:
    """Both passes over the run's staged batches (rewritten in place); this run's counts, for
    the commit (`SiteCounts.row_chunks`)."""
    counts = count_run(docs_paths)
    if not counts.sites:
        return counts
    load_history(dataset, counts)
    for path in docs_paths:
        rows = read_docs(path).to_pylist()
        changed = False
        for n, row in enumerate(rows):
            site = site_of(row)
            drop = recurring(row["text"], site, counts) if site is not None else []
            if drop:
                rows[n] = strip_row(row, drop, settings)
                changed = True
        if changed:
            tmp = f"{path}.site-lines"
            write_docs(rows, tmp)
            os.replace(tmp, path)
    return counts
