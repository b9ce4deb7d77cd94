"""Corpus-level line evidence: in how many documents of one ingest each line occurs.

Site chrome ("Sign up for our newsletter", "Most Popular", a footer) recurs in every
page of a site, whatever its wording; article text does not (except syndicated copies,
which `cleaner.py` protects). Lines are folded (`lines.fold_key`: case, white space,
digits) and stored as 64-bit BLAKE2 hashes in numpy arrays (sorted keys + counts), and
`pruned()` keeps only what can matter before the statistics are shipped to worker processes.
An ingest learns them in chunks and adds the chunks up in `SpilledLineStats`, on disk: most
lines occur once, so every distinct line of a 100k-dump ingest held at once cost hundreds of MB.
A chunk learned in a worker process is written there (`write_counts`): the run's main process
receives the file's name, never the counts (unpickling them grew its heap by ~100 MB at 100k).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from crawler.extract.boilerplate.lines import fold_key

_PENDING_LIMIT = 1_000_000  # hashes buffered before they are folded into the sorted arrays

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


# Hashes of short keys already computed in this process: site chrome recurs page after page,
# and one page's keys are looked up by the rules and again by the line model. Emptied when
# full, so a process's memory does not grow with the ingest (~5 MB at most).
_HASHES: dict[str, int] = {}
_HASHES_MAX = 32_768
_HASHED_MAX_CHARS = 200


def key_hash(key: str) -> int:
    """`line_hash` of a line already folded with `lines.fold_key` (lone surrogates included)."""
    h = _HASHES.get(key)
    if h is not None:
        return h
    data = key.encode("utf-8", "surrogatepass")
    h = int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")
    if len(key) <= _HASHED_MAX_CHARS:
        if len(_HASHES) >= _HASHES_MAX:
            _HASHES.clear()
        _HASHES[key] = h
    return h


def _count_unique(
    keys: npt.NDArray[np.uint64], counts: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """Sorted unique keys with their summed counts."""
    unique, inverse = np.unique(keys, return_inverse=True)
    return unique, np.bincount(inverse, weights=counts, minlength=unique.size).astype(np.int64)


class LineStats:
    """Corpus-level evidence: how many documents of one ingest each (normalized) line occurs in."""

    def __init__(self) -> None:
        self._keys: npt.NDArray[np.uint64] = np.zeros(0, dtype=np.uint64)
        self._counts: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._pending: list[int] = []
        self._docs = 0

    def add(self, text: str) -> None:
        """Count one document's distinct non-blank lines."""
        self._docs += 1
        keys = {fold_key(line) for line in text.split("\n") if line and not line.isspace()}
        self._pending.extend(key_hash(k) for k in keys)
        if len(self._pending) >= _PENDING_LIMIT:
            self._fold()

    def _fold(self) -> None:
        if not self._pending:
            return
        new = np.array(self._pending, dtype=np.uint64)
        self._pending = []
        keys = np.concatenate([self._keys, new])
        counts = np.concatenate([self._counts, np.ones(new.size, dtype=np.int64)])
        self._keys, self._counts = _count_unique(keys, counts)

    def _lookup(self, h: int) -> int:
        self._fold()
        i = int(np.searchsorted(self._keys, np.uint64(h)))
        return int(self._counts[i]) if i < self._keys.size and self._keys[i] == h else 0

    def hash_freqs(self, hashes: list[int]) -> list[int]:
        """`_lookup` of many key hashes (`key_hash`) at once."""
        self._fold()
        if not hashes or self._keys.size == 0:
            return [0] * len(hashes)
        wanted = np.array(hashes, dtype=np.uint64)
        at = np.minimum(np.searchsorted(self._keys, wanted), self._keys.size - 1)
        return np.where(self._keys[at] == wanted, self._counts[at], 0).tolist()  # type: ignore[no-any-return]

    def doc_freq(self, line: str) -> int:
        """Number of added documents that contain this line (after folding)."""
        return self._lookup(line_hash(line))

    def key_freq(self, key: str) -> int:
        """`doc_freq` of a line given by its `lines.fold_key`."""
        return self._lookup(key_hash(key))

    @property
    def n_docs(self) -> int:
        """Number of documents added (including merged ones)."""
        return self._docs

    def merge(self, other: LineStats) -> None:
        """Add the counts of another batch (e.g. counted in another process)."""
        self._fold()
        other._fold()
        self._keys, self._counts = _count_unique(
            np.concatenate([self._keys, other._keys]), np.concatenate([self._counts, other._counts])
        )
        self._docs += other._docs

    def pruned(self) -> LineStats:
        """A copy without the lines below MIN_DOCS (they can never be recurring): what workers
        need, a small fraction of the size. `doc_freq` of a pruned line reads 0."""
        self._fold()
        keep = self._counts >= MIN_DOCS
        copy = LineStats()
        copy._keys, copy._counts, copy._docs = self._keys[keep], self._counts[keep], self._docs
        return copy

    def freq_is_recurring(self, freq: int) -> bool:
        """Whether a document frequency reaches the recurring thresholds."""
        return freq >= MIN_DOCS and freq >= MIN_SHARE * self._docs


_RECORD = np.dtype([("key", "<u8"), ("count", "<i8")])
PARTITIONS = 64  # of a chunk's keys by their top bits: the sum holds one at a time


