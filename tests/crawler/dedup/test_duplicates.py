import itertools
import random
from collections.abc import Callable
from typing import Any

from crawler.dedup.index import DedupIndex
from crawler.dedup.minhash import MinHasher, shingle_set
from crawler.dedup.resolve import resolve
from crawler.extract.normalize import content_hash, word_count

BASE = [" ".join(f"p{p}w{i}" for i in range(60)) + "." for p in range(8)]


def row(uri: str, paragraphs: list[str], num_perm: int = 128) -> dict[str, Any]:
    text = "\n".join(paragraphs)
    sig = MinHasher(num_perm).signature(shingle_set(text, 5))
    return {
        "source_uri": uri,
        "text": text,
        "content_hash": content_hash(text),
        "word_count": word_count(text),
        "signature": sig.astype("<u4").tobytes(),
    }


ROWS = [
    row("full", BASE),
    row("missing-first", BASE[1:]),
    row("copy", [p.upper() for p in BASE]),
    row("other", [p.replace("w", "x") for p in BASE]),
]


def text_of(rows: list[dict[str, Any]]) -> Callable[[int], str]:
    return lambda i: str(rows[i]["text"])


def no_texts(ids: list[str]) -> dict[str, str]:
    return {}


def test_fullest_version_is_kept_and_the_others_merge() -> None:
    result = resolve(ROWS, text_of(ROWS), DedupIndex(32), no_texts, 5, 0.8)
    kept = {ROWS[i]["source_uri"]: doc_id for doc_id, i in result.new_records.items()}
    # "copy" and "full" have the same words: the first source name wins the tie
    assert set(kept) == {"copy", "other"}
    assert sorted(result.sources[kept["copy"]]) == ["copy", "full", "missing-first"]
    kinds = {m.source_uri: (m.kind, m.similarity) for m in result.merges}
    assert kinds == {"full": ("exact", 1.0), "missing-first": ("near", 1.0)}


def test_outcome_does_not_depend_on_input_order() -> None:
    outcomes = set()
    for perm in itertools.permutations(ROWS):
        result = resolve(list(perm), text_of(list(perm)), DedupIndex(32), no_texts, 5, 0.8)
        outcomes.add(tuple(sorted((d, tuple(sorted(s))) for d, s in result.sources.items())))
    assert len(outcomes) == 1


def test_merges_into_records_already_in_the_dataset() -> None:
    index = DedupIndex(32)
    first = resolve([ROWS[0]], text_of([ROWS[0]]), index, no_texts, 5, 0.8)
    (doc_id,) = first.new_records
    texts = {doc_id: ROWS[0]["text"]}
    second = resolve(
        [ROWS[1]], text_of([ROWS[1]]), index, lambda ids: {i: texts[i] for i in ids}, 5, 0.8
    )
    assert not second.new_records
    assert second.merges[0].doc_id == doc_id and second.merges[0].kind == "near"


def _words(tag: str, n: int) -> list[str]:
    return [f"{tag}{i}" for i in range(n)]


def _paragraphs(tag: str, count: int, words: int = 30) -> list[str]:
    return [" ".join(_words(f"{tag}p{p}w", words)) + "." for p in range(count)]


def _sources(rows: list[dict[str, Any]]) -> set[frozenset[str]]:
    result = resolve(rows, text_of(rows), DedupIndex(32), no_texts, 5, 0.8)
    return {frozenset(s) for s in result.sources.values()}


def test_short_repost_inside_surviving_chrome_merges_whatever_the_sizes() -> None:
    # an article of 4 paragraphs reposted in a frame whose chrome survived cleaning: 3x its
    # size. MinHash (Jaccard 0.25) finds some such pairs; a shared paragraph finds all of them
    rows = []
    for k in range(6):
        body = _paragraphs(f"a{k}", 4)
        rows += [row(f"orig{k}", body), row(f"repost{k}", _paragraphs(f"chrome{k}", 12) + body)]
    assert _sources(rows) == {frozenset({f"orig{k}", f"repost{k}"}) for k in range(6)}


