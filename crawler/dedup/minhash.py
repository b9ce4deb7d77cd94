"""Exact and near-duplicate detection: word-shingle MinHash with LSH banding, verified by
containment on the shingle sets before anything is merged.

Everything is deterministic across processes and runs: shingles are hashed with a fixed
polynomial hash over their UTF-8 bytes plus a murmur3 finalizer (no Python `hash()`), and the
MinHash permutations come from a fixed seed. All of it is vectorized with numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from itertools import repeat

import numpy as np
import numpy.typing as npt

from crawler.extract.boilerplate import native
from crawler.extract.normalize import joined_tokens

# `_shingles.c`: a page's shingle hashes and its signature in one C pass each (the numpy code
# below is the reference, and runs without the build); the same integers either way
_C = native.c_module("crawler.extract._shingles")
# `_sorted.c`: what two sorted shingle sets share, in one merge (else the numpy search below)
_SORTED = native.c_module("crawler.dedup._sorted")

U64 = npt.NDArray[np.uint64]
U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]
_BASE = 0x9E3779B97F4A7C15  # odd, so invertible modulo 2**64
_BASE_INV = pow(_BASE, -1, 2**64)
_SPACE = 32


def _fmix64(h: U64) -> U64:
    """murmur3's 64-bit finalizer: every input bit affects every output bit."""
    with np.errstate(over="ignore"):
        h = h ^ (h >> np.uint64(33))
        h = h * np.uint64(0xFF51AFD7ED558CCD)
        h = h ^ (h >> np.uint64(33))
        h = h * np.uint64(0xC4CEB9FE1A85EC53)
        return h ^ (h >> np.uint64(33))


class _Powers:
    """BASE**i and BASE**-i modulo 2**64 for i < size, grown on demand. Both tables are
    replaced in one assignment, so threads never see them out of step."""

    tables: tuple[U64, U64] = (np.ones(1, dtype=np.uint64), np.ones(1, dtype=np.uint64))

    @classmethod
    def upto(cls, n: int) -> tuple[U64, U64]:
        tables = cls.tables
        if tables[0].size < n:
            size = max(n, 2 * tables[0].size, 1 << 16)
            one = np.ones(1, dtype=np.uint64)
            with np.errstate(over="ignore"):
                pos = np.cumprod(np.full(size - 1, _BASE, dtype=np.uint64), dtype=np.uint64)
                neg = np.cumprod(np.full(size - 1, _BASE_INV, dtype=np.uint64), dtype=np.uint64)
            tables = cls.tables = (np.concatenate((one, pos)), np.concatenate((one, neg)))
        return tables


def _span_hashes(data: npt.NDArray[np.uint8], starts: U64, ends: U64) -> U64:
    """Polynomial hash (mod 2**64) of each byte span data[s:e], all spans at once: weighted
    prefix sums, then an exact division by a power of the (odd) base."""
    n = data.size
    pos, neg = _Powers.upto(n + 1)
    with np.errstate(over="ignore"):
        weighted = data.astype(np.uint64) * pos[n - 1 :: -1][:n]  # byte j weighs BASE**(n-1-j)
        prefix = np.concatenate(([np.uint64(0)], np.cumsum(weighted, dtype=np.uint64)))
        raw = (prefix[ends] - prefix[starts]) * neg[n - ends]
        return _fmix64(raw ^ ((ends - starts) << np.uint64(40)))


def shingle_set(text: str, k: int) -> U64:
    """Sorted unique 64-bit hashes of the text's k-word shingles (the whole text if shorter).

    A shingle's hash is that of the bytes of its k tokens joined by single spaces."""
    return shingles_of_tokens(joined_tokens(text), k)


def shingles_of_tokens(joined: str, k: int) -> U64:
    """`shingle_set` of a text whose word tokens, joined by single spaces, are `joined`."""
    if not joined:
        return np.zeros(0, dtype=np.uint64)
    if _C is not None and k >= 1:
        encoded = joined.encode()
        hashes = np.empty(encoded.count(b" ") + 1, dtype=np.uint64)
        return sorted_unique(hashes[: _C.shingle_hashes(encoded, k, hashes)])
    data = np.frombuffer(joined.encode(), dtype=np.uint8)
    spaces = np.flatnonzero(data == _SPACE).astype(np.uint64)
    starts = np.concatenate(([np.uint64(0)], spaces + np.uint64(1)))
    ends = np.concatenate((spaces, [np.uint64(data.size)]))
    k = min(k, starts.size)
    return sorted_unique(_span_hashes(data, starts[: starts.size - k + 1], ends[k - 1 :]))


