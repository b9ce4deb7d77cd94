"""LineStats: per-ingest document frequencies of lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.extract.boilerplate.stats import MIN_DOCS, LineStats, line_hash


def test_counts_documents_not_occurrences() -> None:
    st = LineStats()
    st.add("Subscribe\nHello world\nSubscribe\n\n")
    st.add("subscribe  \nOther text")
    assert st.n_docs == 2
    assert st.doc_freq("Subscribe") == 2  # case / white space folded, once per document
    assert st.doc_freq("Hello world") == 1
    assert st.doc_freq("never seen") == 0


def test_digits_are_folded() -> None:
    st = LineStats()
    st.add("604 COMMENTS")
    st.add("12 comments")
    assert st.doc_freq("3 Comments") == 2


def test_merge_equals_counting_together() -> None:
    docs = [f"Menu\nStory {i} is about something else entirely\nFooter" for i in range(5)]
    together = LineStats()
    for d in docs:
        together.add(d)
    a, b = LineStats(), LineStats()
    for d in docs[:2]:
        a.add(d)
    for d in docs[2:]:
        b.add(d)
    a.merge(b)
    assert a.n_docs == together.n_docs == 5
    for line in ("Menu", "Footer", "Story 3 is about something else entirely"):
        assert a.doc_freq(line) == together.doc_freq(line)


def test_recurring_threshold() -> None:
    st = LineStats()
    for _ in range(MIN_DOCS - 1):
        st.add("Site footer")
    assert not st.freq_is_recurring(st.doc_freq("Site footer"))
    st.add("Site footer")
    assert st.freq_is_recurring(st.doc_freq("Site footer"))


def test_hash_is_stable_int() -> None:
    h = line_hash("Hello")
    assert isinstance(h, int)
    assert h == line_hash("  hello ")
    assert 0 <= h < 2**64


def test_pruned_keeps_only_lines_that_can_recur() -> None:
    stats = LineStats()
    for i in range(10):
        stats.add(f"Sign in\nShare\nunique line {i} of a story")
    stats.add("Share\nonly here")
    small = stats.pruned()
    assert small.n_docs == 11 and small.doc_freq("Share") == 11 and small.doc_freq("sign in") == 10
    assert small.doc_freq("only here") == 0 and stats.doc_freq("only here") == 1
    assert small.freq_is_recurring(small.doc_freq("Share"))
    assert not small.freq_is_recurring(small.doc_freq("only here"))


def _word(n: int) -> str:
    """A word for a number (digits fold to one key)."""
    return "".join(chr(ord("a") + int(c)) for c in str(n))


def _random_parts(seed: int, parts: int, docs: int) -> list[LineStats]:
    """Chunks of documents whose lines recur across chunks: shared chrome, lines of a few
    repeated stories, and lines of their own."""
    import random

    rng = random.Random(seed)
    out = []
    for p in range(parts):
        part = LineStats()
        for d in range(docs):
            lines = [f"chrome line {_word(rng.randrange(8))}", f"story {_word(rng.randrange(40))}"]
            lines += [f"own line {_word(p)} {_word(d)} {_word(k)}" for k in range(rng.randrange(6))]
            part.add("\n".join(lines))
        out.append(part)
    return out


def test_spilled_sum_equals_the_merge_pruned(tmp_path: Path) -> None:
    import pickle

    from crawler.extract.boilerplate.stats import SpilledLineStats

    for partitions in (1, 2, 64):
        merged = LineStats()
        spilled = SpilledLineStats(tmp_path, partitions)
        for part in _random_parts(7, 9, 40):
            merged.merge(part)
            spilled.add(part)
        result = spilled.result()
        assert result.n_docs == merged.n_docs == 360
        assert pickle.dumps(result) == pickle.dumps(merged.pruned())  # same keys, counts, types
        assert result.doc_freq("chrome line d") == merged.doc_freq("chrome line d") > MIN_DOCS
        assert merged.doc_freq("own line a a b") == 1 and not result.doc_freq("own line a a b")
        assert not list(tmp_path.iterdir())  # its files are gone


def test_spilled_sum_of_nothing_and_close(tmp_path: Path) -> None:
    from crawler.extract.boilerplate.stats import SpilledLineStats

    empty = SpilledLineStats(tmp_path)
    empty.add(LineStats())
    assert empty.result().n_docs == 0 and not list(tmp_path.iterdir())
    failed = SpilledLineStats(tmp_path)
    failed.add(_random_parts(1, 1, 5)[0])
    assert list(tmp_path.iterdir())
    failed.close()
    assert not list(tmp_path.iterdir())


def test_counts_written_apart_add_up_as_the_parts(tmp_path: Path) -> None:
    """What a worker writes (`write_counts` to a `new_path`) adds up as the part would; a file
    of other partitions is refused; a chunk written again (a retried worker) replaces it."""
    import pickle

    from crawler.extract.boilerplate.stats import SpilledLineStats, write_counts

    parts = _random_parts(5, 9, 30)
    here, apart = SpilledLineStats(tmp_path / "a", 4), SpilledLineStats(tmp_path / "b", 4)
    for part in parts:
        here.add(part)
        path = apart.new_path()
        write_counts(part, path, 4)
        apart.add_file(write_counts(part, path, 4))
    assert pickle.dumps(apart.result()) == pickle.dumps(here.result())
    assert not list((tmp_path / "a").iterdir()) and not list((tmp_path / "b").iterdir())
    other = SpilledLineStats(tmp_path / "c", 4)
    with pytest.raises(ValueError, match="not a file of this sum"):
        other.add_file(write_counts(parts[0], tmp_path / "000000.counts", 4))
    other.add_file(write_counts(parts[0], other.new_path(), 8))
    with pytest.raises(ValueError, match="8 partitions, not 4"):
        other.result()
    other.close()


def test_what_a_worker_answers_pickles(tmp_path: Path) -> None:
    import pickle

    from crawler.extract.boilerplate.stats import write_counts

    answer = write_counts(_random_parts(1, 1, 5)[0], tmp_path / "c", 2)
    assert answer == (str(tmp_path / "c"), 5)
    assert pickle.loads(pickle.dumps(answer)) == answer
