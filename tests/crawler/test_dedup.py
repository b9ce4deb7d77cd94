import numpy as np

from crawler.dedup import LSHIndex, MinHasher, containment, shingle_set

TEXT = " ".join(f"word{i}" for i in range(400))


def test_shingles_are_stable_and_case_insensitive() -> None:
    a, b = shingle_set(TEXT, 5), shingle_set(TEXT.upper(), 5)
    assert np.array_equal(a, b)
    assert a.size == 396
    assert shingle_set("", 5).size == 0
    assert shingle_set("two words", 5).size == 1


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


def test_lsh_finds_near_copies_only() -> None:
    hasher, index = MinHasher(128), LSHIndex(32)
    words = TEXT.split()
    index.add("orig", hasher.signature(shingle_set(TEXT, 5)))
    near = hasher.signature(shingle_set(" ".join(words[10:]), 5))
    other = hasher.signature(shingle_set(" ".join(f"other{i}" for i in range(400)), 5))
    assert index.candidates(near) == ["orig"]
    assert index.candidates(other) == []