def sorted_unique(values: U64) -> U64:
    """`np.unique(values)` for a 1-D array: a sort and a mask (np.unique took 4x as long on a
    page's few hundred shingles)."""
    out = np.sort(values)
    if out.size > 1:
        out = out[np.concatenate(([True], out[1:] != out[:-1]))]
    return out


def line_shingles_of_tokens(lines: Sequence[str], k: int) -> tuple[U64, npt.NDArray[np.intp]]:
    """The k-word shingle hashes of each line (the whole line if shorter; made as in
    `shingle_set`, so they compare with its hashes), all lines at once, from each line's tokens
    joined by single spaces: the hashes, and the index of the line each came from (lines
    without a word token have none)."""
    counts = np.array([t.count(" ") + 1 if t else 0 for t in lines], dtype=np.intp)
    if not counts.sum():
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.intp)
    data = np.frombuffer(" ".join(t for t in lines if t).encode(), dtype=np.uint8)
    spaces = np.flatnonzero(data == _SPACE).astype(np.uint64)
    starts = np.concatenate(([np.uint64(0)], spaces + np.uint64(1)))  # of every word
    ends = np.concatenate((spaces, [np.uint64(data.size)]))
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))  # each line's first word
    per_line = np.where(counts > 0, np.maximum(counts - k + 1, 1), 0)
    line_of = np.repeat(np.arange(len(lines)), per_line)
    offset = np.arange(line_of.size) - np.repeat(np.cumsum(per_line) - per_line, per_line)
    begin = first[line_of] + offset
    last = begin + np.minimum(counts[line_of], k) - 1
    return _span_hashes(data, starts[begin], ends[last]), line_of


def span_hashes_of_lines(keys: Sequence[str]) -> U64:
    """A 64-bit hash of each string (a paragraph's tokens joined by single spaces), made like a
    shingle of all its tokens."""
    if not keys:
        return np.zeros(0, dtype=np.uint64)
    data = np.frombuffer("\n".join(keys).encode(), dtype=np.uint8)
    breaks = np.flatnonzero(data == ord("\n")).astype(np.uint64)
    starts = np.concatenate(([np.uint64(0)], breaks + np.uint64(1)))
    ends = np.concatenate((breaks, [np.uint64(data.size)]))
    return _span_hashes(data, starts, ends)


def span_hashes(data: bytes, starts: I64, ends: I64) -> U64:
    """The hash of each span data[starts[j]:ends[j]] (UTF-8 word tokens joined by single
    spaces) as one shingle of all its words: `span_hashes_of_lines` of the spans' strings."""
    if _C is not None:
        out = np.empty(starts.size, dtype=np.uint64)
        _C.span_hashes(data, starts, ends, out)
        return out
    return _span_hashes(
        np.frombuffer(data, dtype=np.uint8), starts.astype(np.uint64), ends.astype(np.uint64)
    )


def joined_span_shingles(data: bytes, starts: I64, ends: I64, k: int, words: int) -> U64:
    """`shingles_of_tokens` of the non-empty spans data[starts[j]:ends[j]] joined by single
    spaces (`words`: how many words they hold, at least)."""
    if _C is not None and k >= 1:
        out = np.empty(words, dtype=np.uint64)
        return sorted_unique(out[: _C.span_shingles(data, starts, ends, k, out, None)])
    spans = (data[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True) if e > s)
    return shingles_of_tokens(b" ".join(spans).decode(), k)


def each_span_shingles(
    data: bytes, starts: I64, ends: I64, k: int, words: int
) -> tuple[U64, npt.NDArray[np.intp]]:
    """`line_shingles_of_tokens` of the spans data[starts[j]:ends[j]]: each span's k-word
    shingle hashes, and the number j of the span each came from (`words`: how many words the
    spans hold, at least)."""
    if _C is not None and k >= 1:
        size = words
        out, line_of = np.empty(size, dtype=np.uint64), np.empty(size, dtype=np.intp)
        made = _C.span_shingles(data, starts, ends, k, out, line_of)
        return out[:made], line_of[:made]
    spans = [data[s:e].decode() for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]
    return line_shingles_of_tokens(spans, k)


