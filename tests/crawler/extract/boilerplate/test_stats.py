"""LineStats: per-ingest document frequencies of lines."""

from __future__ import annotations

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
