"""Exact and near-duplicate detection: word-shingle MinHash with LSH banding, verified by
containment on the shingle sets before anything is merged.

Everything is deterministic: stable 64-bit hashes (no Python `hash()`), fixed seeds.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from crawler.normalize import tokens

U64 = npt.NDArray[np.uint64]
_MASK32 = np.uint64(0xFFFFFFFF)
_PRIME = np.uint64(0x100000001B3)  # FNV-style multiplier for combining token hashes


def _token_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little")


def shingle_set(text: str, k: int) -> U64:
    """Sorted unique 64-bit hashes of the text's k-word shingles (the whole text if shorter)."""
    toks = tokens(text)
    if not toks:
        return np.zeros(0, dtype=np.uint64)
    cache: dict[str, int] = {}
    ids = np.fromiter(
        (cache.setdefault(t, _token_hash(t)) if t not in cache else cache[t] for t in toks),
        dtype=np.uint64,
        count=len(toks),
    )
    k = min(k, len(ids))
    combined = np.zeros(len(ids) - k + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            combined = combined * _PRIME + ids[j : len(ids) - k + 1 + j]
    return np.unique(combined)


@dataclass(frozen=True)
class MinHasher:
    """MinHash by multiply-shift universal hashing of 64-bit shingle hashes to 32 bits."""

    num_perm: int = 128
    seed: int = 1

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        a = rng.integers(1, 2**63, size=self.num_perm, dtype=np.uint64) * np.uint64(2) + 1
        b = rng.integers(0, 2**63, size=self.num_perm, dtype=np.uint64)
        object.__setattr__(self, "_a", a[:, None])
        object.__setattr__(self, "_b", b[:, None])

    def signature(self, shingles: U64) -> npt.NDArray[np.uint32]:
        """The num_perm minimum hashes (all 0xFFFFFFFF for an empty set)."""
        if shingles.size == 0:
            return np.full(self.num_perm, 0xFFFFFFFF, dtype=np.uint32)
        sig = np.full(self.num_perm, 0xFFFFFFFF, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for start in range(0, shingles.size, 4096):  # bound the temporary matrix
                chunk = shingles[None, start : start + 4096]
                hashed = (self._a * chunk + self._b) >> np.uint64(32)  # type: ignore[attr-defined]
                sig = np.minimum(sig, hashed.min(axis=1))
        return (sig & _MASK32).astype(np.uint32)


def containment(a: U64, b: U64) -> float:
    """|A ∩ B| / min(|A|, |B|): 1.0 when the smaller text is wholly inside the larger."""
    if a.size == 0 or b.size == 0:
        return 0.0
    common = np.intersect1d(a, b, assume_unique=True).size
    return common / min(a.size, b.size)


@dataclass
class LSHIndex:
    """Band buckets of MinHash signatures -> candidate keys that may be near-duplicates."""

    bands: int
    _buckets: dict[bytes, list[str]] = field(default_factory=lambda: defaultdict(list))

    def _band_keys(self, signature: npt.NDArray[np.uint32]) -> Iterable[bytes]:
        rows = signature.size // self.bands
        for band in range(self.bands):
            yield band.to_bytes(2, "little") + signature[band * rows : (band + 1) * rows].tobytes()

    def add(self, key: str, signature: npt.NDArray[np.uint32]) -> None:
        for band_key in self._band_keys(signature):
            self._buckets[band_key].append(key)

    def candidates(self, signature: npt.NDArray[np.uint32]) -> list[str]:
        """Keys sharing at least one band with the signature, in insertion order, unique."""
        seen: dict[str, None] = {}
        for band_key in self._band_keys(signature):
            for key in self._buckets.get(band_key, ()):
                seen.setdefault(key, None)
        return list(seen)
