"""Dedup's outcome by row number: what it holds does not grow with the run as Python objects,
and the rows' columns give the order and the groups the mappings gave."""

import gc
from types import FunctionType, ModuleType
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.dedup.index import DedupIndex
from crawler.dedup.minhash import MinHasher, shingle_set
from crawler.dedup.resolution import RunRows
from crawler.dedup.resolve import resolve, visit_order
from crawler.extract.normalize import content_hash, word_count

HASHER = MinHasher(64)


def row(uri: str, text: str) -> dict[str, Any]:
    return {
        "source_uri": uri,
        "text": text,
        "content_hash": content_hash(text),
        "word_count": word_count(text),
        "signature": HASHER.signature(shingle_set(text, 5)).astype("<u4").tobytes(),
    }


def run_of(n: int) -> list[dict[str, Any]]:
    """n rows: articles of their own, each with an exact copy and a near copy (a paragraph
    less) beside it."""
    rows = []
    for a in range(n // 3):
        body = [" ".join(f"a{a}p{p}w{w}" for w in range(40)) + "." for p in range(6)]
        rows += [
            row(f"file:///dumps/{a}/article.txt", "\n".join(body)),
            row(f"file:///dumps/{a}/copy.txt", "\n".join(body)),
            row(f"file:///dumps/{a}/near.txt", "\n".join(body[1:])),
        ]
    return rows


def objects_held(root: object) -> dict[type, int]:
    """The Python objects reachable from root (by type; classes, modules and functions not
    followed)."""
    seen: set[int] = set()
    counts: dict[type, int] = {}
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, type | ModuleType | FunctionType):
            continue
        seen.add(id(obj))
        counts[type(obj)] = counts.get(type(obj), 0) + 1
        stack.extend(gc.get_referents(obj))
    return counts


def test_the_outcome_holds_no_python_object_per_row() -> None:
    """The outcome of a run of 60 rows and of 600 holds as many Python objects (its arrays
    grow, not the objects): no source, doc_id or merge string per row until one is written
    (the older dicts and lists held ~4 strings a row)."""
    held = {}
    for n in (60, 600):
        rows = run_of(n)
        result = resolve(rows, lambda i, rows=rows: str(rows[i]["text"]), DedupIndex(32),
                         lambda ids: {}, 5, 0.8)  # fmt: skip
        assert len(result.new_records) == n // 3 and len(result.merges) == 2 * n // 3
        held[n] = objects_held(result)
    assert held[600].get(str, 0) == held[60].get(str, 0)
    assert sum(held[600].values()) == sum(held[60].values())


def test_the_outcome_as_mappings() -> None:
    """Each row's record, the merges in the order made and each record's sources."""
    rows = run_of(6)
    result = resolve(rows, lambda i: str(rows[i]["text"]), DedupIndex(32), lambda ids: {}, 5, 0.8)
    doc_of = result.doc_of_source
    for a in range(2):
        article, copy, near = (
            f"file:///dumps/{a}/{name}.txt" for name in ("article", "copy", "near")
        )
        assert doc_of[article] == doc_of[copy] == doc_of[near]
        assert result.sources[doc_of[article]] == sorted([article, copy, near])
    assert result.kept_sources == {f"file:///dumps/{a}/article.txt" for a in range(2)}
    assert [(m.kind, m.similarity) for m in result.merges] == [("exact", 1.0), ("exact", 1.0),
                                                              ("near", 1.0), ("near", 1.0)]  # fmt: skip
    assert [result.doc_id(i) for i in range(len(rows))] == [doc_of[r["source_uri"]] for r in rows]


WORDS = st.text(alphabet=st.sampled_from("aZé字\U0001f600 0"), max_size=4)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), WORDS, WORDS), max_size=30))
def test_the_columns_visit_rows_in_the_mappings_order(keys: list[tuple[int, str, str]]) -> None:
    """Arrow's sort of the columns (bytes of UTF-8, stable) is Python's sort of the rows."""
    rows = [
        {"word_count": w, "content_hash": h, "source_uri": s, "signature": b""} for w, h, s in keys
    ]
    expected = sorted(range(len(rows)), key=lambda k: visit_order(rows[k]))
    assert RunRows.of(rows).visit_order().tolist() == expected


def test_the_loop_lets_the_allocators_give_back_every_so_many_rows(monkeypatch: Any) -> None:
    """`release` (the finish gives back its allocators' freed pages) is called every
    RELEASE_ROWS rows visited, and changes nothing of the outcome."""
    import crawler.dedup.resolve as resolve_module

    monkeypatch.setattr(resolve_module, "RELEASE_ROWS", 4)
    rows = run_of(12)
    calls: list[int] = []

    def run(release: Any) -> Any:
        return resolve(rows, lambda i: str(rows[i]["text"]), DedupIndex(32), lambda ids: {},
                       5, 0.8, release=release)  # fmt: skip

    released = run(lambda: calls.append(1))
    assert len(calls) == 3
    assert released.doc_of_source == run(None).doc_of_source


def test_the_index_holds_no_python_object_per_record() -> None:
    """After a run of 60 rows and of 600, the dedup index (its LSH bands, extended with the
    run's records) holds as many Python objects: its keys are row numbers in its arrays (they
    were the records' doc_id strings, one per record)."""
    held = {}
    for n in (60, 600):
        rows = run_of(n)
        index = DedupIndex(32)
        index.lsh.buffer_docs = 50  # the run's records flushed into the arrays, n // 3 of them
        resolve(rows, lambda i, rows=rows: str(rows[i]["text"]), index, lambda ids: {}, 5, 0.8)
        assert len(index.lsh) == n // 3
        held[n] = objects_held(index)
    assert held[600].get(str, 0) == held[60].get(str, 0)
    assert sum(held[600].values()) - sum(held[60].values()) < 10  # a run or two more
