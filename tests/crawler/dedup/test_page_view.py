"""Dedup's second view of a page (the prose lines its cleaner removed): reposts match on their
body whichever block the cleaner kept; different articles in one frame stay apart."""

from pathlib import Path
from typing import Any

import pyarrow as pa

from crawler.dedup.index import DedupIndex
from crawler.dedup.minhash import MinHasher, shingle_set
from crawler.dedup.pages import SpilledProse, removed_prose
from crawler.dedup.resolve import Resolution, prose_density, resolve
from crawler.extract.normalize import content_hash, word_count


def block(name: str, paragraphs: int, words: int) -> list[str]:
    return [" ".join(f"{name}{p}w{i}" for i in range(words)) + "." for p in range(paragraphs)]


ARTICLE = block("article", 4, 30)  # the reposted article
FRAME = block("frame", 3, 15)  # prose chrome of an aggregator's frame
FRAME_BODY = block("framebody", 5, 40)  # the frame page's own article


def page(uri: str, kept: list[str], removed: list[str]) -> dict[str, Any]:
    text = "\n".join(kept)
    sig = MinHasher(64).signature(shingle_set(text, 5))
    return {
        "source_uri": uri,
        "text": text,
        "removed": "\n".join(removed),
        "content_hash": content_hash(text),
        "word_count": word_count(text),
        "signature": sig.astype("<u4").tobytes(),
    }


def run(rows: list[dict[str, Any]], **given: Any) -> Resolution:
    return resolve(
        rows,
        lambda i: str(rows[i]["text"]),
        DedupIndex(32),
        lambda ids: {},
        5,
        0.8,
        page_of=lambda i: str(rows[i]["removed"]),
        **given,
    )


def groups(rows: list[dict[str, Any]], result: Resolution) -> set[frozenset[str]]:
    by_doc: dict[str, set[str]] = {}
    for row in rows:
        uri = row["source_uri"]
        by_doc.setdefault(result.doc_of_source[uri], set()).add(uri)
    return {frozenset(g) for g in by_doc.values()}


def test_repost_whose_cleaner_kept_the_frame_merges_with_the_article() -> None:
    rows = [
        page("frame-page", FRAME_BODY, FRAME),
        page("original", ARTICLE, block("own-chrome", 1, 12)),
        page("repost", FRAME, ARTICLE),  # the cleaner kept the frame, dropped the article
    ]
    assert groups(rows, run(rows)) == {
        frozenset({"frame-page"}),
        frozenset({"original", "repost"}),
    }


def test_repost_kept_first_takes_the_article_when_the_run_votes_its_text_chrome() -> None:
    long_frame = block("frame", 4, 40)  # the repost is visited first: the longer kept text
    rows = [
        page("frame-page", block("framebody", 6, 40), long_frame),
        page("repost", long_frame, ARTICLE),
        page("original", ARTICLE[:3], []),
    ]
    assert groups(rows, run(rows)) == {
        frozenset({"frame-page"}),
        frozenset({"original", "repost"}),
    }


def test_different_articles_in_one_frame_stay_apart() -> None:
    rows = [
        page("frame-page", FRAME_BODY, FRAME),
        page("other-in-frame", block("second", 3, 30), FRAME),
        page("kept-the-frame", FRAME, block("first", 3, 30)),
    ]
    assert len(groups(rows, run(rows))) == 3


def test_frame_notice_kept_by_a_cleaner_does_not_merge_into_the_frames_article() -> None:
    notice = block("cookie", 1, 60)
    rows = [
        page("frame-page", ARTICLE, notice),
        page("its-repost", ARTICLE[:3], []),
        page("kept-the-notice", notice, block("story", 3, 30)),
    ]
    assert groups(rows, run(rows)) == {
        frozenset({"frame-page", "its-repost"}),
        frozenset({"kept-the-notice"}),
    }


def test_removed_prose_keeps_lines_of_ten_words_or_more() -> None:
    assert removed_prose(["Home | News | Sport", " ".join(["word"] * 10), "Share this"]) == (
        " ".join(["word"] * 10)
    )


