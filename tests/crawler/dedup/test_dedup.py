import gc
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.dedup.minhash import (
    LSHIndex,
    MinHasher,
    band_hashes,
    containment,
    shared_count,
    shingle_set,
    sorted_unique,
)

TEXT = " ".join(f"word{i}" for i in range(400))
MIXED = "Ünïcode café — naïve Straße 東京 news; the MAYOR said: “yes”.\nSecond line, more words."


def test_shingles_are_stable_and_case_insensitive() -> None:
    a, b = shingle_set(TEXT, 5), shingle_set(TEXT.upper(), 5)
    assert np.array_equal(a, b)
    assert a.size == 396
    assert shingle_set("", 5).size == 0
    assert shingle_set("two words", 5).size == 1
    assert np.array_equal(shingle_set(MIXED, 3), shingle_set(MIXED.casefold(), 3))


def test_shingles_hash_the_k_token_spans() -> None:
    # the same 5 tokens give the same hash wherever they are; punctuation and spacing do not count
    a = shingle_set("one two three four five", 5)
    b = shingle_set("x y z one, two  three\nfour five!", 5)
    assert a.size == 1 and a[0] in b
    assert shingle_set("ab c", 1).size == 2 and not np.array_equal(
        shingle_set("ab c", 2), shingle_set("a bc", 2)
    )


def test_shingle_and_signature_values_are_pinned() -> None:
    """Changing the hash functions changes every stored signature: do it knowingly."""
    s = shingle_set(TEXT, 5)
    assert s[:3].tolist() == [7414908753173233, 59095358968138877, 121094024480984000]
    sig = MinHasher(128).signature(s)
    assert hashlib.sha256(sig.tobytes()).hexdigest()[:16] == "9c04bb577bc1a9d7"


def test_sorted_unique_is_np_unique() -> None:
    rng = np.random.default_rng(3)
    for n in (0, 1, 2, 50, 3000):
        values = rng.integers(0, max(1, n // 3), n).astype(np.uint64) * np.uint64(2**40 + 1)
        got = sorted_unique(values)
        assert got.dtype == np.uint64 and np.array_equal(got, np.unique(values))


def test_signatures_are_the_same_in_another_process() -> None:
    code = (
        "import json, sys; from crawler.dedup.minhash import MinHasher, shingle_set; "
        "t = sys.stdin.read(); s = shingle_set(t, 5); "
        "print(json.dumps([s.tolist(), MinHasher(128).signature(s).tolist()]))"
    )
    here = shingle_set(MIXED + TEXT, 5)
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=MIXED + TEXT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "123"},
        cwd=Path(__file__).resolve().parents[3],
    ).stdout
    shingles, sig = json.loads(out)
    assert shingles == here.tolist()
    assert sig == MinHasher(128).signature(here).tolist()


def test_containment_of_a_truncated_copy_is_one() -> None:
    full, part = shingle_set(TEXT, 5), shingle_set(" ".join(TEXT.split()[100:300]), 5)
    assert containment(full, part) == 1.0
    assert containment(full, shingle_set("something else entirely here now", 5)) == 0.0


def test_minhash_estimates_jaccard() -> None:
    hasher = MinHasher(256)
    words = TEXT.split()
    a = shingle_set(" ".join(words[:300]), 5)
    b = shingle_set(" ".join(words[100:400]), 5)
    true = np.intersect1d(a, b).size / np.union1d(a, b).size
    estimate = (hasher.signature(a) == hasher.signature(b)).mean()
    assert abs(estimate - true) < 0.1
    assert np.array_equal(MinHasher(256).signature(a), hasher.signature(a))


def test_batched_signatures_equal_one_by_one() -> None:
    hasher = MinHasher(64)
    words = TEXT.split()
    sets = [shingle_set(" ".join(words[i : i + 20 + 7 * i]), 5) for i in range(40)]
    sets.insert(3, np.zeros(0, dtype=np.uint64))
    sets.append(shingle_set(" ".join(f"w{i}" for i in range(9000)), 5))  # > one chunk
    batch = hasher.signatures(sets)
    assert batch.shape == (len(sets), 64)
    for i, s in enumerate(sets):
        assert np.array_equal(batch[i], hasher.signature(s))
    assert (batch[3] == 0xFFFFFFFF).all()


