"""The line model's fast paths give exactly the values of their references: `line_rows` (one
matrix filled block by block) those of `line_rows_reference` (column by column), bit for bit,
and the trees walked in C (`_forest.c`) the leaf values of the numpy evaluation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extract.boilerplate import LineStats, clean_text, learned, native
from crawler.extract.boilerplate.learned import feature_names, model_from_spec
from crawler.reasons import Removed

ROOT = Path(__file__).resolve().parents[4]

Args = tuple[Any, ...]


def _captured(texts: list[str], stats: LineStats | None) -> list[Args]:
    """The arguments `clean_text` passes to `line_rows` for each page of `texts`."""
    got: list[Args] = []
    real = learned.line_rows

    def spy(*args: Any) -> Any:
        got.append(args)
        return real(*args)

    learned.line_rows = spy  # type: ignore[assignment]
    try:
        for t in texts:
            clean_text(t, stats, learned=True)
    finally:
        learned.line_rows = real  # type: ignore[assignment]
    return got


@contextmanager
def _numpy_rows() -> Iterator[None]:
    """`line_rows` without its C helpers (as in a plain-Python process)."""
    saved = learned._c_rows, learned._c_doubles
    learned._c_rows = learned._c_doubles = None
    try:
        yield
    finally:
        learned._c_rows, learned._c_doubles = saved


def _same_rows(args: Args) -> None:
    """Both ways of `line_rows` (C when built, and numpy), with the frequencies the cleaner
    hands it (`freqs`, when captured) and looking them up itself, give the reference's rows."""
    ref = learned.line_rows_reference(*args[:6])
    assert ref.shape == (len(args[0]), len(feature_names()))
    got: list[Any] = []
    for call in (args, args[:6]):
        got.append(learned.line_rows(*call))
        with _numpy_rows():
            got.append(learned.line_rows(*call))
    for rows in got:
        assert rows.shape == ref.shape
        assert rows.dtype == ref.dtype
        assert rows.tobytes() == ref.tobytes()  # bit for bit (a -0.0 would differ too)


def _eval_pages() -> Iterator[list[str]]:
    shared = ROOT.parent / "shared" / "eval"
    if not shared.is_dir():  # a worktree under /work/wt/<name>
        shared = ROOT.parent.parent / "shared" / "eval"
    for folder in (ROOT / "eval" / "dev" / "text", shared / "dragnet-train" / "text"):
        if folder.is_dir():
            yield [p.read_text("utf-8", "replace") for p in sorted(folder.iterdir())]


def test_rows_are_those_of_the_reference_on_every_dev_page() -> None:
    texts = [p.read_text("utf-8", "replace") for p in sorted((ROOT / "eval/dev/text").iterdir())]
    stats = LineStats()
    for t in texts:
        stats.add(t)
    pages = _captured(texts, stats)
    assert len(pages) == len(texts)
    for args in pages:
        _same_rows(args)
        _same_rows((args[0], None, *args[2:6]))  # without stats, no frequencies either


@pytest.mark.slow
def test_rows_and_leaves_are_those_of_the_references_on_every_eval_page() -> None:
    model = learned.default_model()
    assert model is not None
    seen = 0
    for texts in _eval_pages():
        stats = LineStats()
        for t in texts:
            stats.add(t)
        for args in _captured(texts, stats):
            _same_rows(args)
            x = learned.line_rows(*args)
            assert model._leaf_values(x).tobytes() == model._leaf_values_np(x).tobytes()
            seen += 1
    assert seen >= 63


LINES = [
    "",
    "Home | News | Sport",
    "Share on Facebook",
    "By Jane Doe",
    "12 March 2024",
    "Photo: Reuters",
    "The council said on Tuesday that the new bridge would open next year, after delays.",
    "It was, she said, a long and difficult process for everyone involved in it.",
    "Read more: Storm hits the coast",
    "© 2024 Example News. All rights reserved.",
    "1 of 12",
    "東京都は新しい計画を発表した。関係者によると、来年から始まる予定だ。",
    "•••",
    "Subscribe to our newsletter",
    "Related stories",
]


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(st.sampled_from(LINES), max_size=40),
    span=st.tuples(st.integers(-3, 45), st.integers(-3, 45)),
    marks=st.lists(
        st.tuples(st.integers(-2, 45), st.sampled_from(sorted(Removed, key=str))), max_size=12
    ),
    nav=st.sets(st.integers(-2, 45), max_size=8),
    sect=st.lists(st.tuples(st.integers(-2, 45), st.sampled_from(list(Removed))), max_size=6),
    with_stats=st.booleans(),
)
def test_rows_are_those_of_the_reference_for_any_rules_state(
    lines: list[str],
    span: tuple[int, int],
    marks: list[tuple[int, Removed]],
    nav: set[int],
    sect: list[tuple[int, Removed]],
    with_stats: bool,
) -> None:
    """Any page, span (also outside the page or empty), reasons, navigation and sections (also
    at positions past either end, which both leave out)."""
    text = "\n".join(lines)
    stats = None
    if with_stats:
        stats = LineStats()
        for t in (text, text, "\n".join(reversed(lines)), text):
            stats.add(t)
    pages = _captured([text], stats)
    page_lines = pages[0][0] if pages else []
    _same_rows((page_lines, stats, span, dict(sect), nav, dict(marks)))