def test_spilled_prose_reads_back_each_row_and_removes_its_file(tmp_path: Path) -> None:
    line = " ".join(f"w{i}" for i in range(12))
    struct = pa.struct([("line_no", pa.int32()), ("line", pa.string()), ("reason", pa.string())])
    batches = [
        pa.chunked_array([[[{"line_no": 1, "line": line, "reason": "x"}], None]], pa.list_(struct)),
        pa.chunked_array([[[{"line_no": 2, "line": "menu", "reason": "nav"}]]], pa.list_(struct)),
    ]
    path = tmp_path / "prose.spill"
    with SpilledProse(batches, path) as prose:
        assert [prose[i] for i in range(len(prose))] == [line, "", ""]
    assert not path.exists()


def test_repost_in_a_frame_seen_once_merges_when_its_kept_text_is_no_article() -> None:
    # the frame's page is not in the run: its tweet stream is prose no other page has, but
    # none of its lines ends a sentence, unlike the article the cleaner dropped
    tweets = [line.rstrip(".") + " 2 hours ago" for line in block("tweet", 4, 12)]
    rows = [page("original", ARTICLE, []), page("repost", tweets, ARTICLE)]
    assert groups(rows, run(rows)) == {frozenset({"original", "repost"})}


def test_prose_density_counts_words_of_sentence_lines() -> None:
    sentence = " ".join(["word"] * 12) + "."
    assert prose_density(sentence) == 1.0
    assert prose_density(f"{sentence}\nMenu Home News") == 12 / 15
    assert prose_density(" ".join(["word"] * 12)) == 0.0
    assert prose_density("") == 0.0


def test_texts_sharing_only_lines_common_in_the_run_stay_apart() -> None:
    form = block("comment-form", 3, 12)  # a blog platform's comment form, kept by two cleaners
    filler = [page(f"site-{k}", block(f"story{k}-", 3, 30), form) for k in range(17)]
    rows = [
        *filler,
        page("kept-the-form", form, block("first", 3, 30)),
        page("kept-it-too", [*form, *block("second", 1, 10)], block("third", 3, 30)),
    ]
    result = run(rows)
    assert result.doc_of_source["kept-the-form"] != result.doc_of_source["kept-it-too"]


def test_story_on_a_handful_of_pages_still_merges() -> None:
    rows = [page(f"copy-{k}", [*ARTICLE, f"Chrome of site {k} " * 3], []) for k in range(10)]
    assert len(groups(rows, run(rows))) == 1


def test_a_text_inside_two_run_records_joins_them_into_one() -> None:
    """Two copies of one article, each with its own frame's chrome kept around it, do not
    match each other; the clean article inside both joins them (one article, one record)."""
    chrome = [" ".join(f"{name}{p}w{i}" for i in range(15)) for p in range(6) for name in "xy"]
    rows = [
        page("copy-one", ARTICLE + chrome[0::2], []),
        page("copy-two", ARTICLE + chrome[1::2][:5], []),
        page("clean", ARTICLE, []),
    ]
    result = run(rows)
    assert groups(rows, result) == {frozenset({"copy-one", "copy-two", "clean"})}
    assert len(result.new_records) == 1
    (doc_id,) = result.new_records
    assert sorted(result.sources[doc_id]) == ["clean", "copy-one", "copy-two"]
    assert {m.doc_id for m in result.merges} == {doc_id}


def test_two_pages_whose_cleaners_kept_the_same_chrome_stay_apart() -> None:
    """The same kept text (a frame's comment list) on two pages, each with an article of its
    own among the removed lines: not one article, whatever the content hashes say."""
    widget = [" ".join(f"widget{p}w{i}" for i in range(14)) + " by Name" for p in range(5)]
    rows = [
        page("page-one", widget, block("first", 3, 30)),
        page("page-two", widget, block("second", 3, 30)),
    ]
    result = run(rows)
    assert len(groups(rows, result)) == 2
    assert len(result.new_records) == 2 and not result.merges


