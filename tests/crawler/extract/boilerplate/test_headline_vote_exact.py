"""The headline vote's shortcuts (`boilerplate/headline_vote.py`) give the reference's answers:
`pick` (bounded, dear parts of losing rows skipped) equals the highest score over every row of
`_rows`, and `_shared_words` equals the intersection of content-word sets."""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from operator import mul
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extract.boilerplate import LineStats, clean_text, headline_vote
from crawler.extract.boilerplate.cleaner import _analyse

_DEV = Path(__file__).resolve().parents[4] / "eval" / "dev" / "text"

# characters whose case fold, word class or length is unusual: ß -> ss, ſ, İ (two code points
# folded), final sigma, ligatures, digits of other scripts, a combining mark, CJK, "_"
_ALPHABET = [
    *"abcdeAB _-'.,", "ß", "ẞ", "ſ", "İ", "ı", "K", "Σ", "ς", "ﬁ", "①", "٣", "²", "\u0345",
    "é", "e\u0301", "中", "\u200b", "ǅ", "Ⅻ",
]  # fmt: skip


def _reference_pick(
    lines: object, start: int, end: int, sect: set[int], nav: set[int], chosen: int | None,
    weights: Mapping[str, float] | None = None,
) -> int | None:  # fmt: skip
    """`pick` as it was: every row in full, the best score, the first of equal ones."""
    rows = headline_vote._rows(lines, start, end, sect, nav, chosen)  # type: ignore[arg-type]
    if not lines or not rows:
        return chosen
    w = headline_vote.default_weights() if weights is None else weights
    ws = [w.get(name, 0.0) for name in headline_vote.FEATURES]
    return max(rows, key=lambda k: (sum(map(mul, ws, rows[k])), -k))


def _votes(folder: Path) -> Iterator[tuple[object, ...]]:
    """The arguments of every `pick` the cleaner makes over a set's pages."""
    texts = [p.read_text("utf-8", "replace") for p in sorted(folder.iterdir())]
    stats = LineStats()
    for text in texts:
        stats.add(text)
    calls: list[tuple[object, ...]] = []

    def spy(*args: object) -> int | None:
        calls.append(args)
        return headline_vote.pick(*args)  # type: ignore[arg-type]

    for text in texts:
        clean_text(text, stats, vote=spy)
    yield from calls


@pytest.mark.skipif(not _DEV.is_dir(), reason="needs eval/dev/text")
def test_pick_equals_the_best_full_row_on_every_dev_page() -> None:
    rng = random.Random(15)
    n = 0
    for args in _votes(_DEV):
        weight_sets: list[dict[str, float] | None] = [None]
        weight_sets += [{f: rng.uniform(-3, 3) for f in headline_vote.FEATURES} for _ in range(2)]
        # few distinct values: ties between rows, which the first position must win
        weight_sets += [{f: rng.choice([0.0, 1.0, -1.0]) for f in headline_vote.FEATURES}]
        for w in weight_sets:
            assert headline_vote.pick(*args, weights=w) == _reference_pick(*args, weights=w)  # type: ignore[arg-type]
        n += 1
    assert n >= 60


def test_pick_without_a_bound_for_weights_that_are_not_finite() -> None:
    lines = [
        "Home",
        "River bridge closed after engineers find cracks",
        "By Jane Doe",
        "The city council voted on Tuesday to close the old river bridge to all traffic after "
        "engineers found deep cracks in two of its supporting piers during an inspection.",
    ]
    analysed = _analyse(lines, None)
    for value in (float("inf"), float("-inf")):
        w = dict(headline_vote.default_weights(), long=value)
        assert headline_vote.pick(analysed, 3, 4, set(), set(), None, w) == _reference_pick(
            analysed, 3, 4, set(), set(), None, w
        )


def test_shared_words_on_crafted_texts() -> None:
    cases = [
        ("Strasse", "die straße ist lang"),  # ß folds to ss
        ("bridge", "the bridges of the bridge"),
        ("bridge", "the bridges_ of the_bridge"),  # "_" is a word character
        ("city", "the CITY council"),
        ("ſtar", "a star is born"),  # ſ folds to s
        ("under", "the underpass"),
        ("café", "cafe\u0301 or café"),
    ]
    for title, text in cases:
        words = headline_vote._content_words(title)
        want = len(words & headline_vote._content_words(text))
        assert headline_vote._shared_words(words, text) == want, (title, text)


@settings(max_examples=1_000, deadline=None)
@given(
    st.lists(st.sampled_from(_ALPHABET), max_size=40).map("".join),
    st.lists(st.sampled_from(_ALPHABET), max_size=15).map("".join),
)
def test_shared_words_equals_the_set_intersection(text: str, title: str) -> None:
    words = headline_vote._content_words(title) | headline_vote._content_words(text[:12])
    want = len(words & headline_vote._content_words(text))
    assert headline_vote._shared_words(words, text) == want