class MinHasher:
    """MinHash by multiply-shift universal hashing of 64-bit shingle hashes to 32 bits."""

    _CHUNK = 4096  # shingles per step: bounds the (num_perm x chunk) temporary matrix

    def __init__(self, num_perm: int = 128, seed: int = 1) -> None:
        self.num_perm = num_perm
        self.seed = seed
        rng = np.random.default_rng(seed)
        a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
        self._a, self._b = a, b

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MinHasher) and (other.num_perm, other.seed) == (
            self.num_perm,
            self.seed,
        )

    def __hash__(self) -> int:
        return self.num_perm * 1_000_003 + self.seed

    def __repr__(self) -> str:
        return f"MinHasher(num_perm={self.num_perm}, seed={self.seed})"

    def _hashed(self, chunk: U64) -> U64:
        """(a * x + b) mod 2**64 for every permutation (rows) and shingle (columns)."""
        with np.errstate(over="ignore"):
            out: U64 = self._a[:, None] * chunk[None, :]
            out += self._b[:, None]
        return out

    def signature(self, shingles: U64) -> U32:
        """The num_perm minimum hashes (all 0xFFFFFFFF for an empty set).

        The top 32 bits of the smallest 64-bit value are the smallest top 32 bits, so the
        shift is done once per permutation, after the minimum."""
        if shingles.size == 0:
            return np.full(self.num_perm, 0xFFFFFFFF, dtype=np.uint32)
        if _C is not None and shingles.dtype == np.uint64:
            out = np.empty(self.num_perm, dtype=np.uint32)
            _C.min_hashes(np.ascontiguousarray(shingles), self._a, self._b, out)
            return out
        low = np.full(self.num_perm, np.iinfo(np.uint64).max, dtype=np.uint64)
        for start in range(0, shingles.size, self._CHUNK):
            np.minimum(
                low, self._hashed(shingles[start : start + self._CHUNK]).min(axis=1), out=low
            )
        return (low >> np.uint64(32)).astype(np.uint32)

    def signatures(self, sets: Sequence[U64]) -> U32:
        """Signatures of many shingle sets at once: an (n, num_perm) array, row i equal to
        `signature(sets[i])`."""
        out = np.full((len(sets), self.num_perm), 0xFFFFFFFF, dtype=np.uint32)
        batch: list[int] = []
        size = 0
        for i, shingles in enumerate(sets):
            if shingles.size:
                batch.append(i)
                size += shingles.size
            if batch and (size >= self._CHUNK or i == len(sets) - 1):
                out[batch] = self._reduce([sets[j] for j in batch])
                batch, size = [], 0
        return out

    def _reduce(self, sets: list[U64]) -> U32:
        if len(sets) == 1:
            return self.signature(sets[0])[None, :]
        offsets = np.cumsum([0] + [s.size for s in sets[:-1]])
        low = np.minimum.reduceat(self._hashed(np.concatenate(sets)), offsets, axis=1)
        return (low.T >> np.uint64(32)).astype(np.uint32)


def shared_count(a: U64, b: U64) -> int:
    """|A ∩ B| of two arrays of distinct values: `np.intersect1d(a, b, assume_unique=True).size`.
    Shingle sets are made sorted (`shingles_of_tokens`), so the smaller array's values are
    looked up in the larger by binary search instead of sorting both (dedup asks this for every
    candidate pair: the sort was most of its time on sites whose pages share much text); an
    array that is not strictly ascending takes the sort. With the C build, two ascending
    arrays are counted in one merge (`_sorted.c`)."""
    small, large = (a, b) if a.size <= b.size else (b, a)
    if small.size == 0:
        return 0
    if _SORTED is not None and (count := _SORTED.shared_count(a, b)) >= 0:
        return int(count)
    if large.size > 1 and not bool((large[1:] > large[:-1]).all()):
        return int(np.intersect1d(a, b, assume_unique=True).size)
    at = np.minimum(np.searchsorted(large, small), large.size - 1)
    return int(np.count_nonzero(large[at] == small))