def test_repost_whose_cleaner_kept_other_prose_merges_when_the_run_kept_the_article() -> None:
    """The repost's cleaner kept a comment thread (prose seen nowhere else, as dense as the
    article) and removed the article; two other pages' cleaners kept the article."""
    comments = block("comment", 2, 25)
    rows = [
        page("original", ARTICLE, block("own-chrome", 1, 12)),
        page("clean-repost", ARTICLE, block("other-chrome", 1, 12)),
        page("repost", comments, ARTICLE),
    ]
    assert groups(rows, run(rows)) == {frozenset({"original", "clean-repost", "repost"})}


def test_a_partial_repost_matches_the_record_through_its_clean_copy() -> None:
    """The record keeps the fullest copy (the article with a long teaser list after it); a
    partial repost covers too little of that, but is most of the clean copy merged into it."""
    teasers = [" ".join(f"teaser{p}w{i}" for i in range(8)) for p in range(50)]
    rows = [
        page("with-teasers", ARTICLE + teasers, []),
        page("clean-copy", ARTICLE, []),
        page("partial", ARTICLE[1:], []),
    ]
    assert groups(rows, run(rows)) == {frozenset({"with-teasers", "clean-copy", "partial"})}


def test_resolve_tokenizes_each_page_once_not_line_by_line(monkeypatch: Any) -> None:
    import crawler.dedup.lines as lines_module
    import crawler.dedup.minhash as minhash_module
    from crawler.extract.normalize import joined_tokens

    rows = [
        page(f"p{n}", [*ARTICLE, *block(f"own{n}x", 2, 20)], [*FRAME, *block(f"gone{n}x", 3, 12)])
        for n in range(6)
    ]
    per_line: list[str] = []
    whole: list[str] = []

    def counted_tokens(text: str) -> str:
        per_line.append(text)
        return joined_tokens(text)

    made = lines_module.Lines.of.__func__  # type: ignore[attr-defined]

    def counted_lines(cls: type, text: str) -> Any:
        whole.append(text)
        return made(cls, text)

    monkeypatch.setattr(minhash_module, "joined_tokens", counted_tokens)
    monkeypatch.setattr(lines_module.Lines, "of", classmethod(counted_lines))
    run(rows)
    # the run's vote reads each page once, its resolution once more; only leads (60 words)
    # are tokenized apart
    assert len(whole) <= 2 * len(rows)
    assert len(per_line) <= len(rows)
    assert all(len(text.split()) <= 60 for text in per_line)


def test_with_the_pages_keys_made_beforehand_a_row_without_candidates_is_not_tokenized(
    monkeypatch: Any,
) -> None:
    """The finish's first pass makes each page's paragraph keys (in any process): resolve then
    builds a page only for rows that have candidates, and decides as it did."""
    import crawler.dedup.lines as lines_module
    from crawler.dedup.votes import count_pages, count_run

    rows = [page(f"p{n}", block(f"own{n}x", 3, 20), block(f"gone{n}x", 2, 12)) for n in range(5)]
    rows += [
        page("frame-page", FRAME_BODY, FRAME),
        page("original", ARTICLE, block("own-chrome", 1, 12)),
        page("repost", FRAME, ARTICLE),
    ]
    keys: list[Any] = []
    count_pages(((str(r["text"]), str(r["removed"])) for r in rows), keys)
    built: list[str] = []
    of = lines_module.Lines.of

    def counted(text: str) -> Any:
        built.append(text)
        return of(text)

    before = run(rows)
    # the run's vote counted beforehand too (as the finish's first pass does): only the loop's
    # tokenizing is counted
    vote = count_run((str(r["text"]), str(r["removed"])) for r in rows)
    monkeypatch.setattr(lines_module.Lines, "of", staticmethod(counted))
    after = run(rows, keys_of=keys.__getitem__, vote=vote)
    assert (after.doc_of_source, after.merges) == (before.doc_of_source, before.merges)
    assert frozenset({"original", "repost"}) in groups(rows, after)
    assert not any("own0x" in text for text in built)  # p0 had no candidate
    assert len(built) <= 3  # the rows that have candidates, at most