def test_lsh_finds_near_copies_only() -> None:
    hasher, index = MinHasher(128), LSHIndex(32)
    words = TEXT.split()
    index.add(7, hasher.signature(shingle_set(TEXT, 5)))
    near = hasher.signature(shingle_set(" ".join(words[10:]), 5))
    other = hasher.signature(shingle_set(" ".join(f"other{i}" for i in range(400)), 5))
    assert index.candidates(near) == [7]
    assert index.candidates(other) == []


def _reference_candidates(
    added: list[tuple[int, np.ndarray]], query: np.ndarray, bands: int
) -> list[int]:
    """Keys sharing a band's rows with the query, ascending, unique."""
    rows = query.size // bands
    out: set[int] = set()
    for key, sig in added:
        if any(
            np.array_equal(sig[b * rows : (b + 1) * rows], query[b * rows : (b + 1) * rows])
            for b in range(bands)
        ):
            out.add(key)
    return sorted(out)


def test_lsh_candidates_match_the_definition_across_flushes_and_merges() -> None:
    rng = np.random.default_rng(0)
    bands, rows = 8, 2
    # few distinct values per row, so many signatures share some band
    sigs = rng.integers(0, 3, size=(300, bands * rows), dtype=np.uint32)
    keys = [(i * 7919) % 250 for i in range(300)]  # not in order, some keys added twice
    index = LSHIndex(bands, buffer_docs=7)
    added: list[tuple[int, np.ndarray]] = []
    for i, (key, sig) in enumerate(zip(keys, sigs, strict=True)):
        index.add(key, sig)
        added.append((key, sig))
        if i % 37 == 0:
            query = sigs[rng.integers(0, i + 1)]
            assert index.candidates(query) == _reference_candidates(added, query, bands)
    assert len(index) == 300
    for query in sigs[::10]:
        expected = _reference_candidates(added, query, bands)
        assert index.candidates(query) == expected


def test_lsh_keys_are_numbers_held_in_its_arrays() -> None:
    """Flushed, 2,000 documents reach as many Python objects as 200 (a few runs more): the
    keys live in the runs' uint32 arrays, not in a list of one key object each; a key that is
    no uint32 is refused."""
    rng = np.random.default_rng(1)
    held = []
    for n in (200, 2000):
        index = LSHIndex(4, buffer_docs=100)
        for key in range(n):
            index.add(1000 + key, rng.integers(0, 2**32, 16, dtype=np.uint32))
        assert len(index) == n
        seen: set[int] = set()
        stack: list[object] = [index]
        while stack:
            obj = stack.pop()
            if id(obj) not in seen and not isinstance(obj, type):
                seen.add(id(obj))
                stack.extend(gc.get_referents(obj))
        held.append(len(seen))
    assert held[1] - held[0] < 20
    with pytest.raises(ValueError, match="below 2"):
        index.add_hashes(-1, np.zeros(1, dtype=np.uint64))


def test_band_hashes_separate_bands_and_rows() -> None:
    sig = np.array([1, 2, 1, 2], dtype=np.uint32)
    h = band_hashes(sig, 2)[0]
    assert h[0] != h[1]  # same rows, different band
    assert np.array_equal(band_hashes(np.stack([sig, sig]), 2), np.stack([h, h]))
    assert band_hashes(np.array([2, 1, 1, 2], dtype=np.uint32), 2)[0][0] != h[0]


def test_paragraph_hashes_ignore_short_lines_case_and_punctuation() -> None:
    from crawler.dedup.lines import paragraph_hashes

    text = "Share this:\nThe mayor said the bridge will open in May, after repairs.\nBy Jane"
    same = "THE MAYOR SAID THE BRIDGE WILL OPEN IN MAY AFTER REPAIRS"
    assert paragraph_hashes(text, 10).size == 1
    assert np.array_equal(paragraph_hashes(text, 10), paragraph_hashes(same, 10))
    assert paragraph_hashes(text, 2).size == 3
    assert paragraph_hashes("", 1).size == 0


def test_hash_index_skips_hashes_common_to_many_keys() -> None:
    index = LSHIndex(1, buffer_docs=3)  # some entries flushed into runs, some pending
    for n in range(6):
        index.add_hashes(10 * n, np.array([7, 100 + n], dtype=np.uint64))
    query = np.array([7, 102], dtype=np.uint64)
    assert index.candidates_of_hashes(query) == [10 * n for n in range(6)]
    assert index.candidates_of_hashes(query, most=5) == [20]


_VALUES = st.sets(st.integers(0, 2**64 - 1) | st.integers(0, 40), max_size=60)