def shared_counts(a: U64, sets: Sequence[U64]) -> I64:
    """`shared_count(a, s)` for each s of sets, as an array: with the C build, one call
    (dedup counts a row's shingles against each of its candidates': dozens of pairs on a site
    whose pages share their wording)."""
    out = np.empty(len(sets), dtype=np.int64)
    if _SORTED is not None and a.size and _SORTED.shared_counts(a, sets, out) == 0:
        for j in np.flatnonzero(out < 0).tolist():  # a set that is not strictly ascending
            out[j] = shared_count(a, sets[j])
        return out
    for j, other in enumerate(sets):
        out[j] = shared_count(a, other)
    return out


def containment(a: U64, b: U64) -> float:
    """|A ∩ B| / min(|A|, |B|): 1.0 when the smaller text is wholly inside the larger."""
    if a.size == 0 or b.size == 0:
        return 0.0
    return shared_count(a, b) / min(a.size, b.size)


@lru_cache(maxsize=64)
def _band_constants(bands: int, rows: int) -> tuple[U64, U64]:
    """Fixed odd multipliers per row and a salt per band (seeded: the same in every process)."""
    rng = np.random.default_rng(0x15A)
    mult = rng.integers(0, 2**63, size=rows, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    salt = rng.integers(0, 2**63, size=bands, dtype=np.uint64) * np.uint64(2)
    return mult, salt


def band_hashes(signatures: U32, bands: int) -> U64:
    """One 64-bit hash per LSH band of each signature: (n, bands) for (n, num_perm) input.

    A band's rows are combined linearly (mod 2**64) with fixed odd multipliers, plus a salt per
    band: bands that differ in one row never collide, in several rows by a ~2**-32 chance (a
    false candidate, which verification rejects). Only equality matters here (the index keeps
    sorted arrays), so there is no final mixing step."""
    sigs = np.atleast_2d(signatures)
    rows = sigs.shape[1] // bands
    mult, salt = _band_constants(bands, rows)
    parts = sigs[:, : bands * rows].reshape(sigs.shape[0], bands, rows)
    with np.errstate(over="ignore"):
        combined: U64 = (parts * mult).sum(axis=2, dtype=np.uint64) + salt
    return combined


_MERGE_CHUNK = 1 << 16  # entries moved at a time when runs merge


class _Run:
    """One sorted run of (band hash, key) entries, with a directory on the top bits of
    the hashes, so a lookup reads one slot and a few entries instead of a binary search."""

    __slots__ = ("hashes", "numbers", "shift", "slots")

    def __init__(self, hashes: U64, numbers: U32) -> None:
        order = np.argsort(hashes, kind="stable")
        self._set(hashes[order], numbers[order])

    @classmethod
    def of_sorted(cls, hashes: U64, numbers: U32) -> _Run:
        """A run of entries already in order (hashes ascending, equal ones in insertion order)."""
        run = cls.__new__(cls)
        run._set(hashes, numbers)
        return run

    def _set(self, hashes: U64, numbers: U32) -> None:
        self.hashes, self.numbers = hashes, numbers
        # 1 slot per 2 to 4 entries: a lookup reads a few entries, the directory costs 1-2 bytes
        # an entry instead of 4
        bits = max(1, int(hashes.size).bit_length() - 2)
        self.shift = np.uint64(64 - bits)
        # slot j starts at the first hash whose top bits are j: found by binary search, with no
        # temporary the size of the run
        starts = np.arange(1, 1 << bits, dtype=np.uint64) << self.shift
        self.slots = np.empty((1 << bits) + 1, dtype=np.uint32)
        self.slots[0], self.slots[-1] = 0, hashes.size
        self.slots[1:-1] = np.searchsorted(hashes, starts)

    @property
    def nbytes(self) -> int:
        return int(self.hashes.nbytes + self.numbers.nbytes + self.slots.nbytes)

    def lookup(self, query: U64) -> U32:
        """Keys of the entries whose hash is in query."""
        return self.lookup_each(query)[0]

    def lookup_each(self, query: U64) -> tuple[U32, npt.NDArray[np.intp]]:
        """Keys of the entries whose hash is in query, and for each, the position in
        query of its hash (in query order)."""
        if _C is not None:  # one pass in C, not a dozen numpy calls over a few entries
            query = np.ascontiguousarray(query, dtype=np.uint64)
            room = max(16, 2 * query.size)
            while True:
                out, at = np.empty(room, dtype=np.uint32), np.empty(room, dtype=np.intp)
                found = _C.run_lookup(
                    self.hashes, self.numbers, self.slots, int(self.shift), query, out, at
                )
                if found <= room:
                    return out[:found], at[:found]
                room = found
        slot = (query >> self.shift).astype(np.intp)
        lo = self.slots[slot].astype(np.intp)
        span = self.slots[slot + 1].astype(np.intp) - lo
        total = int(span.sum())
        if not total:
            return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.intp)
        starts = lo - np.cumsum(span) + span  # lo minus the segment's offset in pos
        pos = np.repeat(starts, span) + np.arange(total)
        at = np.repeat(np.arange(query.size), span)
        hit = self.hashes[pos] == query[at]
        numbers: U32 = self.numbers[pos[hit]]
        return numbers, at[hit]

    @staticmethod
    def merge(older: _Run, newer: _Run) -> _Run:
        """The entries of both runs in order, each newer entry after the older ones with its
        hash (the order a stable sort of the two would give). Merged in place, in the older
        run's arrays grown by `realloc` (a memory map is moved, not copied): the older entries
        move back a chunk at a time from the end, then the newer ones go into the gaps left.
        Memory holds the merged run and a chunk, not both runs, the merged run and a sort's
        index (~40 MB more at 100k documents' 32 bands). `older` is spent."""
        size, count = older.hashes.size, newer.hashes.size
        at = np.searchsorted(older.hashes, newer.hashes, side="right")  # ascending
        hashes, numbers = older.hashes, older.numbers
        hashes.resize(size + count, refcheck=False)
        numbers.resize(size + count, refcheck=False)
        for end in range(size, 0, -_MERGE_CHUNK):
            start = max(0, end - _MERGE_CHUNK)
            # older entry k goes after the newer entries placed before it (at <= k)
            to = np.arange(start, end) + np.searchsorted(at, np.arange(start, end), side="right")
            hashes[to] = hashes[start:end].copy()
            numbers[to] = numbers[start:end].copy()
        at += np.arange(count)
        hashes[at], numbers[at] = newer.hashes, newer.numbers
        return _Run.of_sorted(hashes, numbers)


