"""The run's vote on its paragraphs: on how many pages the cleaner kept each paragraph, and on
how many it removed it (dedup's `_Votes` reads the paragraphs found on two pages or more).

Counting is a fold over pages in any order: a chunk of pages is counted alone (`count_pages`,
in any process), and chunks add up. `SpilledVotes` adds them on disk, by the top bits of the
keys, so the run never holds every distinct paragraph (most occur once): memory is one
partition at the end, not the run.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from crawler.dedup.lines import Lines
from crawler.dedup.minhash import U64
from crawler.spill import KeyPartitions

PARAGRAPH_WORDS = 10  # resolve.PARAGRAPH_WORDS (imported there from here)
VOTE = np.dtype([("key", "<u8"), ("kept", "<i4"), ("removed", "<i4")])
FOLD_RECORDS = 1 << 18  # counted records held before they are added up (bounds a fold)
Counts = npt.NDArray[np.int32]  # shape (2, n): pages that kept, pages that removed


def page_keys(text: str, removed: str) -> tuple[U64, U64]:
    """A page's distinct paragraph keys its cleaner kept (in `text`), and those it removed
    (in `removed`, its removed prose lines) but did not keep."""
    at, keys = Lines.of(f"{text}\n{removed}").paragraphs(PARAGRAPH_WORDS)
    inside = at < text.count("\n") + 1
    # distinct keys, in any order (counting sorts them): a few per page, sets are cheapest
    kept = set(keys[inside].tolist())
    gone = set(keys[~inside].tolist()) - kept
    return np.fromiter(kept, np.uint64, len(kept)), np.fromiter(gone, np.uint64, len(gone))


def count_pages(
    pages: Iterable[tuple[str, str]], paragraphs: list[U64] | None = None
) -> npt.NDArray[np.void]:
    """The votes of some pages ((kept text, removed prose) each): VOTE records, one per
    distinct key, sorted by key. With `paragraphs`, each page's distinct paragraph keys
    (kept or removed), sorted, are appended to it."""
    kept: list[U64] = []
    gone: list[U64] = []
    for text, removed in pages:
        k, g = page_keys(text, removed)
        kept.append(k)
        gone.append(g)
        if paragraphs is not None:
            paragraphs.append(np.union1d(k, g))
    keys = np.concatenate([np.zeros(0, np.uint64), *kept, *gone])
    side = np.zeros(keys.size, dtype=bool)  # True: removed
    side[sum(k.size for k in kept) :] = True
    return _counted(keys, np.where(side, 0, 1), side.astype(np.int64))


def _counted(
    keys: U64, kept: npt.NDArray[np.int64], removed: npt.NDArray[np.int64]
) -> npt.NDArray[np.void]:
    """VOTE records of the distinct keys, their kept and removed counts summed."""
    unique, inverse = np.unique(keys, return_inverse=True)
    out = np.empty(unique.size, dtype=VOTE)
    out["key"] = unique
    out["kept"] = np.bincount(inverse, weights=kept, minlength=unique.size)
    out["removed"] = np.bincount(inverse, weights=removed, minlength=unique.size)
    return out


def add_up(parts: list[npt.NDArray[np.void]]) -> npt.NDArray[np.void]:
    """The VOTE records of several counts added (keys sorted, distinct)."""
    records = np.concatenate([np.zeros(0, dtype=VOTE), *parts])
    return _counted(
        np.ascontiguousarray(records["key"]),
        records["kept"].astype(np.int64),
        records["removed"].astype(np.int64),
    )


def shared(records: npt.NDArray[np.void]) -> tuple[U64, Counts]:
    """The keys on two pages or more (sorted) and their counts (kept, removed)."""
    on_two = records["kept"].astype(np.int64) + records["removed"] >= 2
    chosen = records[on_two]
    counts = np.empty((2, chosen.size), dtype=np.int32)
    counts[0], counts[1] = chosen["kept"], chosen["removed"]
    return np.ascontiguousarray(chosen["key"]), counts


def count_run(pages: Iterable[tuple[str, str]], chunk: int = 256) -> tuple[U64, Counts]:
    """`shared` of the votes of every page, counted in this process, chunk by chunk (the
    counts folded every FOLD_RECORDS records: bounded temporaries)."""
    total, parts, size = np.zeros(0, dtype=VOTE), [], 0
    batch: list[tuple[str, str]] = []
    for page in pages:
        batch.append(page)
        if len(batch) >= chunk:
            parts.append(count_pages(batch))
            size += parts[-1].size
            batch = []
        if size >= FOLD_RECORDS:
            total, parts, size = add_up([total, *parts]), [], 0
    return shared(add_up([total, *parts, count_pages(batch)]))


class SpilledVotes:
    """Counts of many chunks of pages (`count_pages`' records), added in any order, written to
    `partitions` files in `folder` by the top bits of their keys as they come; `result` adds up
    one file at a time. A context manager: the files are removed on exit."""

    def __init__(self, folder: str | Path, partitions: int = 64) -> None:
        self._spill = KeyPartitions(folder, "votes", VOTE, partitions)

    def add(self, records: npt.NDArray[np.void]) -> None:
        """Add one chunk's counted records (sorted by key)."""
        self._spill.write(records, records["key"])

    def result(self) -> tuple[U64, Counts]:
        """The keys on two pages or more, sorted, and their counts (`shared`)."""
        keys: list[U64] = [np.zeros(0, np.uint64)]
        counts: list[Counts] = [np.zeros((2, 0), np.int32)]
        for records in self._spill.read():  # in order: the partitions' keys ascend
            k, c = shared(add_up([records]))
            keys.append(k)
            counts.append(c)
        return np.concatenate(keys), np.concatenate(counts, axis=1)

    def close(self) -> None:
        self._spill.close()

    def __enter__(self) -> SpilledVotes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