class LineCountsFile(NamedTuple):
    """What `write_counts` answers: the file it wrote, and how many documents it counts.
    (A tuple: mypyc's frozen dataclasses do not unpickle.)"""

    path: str
    docs: int


def write_counts(part: LineStats, path: str | Path, partitions: int = PARTITIONS) -> LineCountsFile:
    """Write the counts of `part` to `path` (whole or not at all: a worker retried after a loss
    writes the same chunk again): a header of int64s, `partitions` and where each partition's
    records begin and the last ends, then the records (key, count) by ascending key."""
    if partitions < 1 or partitions & (partitions - 1):
        raise ValueError(f"partitions must be a power of two, not {partitions}")
    part._fold()
    records = np.empty(part._keys.size, dtype=_RECORD)
    records["key"], records["count"] = part._keys, part._counts
    header = np.empty(partitions + 2, dtype="<i8")
    header[0] = partitions
    if partitions == 1:
        header[1:] = [0, records.size]
    else:
        top = part._keys >> np.uint64(64 - (partitions.bit_length() - 1))
        header[1:] = np.searchsorted(top, np.arange(partitions + 1, dtype=np.uint64))
    target = Path(path)
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    with open(temporary, "wb") as out:
        header.tofile(out)
        records.tofile(out)
    os.replace(temporary, target)
    return LineCountsFile(str(target), part._docs)


class SpilledLineStats:
    """The sum of many `LineStats` (chunks of one ingest, counted apart, added in any order),
    pruned as `LineStats.pruned` would prune their merge, without holding every distinct line:
    each chunk's counts are a file (`write_counts`, here by `add` or in a worker process for
    `add_file`) of `partitions` parts by the keys' top bits, and `result` counts one partition
    of every file at a time (memory: one partition, not the ingest). The files live in a
    folder of their own in `folder`, removed by `result` or `close`.

    Nothing is kept per chunk but a byte: the scan adds chunks while it makes ~1 KB of objects
    per input, and an object kept from each chunk pinned an allocator arena of those inputs
    in a run's main process (~100 MB at 100k dumps once the inputs were dropped)."""

    def __init__(self, folder: str | Path, partitions: int = PARTITIONS) -> None:
        self._parent = Path(folder)
        self._folder: Path | None = None
        self._partitions = partitions
        self._added = bytearray()  # 1 for each file named by `new_path` and added
        self._docs = 0

    @property
    def partitions(self) -> int:
        return self._partitions

    def new_path(self) -> str:
        """A file name for the next chunk's counts (`write_counts`, then `add_file`)."""
        if self._folder is None:
            self._parent.mkdir(parents=True, exist_ok=True)
            self._folder = Path(tempfile.mkdtemp(prefix="line-stats-", dir=self._parent))
        self._added.append(0)
        return self._path(len(self._added) - 1)

    def _path(self, n: int) -> str:
        assert self._folder is not None
        return os.path.join(self._folder, f"{n:06d}.counts")

    def add(self, part: LineStats) -> None:
        """Add the counts of one chunk (its keys are written out, not kept)."""
        self.add_file(write_counts(part, self.new_path(), self._partitions))

    def add_file(self, counts: LineCountsFile) -> None:
        """Add a chunk's counts that `write_counts` wrote to a `new_path`."""
        n = int(Path(counts.path).stem)
        if self._folder is None or counts.path != self._path(n) or n >= len(self._added):
            raise ValueError(f"{counts.path}: not a file of this sum")
        self._added[n] = 1
        self._docs += counts.docs

    def result(self) -> LineStats:
        """The statistics of every part added, without the lines below MIN_DOCS."""
        stats = LineStats()
        stats._docs = self._docs
        paths = [self._path(n) for n in range(len(self._added)) if self._added[n]]
        headers = np.zeros((len(paths), self._partitions + 2), dtype="<i8")
        for header, path in zip(headers, paths, strict=True):
            header[:] = np.fromfile(path, dtype="<i8", count=self._partitions + 2)
            if header[0] != self._partitions:
                raise ValueError(f"{path}: {header[0]} partitions, not {self._partitions}")
        bounds, skip = headers[:, 1:], headers.shape[1] * headers.itemsize
        if int(headers[:, -1].sum()):
            keys, counts = [], []
            for p in range(self._partitions):  # in order: the partitions' keys ascend
                parts = [
                    _read_records(path, skip, int(b[p]), int(b[p + 1]))
                    for path, b in zip(paths, bounds, strict=True)
                    if b[p + 1] > b[p]
                ]
                if not parts:
                    continue
                records = np.concatenate(parts)
                unique, summed = _count_unique(
                    np.ascontiguousarray(records["key"]), np.ascontiguousarray(records["count"])
                )
                keep = summed >= MIN_DOCS
                keys.append(unique[keep])
                counts.append(summed[keep])
            stats._keys, stats._counts = np.concatenate(keys), np.concatenate(counts)
        self.close()
        return stats

    def close(self) -> None:
        """Remove the files (a learning that failed, or one whose result was taken)."""
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
        self._added = bytearray()


def _read_records(path: str, skip: int, start: int, end: int) -> npt.NDArray[np.void]:
    """Records `start` to `end` of a file whose header is `skip` bytes."""
    with open(path, "rb") as f:
        f.seek(skip + start * _RECORD.itemsize)
        return np.fromfile(f, dtype=_RECORD, count=end - start)