class LSHIndex:
    """Band buckets of MinHash signatures -> candidate keys that may be near-duplicates.

    Keys are the caller's numbers (0 <= key < 2**32: a row number, a committed record's
    place), so the index holds numpy arrays, not a Python object per document. Memory-lean:
    every (band hash, key) entry lives in sorted numpy runs (12 bytes per entry, plus 1-2 for
    a directory). Recent additions wait in small dicts, flushed into a new run every
    `buffer_docs` documents; runs are merged so that each is at least 4 times the size of the
    next, so a lookup visits O(log n) runs.
    """

    def __init__(self, bands: int, buffer_docs: int = 2048) -> None:
        self.bands = bands
        self.buffer_docs = buffer_docs
        self._added = 0
        self._runs: list[_Run] = []  # biggest (oldest) first
        # not yet in a run: band hash -> first key, and -> later keys (rare)
        self._pending: dict[int, int] = {}
        self._overflow: dict[int, list[int]] = {}
        self._pending_docs = 0
        self._last: tuple[bytes, U64] = (b"", np.zeros(0, dtype=np.uint64))

    def __len__(self) -> int:
        """How many documents were added."""
        return self._added

    def add(self, key: int, signature: U32) -> None:
        """Index one signature under key."""
        self.add_hashes(key, self._hashes(signature))

    def add_hashes(self, key: int, band_hashes: U64) -> None:
        """Index key under these 64-bit hashes (a signature's band hashes, or any other keys
        two near-duplicates are likely to share, such as their paragraphs')."""
        if not 0 <= key <= 0xFFFFFFFF:
            raise ValueError(f"an LSH key is a number below 2**32, not {key!r}")
        self._added += 1
        hashes, pending = band_hashes.tolist(), self._pending
        if pending.keys().isdisjoint(hashes):  # the usual case: no band shared yet
            pending.update(zip(hashes, repeat(key)))
        else:
            for h in hashes:
                if h in pending:
                    self._overflow.setdefault(h, []).append(key)
                else:
                    pending[h] = key
        self._pending_docs += 1
        if self._pending_docs >= self.buffer_docs:
            self._flush()

    def candidates(self, signature: U32) -> list[int]:
        """Keys sharing at least one band with the signature, ascending, unique."""
        return self.candidates_of_hashes(self._hashes(signature))

    def candidates_of_hashes(self, query: U64, most: int | None = None) -> list[int]:
        """Keys indexed under at least one of these hashes, ascending, unique; with `most`, a
        hash found under more than `most` documents is ignored (it is common to many
        documents, so it is no evidence that two of them are near-duplicates)."""
        if most is not None:
            return self._rare_candidates(query, most)
        keys = [n for run in self._runs for n in run.lookup(query).tolist()]
        # the hashes pending (a set intersection, in C: most are in none)
        bands, pending, overflow = query.tolist(), self._pending, self._overflow
        keys += [pending[h] for h in pending.keys() & bands]
        if overflow:
            keys += [n for h in overflow.keys() & bands for n in overflow[h]]
        return sorted(set(keys))

    def _rare_candidates(self, query: U64, most: int) -> list[int]:
        query = np.unique(query)
        keys: list[int] = []
        at: list[int] = []  # the position in query of each key's hash
        for run in self._runs:
            found, where = run.lookup_each(query)
            keys += found.tolist()
            at += where.tolist()
        hashes, pending, overflow = query.tolist(), self._pending, self._overflow
        for h in pending.keys() & hashes:  # a set intersection, in C: most are in none
            keys.append(pending[h])
            at.append(hashes.index(h))
        for h in overflow.keys() & hashes if overflow else ():
            keys += overflow[h]
            at += [hashes.index(h)] * len(overflow[h])
        if not keys:
            return []
        where = np.array(at, dtype=np.intp)
        rare = (np.bincount(where, minlength=query.size) <= most)[where]
        return sorted(set(np.array(keys, dtype=np.int64)[rare].tolist()))

    def nbytes(self) -> int:
        """Bytes held by the sorted runs (the pending dicts are not counted)."""
        return sum(run.nbytes for run in self._runs)

    def _hashes(self, signature: U32) -> U64:
        """Band hashes of one signature; the last one is remembered (a query is usually
        followed by adding the same signature)."""
        raw = signature.tobytes()
        if raw != self._last[0]:
            self._last = (raw, self._band_hashes(signature))
        return self._last[1]

    def _band_hashes(self, signature: U32) -> U64:
        """`band_hashes` of one signature (in C when built: one call, not five numpy ones)."""
        if _C is None or signature.ndim != 1:
            first: U64 = band_hashes(signature, self.bands)[0]
            return first
        mult, salt = _band_constants(self.bands, signature.size // self.bands)
        out = np.empty(self.bands, dtype=np.uint64)
        _C.band_hashes(np.ascontiguousarray(signature, dtype=np.uint32), mult, salt, out)
        return out

    def _flush(self) -> None:
        if not self._pending:
            return
        pending, overflow = self._pending, self._overflow
        hashes = np.fromiter(pending, dtype=np.uint64, count=len(pending))
        numbers = np.fromiter(pending.values(), dtype=np.uint32, count=len(pending))
        if overflow:
            sizes = [len(v) for v in overflow.values()]
            more = np.repeat(np.fromiter(overflow, dtype=np.uint64, count=len(sizes)), sizes)
            extra = np.fromiter(
                (n for v in overflow.values() for n in v), dtype=np.uint32, count=sum(sizes)
            )
            hashes, numbers = np.concatenate((hashes, more)), np.concatenate((numbers, extra))
        self._pending, self._overflow, self._pending_docs = {}, {}, 0
        self._push(_Run(hashes, numbers))

    def _push(self, run: _Run) -> None:
        self._runs.append(run)
        while len(self._runs) > 1 and self._runs[-2].hashes.size < 4 * self._runs[-1].hashes.size:
            newer, older = self._runs.pop(), self._runs.pop()
            self._runs.append(_Run.merge(older, newer))