def _random_forest(rng: np.random.Generator, depth: int, n_trees: int, n_feat: int) -> Any:
    nodes = 2**depth - 1
    return [
        {
            "feature": rng.integers(0, n_feat, nodes).tolist(),
            "threshold": rng.choice([-1.0, -0.0, 0.0, 0.5, 2.0, np.inf], nodes).tolist(),
            "leaf": rng.normal(size=nodes + 1).tolist(),
        }
        for _ in range(n_trees)
    ]


def _walk(trees: Any, x: np.ndarray) -> np.ndarray:
    out = np.zeros((len(x), len(trees)))
    for i, row in enumerate(x):
        for t, tree in enumerate(trees):
            node = 0
            while node < len(tree["feature"]):
                node = 2 * node + 1 + int(row[int(tree["feature"][node])] > tree["threshold"][node])
            out[i, t] = tree["leaf"][node - len(tree["feature"])]
    return out


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5, 6])
def test_trees_in_c_give_the_leaves_of_a_plain_walk(depth: int) -> None:
    """Values on a threshold go left, NaN goes left, -0.0 equals 0.0, on trees deeper than
    the numpy path takes (at most 15 splits) too; and the same leaves as numpy where it can."""
    rng = np.random.default_rng(depth)
    names = feature_names()
    n_feat = 7
    trees = _random_forest(rng, depth, 11, n_feat)
    spec = {"kind": "gbdt", "features": names[5 : 5 + n_feat], "lr": 0.3, "base": 0.1}
    model = model_from_spec(spec | {"trees": trees})
    values = [-1.0, -0.0, 0.0, 0.5, 1.0, 2.0, 3.0, np.nan, np.inf, -np.inf]
    x = rng.choice(values, size=(60, len(names)))
    want = _walk(trees, x[:, 5 : 5 + n_feat])
    if learned._c_leaf_values is None:
        pytest.skip("no matching compiled build (make setup): the numpy path runs")
    assert model._leaf_values(x).tobytes() == want.tobytes()
    if depth <= 4:
        assert model._leaf_values_np(x).tobytes() == want.tobytes()
    strided = np.asfortranarray(x)  # any layout: made contiguous first
    assert model._leaf_values(strided).tobytes() == want.tobytes()
    assert model._leaf_values(x[:0]).shape == (0, len(trees))


def test_the_c_walk_refuses_what_it_cannot_read() -> None:
    if learned._c_leaf_values is None:
        pytest.skip("no matching compiled build (make setup): the numpy path runs")
    walk = learned._c_leaf_values
    x = np.zeros((4, 5))
    cols = np.zeros(3, dtype=np.intp)
    thr, leaf, out = np.zeros(3), np.zeros(4), np.zeros((4, 1))
    walk(x, 5, cols, thr, leaf, 2, out)  # one tree of depth 2: fine
    with pytest.raises(IndexError):
        walk(x, 5, np.array([0, 5, 1], dtype=np.intp), thr, leaf, 2, out)
    with pytest.raises(ValueError):
        walk(x, 5, cols, thr, leaf, 2, np.zeros((3, 1)))  # out of the wrong size
    with pytest.raises(ValueError):
        walk(x, 5, cols, thr, np.zeros(5), 2, out)
    with pytest.raises(TypeError):
        walk(x.astype(np.float32), 5, cols, thr, leaf, 2, out)
    with pytest.raises(ValueError):
        walk(x, 5, cols, thr, leaf, 0, out)


def test_a_compiled_process_walks_the_trees_in_c() -> None:
    assert (learned._c_leaf_values is not None) == native.ACTIVE


def test_the_c_rows_refuse_what_they_cannot_read() -> None:
    if learned._c_rows is None:
        pytest.skip("no matching compiled build (make setup): the numpy path runs")
    rows = learned._c_rows
    n, cols = 3, len(feature_names())

    def call(e: np.ndarray, layout: tuple[int, ...] = learned._LAYOUT, x: Any = None) -> None:
        x = np.zeros((n, cols)) if x is None else x
        f, units, freq = np.zeros((n, 19)), np.zeros(n), np.zeros(n)
        rows(x, cols, f, e, freq, units, 0.0, 0, n, layout, np.zeros(n))

    fine = np.full((n, 8), -1.0)
    call(fine)
    with pytest.raises(ValueError):
        call(fine, (*learned._LAYOUT[:-2], learned._LAYOUT[-2] + 1, learned._LAYOUT[-1]))
    for bad in (len(learned._CHROME_REASONS), 0.5, -2.0):
        e = fine.copy()
        e[1, 6] = bad
        with pytest.raises(IndexError):
            call(e)
    with pytest.raises(ValueError):
        call(np.full((n + 1, 8), -1.0))
    with pytest.raises(TypeError):
        call(fine, x=np.zeros((n, cols), dtype=np.float32))


def test_doubles_are_what_float_makes_of_each_item() -> None:
    if learned._c_doubles is None:
        pytest.skip("no matching compiled build (make setup): the numpy path runs")
    values: list[Any] = [True, False, 0, 7, -3, 2**60 + 1, 0.1, -0.0, float("inf"), 1e308]
    out = np.empty(len(values))
    learned._c_doubles(values, out)
    assert out.tobytes() == np.array([float(v) for v in values]).tobytes()
    with pytest.raises(TypeError):
        learned._c_doubles(["1.0"], np.empty(1))
    with pytest.raises(OverflowError):
        learned._c_doubles([10**400], np.empty(1))
    with pytest.raises(ValueError):
        learned._c_doubles([1.0], np.empty(2))
