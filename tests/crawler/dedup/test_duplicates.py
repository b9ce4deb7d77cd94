import itertools
from collections.abc import Callable
from typing import Any

from crawler.dedup.index import DedupIndex
from crawler.dedup.minhash import MinHasher, shingle_set
from crawler.dedup.resolve import resolve
from crawler.extract.normalize import content_hash, word_count

BASE = [" ".join(f"p{p}w{i}" for i in range(60)) + "." for p in range(8)]


def row(uri: str, paragraphs: list[str]) -> dict[str, Any]:
    text = "\n".join(paragraphs)
    sig = MinHasher(128).signature(shingle_set(text, 5))
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