def test_short_article_in_another_page_related_block_stays_apart() -> None:
    # page = its own article (10 paragraphs) + a short article (2 paragraphs) in a related list:
    # the short article is wholly inside the page, but neither a repost nor reposted there.
    # The defaults' 2-row bands (64 permutations, 32 bands) find most such pairs
    rows = []
    for k in range(12):
        short = _paragraphs(f"s{k}", 2)
        page = _paragraphs(f"p{k}", 10) + short
        rows += [row(f"short{k}", short, 64), row(f"page{k}", page, 64)]
    assert _sources(rows) == {frozenset({r["source_uri"]}) for r in rows}


def test_partial_repost_of_the_lead_merges() -> None:
    # the first 2 of 12 paragraphs reposted: under a fifth of the original, but its start
    rows = []
    for k in range(6):
        full = _paragraphs(f"f{k}", 12)
        rows += [row(f"full{k}", full), row(f"lead{k}", full[:2])]
    assert _sources(rows) == {frozenset({f"full{k}", f"lead{k}"}) for k in range(6)}


def _teasers(tag: str, count: int) -> list[str]:
    """Headline-like lines (8 words, no sentence end): chrome a cleaner may keep."""
    return [" ".join(_words(f"{tag}t{t}w", 8)) for t in range(count)]


def test_copies_with_different_chrome_kept_match_on_their_prose_lines() -> None:
    # one article (6 paragraphs) on two pages whose cleaners kept 20 teaser lines each, other
    # teasers on each page: half of each text is chrome (containment ~0.53), their prose lines
    # are the same article. Two other articles under one page's teasers stay apart
    rows = []
    for k in range(4):
        body = _paragraphs(f"a{k}", 6)
        rows += [
            row(f"first{k}", body + _teasers(f"x{k}", 20)),
            row(f"second{k}", _teasers(f"y{k}", 20) + body),
        ]
    for k in range(2):
        frame = _teasers(f"frame{k}", 20)
        rows += [
            row(f"framed{k}a", _paragraphs(f"b{k}", 6) + frame),
            row(f"framed{k}b", _paragraphs(f"c{k}", 6) + frame),
        ]
    assert _sources(rows) == {frozenset({f"first{k}", f"second{k}"}) for k in range(4)} | {
        frozenset({f"framed{k}{s}"}) for k in range(2) for s in "ab"
    }


def test_a_rows_candidates_are_counted_at_once(monkeypatch: Any) -> None:
    """Pages written from the same few phrases are each other's LSH candidates (the crawl
    bench's site): a row's shingles are counted against all its candidates' in one call
    (`shared_counts`), never pair by pair; copies still merge."""
    import crawler.dedup.resolve as resolve_module
    from crawler.dedup import minhash

    words = itertools.product(("mayor", "council", "board", "judge"), ("approved", "rejected",
                              "delayed"), ("plan", "bridge", "budget"), ("May", "June"))  # fmt: skip
    phrases = [f"the {s} {v} the {o} in {p}." for s, v, o, p in words]
    rng = random.Random(3)
    texts = ["\n".join(" ".join(rng.sample(phrases, 5)) for _ in range(5)) for _ in range(24)]
    texts += [texts[0], "\n".join(texts[1].splitlines()[1:])]  # a copy and a near copy
    rows = [row(f"file:///p/{n}.txt", t.splitlines(), 64) for n, t in enumerate(texts)]
    pairs: list[int] = []
    batched: list[int] = []

    def per_pair(a: Any, b: Any) -> int:
        pairs.append(1)
        return minhash.shared_count(a, b)

    def at_once(a: Any, sets: Any) -> Any:
        batched.append(len(sets))
        return minhash.shared_counts(a, sets)

    monkeypatch.setattr(resolve_module, "shared_count", per_pair)
    monkeypatch.setattr(resolve_module, "shared_counts", at_once)
    result = resolve(rows, text_of(rows), DedupIndex(32), no_texts, 5, 0.8)
    assert sum(batched) > 3 * len(rows)  # rows have many candidates each
    assert len(pairs) < sum(batched) // 4  # near copies and leads only
    assert result.doc_of_source["file:///p/24.txt"] == result.doc_of_source["file:///p/0.txt"]
    assert result.doc_of_source["file:///p/25.txt"] == result.doc_of_source["file:///p/1.txt"]