@settings(max_examples=400, deadline=None)
@given(_VALUES, _VALUES, st.booleans(), st.booleans())
def test_shared_count_is_the_size_of_the_intersection(
    a: set[int], b: set[int], sort_a: bool, sort_b: bool
) -> None:
    """Sorted or not (a sorted set is searched; any other order takes the sort), either side
    the larger: the size np.intersect1d gives."""
    x = np.array(sorted(a) if sort_a else list(a), dtype=np.uint64)
    y = np.array(sorted(b) if sort_b else list(b), dtype=np.uint64)
    expected = np.intersect1d(x, y, assume_unique=True).size
    assert shared_count(x, y) == expected == shared_count(y, x) == len(a & b)


def test_shared_count_of_shingle_sets_searches_instead_of_sorting(monkeypatch: Any) -> None:
    """Shingle sets are sorted: counting what two share sorts neither of them."""
    a, b = shingle_set(TEXT, 5), shingle_set(TEXT[: len(TEXT) // 2] + " other words here", 5)
    expected = np.intersect1d(a, b, assume_unique=True).size
    import crawler.dedup.minhash as minhash_module

    def no_sort(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("sorted")

    monkeypatch.setattr(minhash_module.np, "intersect1d", no_sort)
    assert shared_count(a, b) == expected > 0


_ENTRIES = st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 5), max_size=80)


@settings(max_examples=300, deadline=None)
@given(_ENTRIES, _ENTRIES)
def test_merged_runs_are_both_runs_stably_sorted_without_a_sort(
    older: list[int], newer: list[int]
) -> None:
    """Two runs merge into the order a stable sort of their entries gives (equal hashes: the
    older run's first, then in insertion order), placing the newer entries instead of sorting;
    in place, in the older run's grown arrays; every hash is found through the merged run's
    directory."""
    import crawler.dedup.minhash as minhash_module
    from crawler.dedup.minhash import _Run

    first = _Run(np.array(older, dtype=np.uint64), np.arange(len(older), dtype=np.uint32))
    second = _Run(
        np.array(newer, dtype=np.uint64),
        np.arange(len(older), len(older) + len(newer), dtype=np.uint32),
    )
    hashes = np.array(older + newer, dtype=np.uint64)
    order = np.argsort(hashes, kind="stable")
    real_argsort, chunk = np.argsort, minhash_module._MERGE_CHUNK
    try:
        np.argsort = _no_sort  # type: ignore[assignment]
        minhash_module._MERGE_CHUNK = 3  # older entries moved in several chunks
        merged = _Run.merge(first, second)
    finally:
        np.argsort, minhash_module._MERGE_CHUNK = real_argsort, chunk
    assert np.array_equal(merged.hashes, hashes[order])
    assert np.array_equal(merged.numbers, order.astype(np.uint32))
    for value in set(older + newer):
        found = merged.lookup(np.array([value], dtype=np.uint64))
        assert sorted(found.tolist()) == [n for n, h in enumerate(older + newer) if h == value]


def _no_sort(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("sorted")


@settings(max_examples=300, deadline=None)
@given(_ENTRIES, st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 5), max_size=20))
def test_run_lookups_in_c_give_the_numpy_entries(entries: list[int], query: list[int]) -> None:
    """A run's lookup (`_shingles.run_lookup`) finds what the numpy reference finds, in the same
    order, also when a hash has more entries than the first answer has room for."""
    import crawler.dedup.minhash as minhash_module
    from crawler.dedup.minhash import _Run

    if minhash_module._C is None:
        return
    many = entries + [3] * 40  # one hash under more keys than 2 * the query's size
    for values in (entries, many):
        run = _Run(np.array(values, dtype=np.uint64), np.arange(len(values), dtype=np.uint32))
        asked = np.array([*query, 3], dtype=np.uint64)
        fast = run.lookup_each(asked)
        real = minhash_module._C
        try:
            minhash_module._C = None
            reference = run.lookup_each(asked)
        finally:
            minhash_module._C = real
        assert fast[0].tolist() == reference[0].tolist()
        assert fast[1].tolist() == reference[1].tolist()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=140),
    st.sampled_from([1, 3, 16, 32]),
)
def test_one_signatures_band_hashes_in_c_are_the_numpy_ones(values: list[int], bands: int) -> None:
    signature = np.array(values, dtype=np.uint32)
    index = LSHIndex(bands)
    assert index._band_hashes(signature).tolist() == band_hashes(signature, bands)[0].tolist()
