"""What two sorted shingle sets share, counted by the C merge (`_sorted.c`), is the numpy
reference's count."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.dedup import minhash
from crawler.dedup.minhash import shared_count, shingle_set

needs_c = pytest.mark.skipif(minhash._SORTED is None, reason="no matching compiled build")
_VALUES = st.sets(st.integers(0, 2**64 - 1) | st.integers(0, 40), max_size=80)


@needs_c
@settings(max_examples=500, deadline=None)
@given(_VALUES, _VALUES, st.booleans(), st.booleans())
def test_the_merge_counts_what_numpy_counts(
    a: set[int], b: set[int], sort_a: bool, sort_b: bool
) -> None:
    """Either side the larger, sorted or not (an array not ascending is counted by numpy)."""
    x = np.array(sorted(a) if sort_a else list(a), dtype=np.uint64)
    y = np.array(sorted(b) if sort_b else list(b), dtype=np.uint64)
    merged = _merged(x, y)
    if (sort_a or len(a) < 2) and (sort_b or len(b) < 2):
        assert merged == len(a & b)
    else:
        assert merged in (-1, len(a & b))  # -1: not ascending (a shuffle may come out sorted)
    assert shared_count(x, y) == shared_count(y, x) == len(a & b)


def _merged(x: np.ndarray, y: np.ndarray) -> int:
    assert minhash._SORTED is not None
    return int(minhash._SORTED.shared_count(x, y))


@needs_c
def test_shingle_sets_are_counted_by_the_merge_without_numpy(monkeypatch: Any) -> None:
    """Dedup asks this three times a candidate pair: two ascending sets take one C call."""
    text = " ".join(f"word{n % 37} and{n % 11} more{n}" for n in range(300))
    a, b = shingle_set(text, 5), shingle_set(text[: len(text) // 2] + " other words here", 5)
    expected = np.intersect1d(a, b, assume_unique=True).size

    def no_numpy(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("numpy searched")

    monkeypatch.setattr(minhash.np, "searchsorted", no_numpy)
    monkeypatch.setattr(minhash.np, "intersect1d", no_numpy)
    assert shared_count(a, b) == shared_count(b, a) == expected > 0


@needs_c
def test_the_merge_refuses_other_item_types() -> None:
    with pytest.raises(TypeError):
        minhash._SORTED.shared_count(np.arange(3, dtype=np.uint32), np.arange(3, dtype=np.uint64))  # type: ignore[union-attr]


_SETS = st.lists(st.tuples(_VALUES, st.booleans()), max_size=12)


@settings(max_examples=300, deadline=None)
@given(_VALUES, st.booleans(), _SETS)
def test_one_set_counted_against_many_at_once_is_each_pairs_count(
    a: set[int], sort_a: bool, others: list[tuple[set[int], bool]]
) -> None:
    """`shared_counts` (one C call for a row's candidates) gives each pair's `shared_count`,
    sorted or not, empty or not, with or without the build."""
    x = np.array(sorted(a) if sort_a else list(a), dtype=np.uint64)
    sets = [np.array(sorted(b) if s else list(b), dtype=np.uint64) for b, s in others]
    counts = minhash.shared_counts(x, sets)
    assert counts.dtype == np.int64
    assert counts.tolist() == [shared_count(x, y) for y in sets] == [len(a & b) for b, _ in others]


@needs_c
def test_a_rows_candidates_are_counted_in_one_call(monkeypatch: Any) -> None:
    """Dedup's candidate checks: a row's shingles against each candidate's in one C call,
    not a Python call a pair."""
    calls: list[int] = []
    real = minhash._SORTED.shared_counts  # type: ignore[union-attr]

    def counting(a: Any, sets: Any, out: Any) -> int:
        calls.append(len(sets))
        return int(real(a, sets, out))

    monkeypatch.setattr(minhash, "_SORTED", _Wrapped(minhash._SORTED, counting))
    a = shingle_set(" ".join(f"w{n}" for n in range(200)), 5)
    sets = [shingle_set(" ".join(f"w{n}" for n in range(k, k + 150)), 5) for k in range(0, 90, 9)]
    assert minhash.shared_counts(a, sets).tolist() == [shared_count(a, s) for s in sets]
    assert calls == [len(sets)]


class _Wrapped:
    def __init__(self, inner: Any, shared_counts: Any) -> None:
        self.shared_count, self.shared_counts = inner.shared_count, shared_counts
