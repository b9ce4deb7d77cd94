"""The learned line decisions of the dump cleaner (issue 14).

After the rules have found the article run and a reason for every removed line,
`line_rows` turns what they saw into one feature row per non-blank line (the line's own
shape, chrome reason, recurrence in the ingest, block context, the rules' decision, the
same for the lines around it) and a small model trained on labelled pages gives each line
the probability that it is article text. Lines above the threshold are kept.

The parameters (`cleaner_model.json`, next to this module) are written by
`bench/train_cleaner.py --model-out`; they were trained on Dragnet's training split
(AGPL-3.0, third-party pages kept outside the repository), synthetic ingests built from it
at training time (`bench/syndicated_ingests.py`) and the project's eval/dev pages (MIT).
Prediction needs numpy only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from operator import attrgetter
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from crawler.extract.boilerplate import blocks
from crawler.extract.boilerplate.blocks import Line
from crawler.extract.boilerplate.features import model_values
from crawler.extract.boilerplate.lines import _CJK
from crawler.extract.boilerplate.stats import LineStats, key_hash
from crawler.reasons import Removed

Arr = npt.NDArray[np.float64]
_TOKEN = re.compile(r"\w+")  # the metric's tokens (eval/score.py): what "words" count
MODEL_PATH = Path(__file__).with_name("cleaner_model.json")
LEARNED_BY_DEFAULT = True
"""Whether `clean_text` uses the shipped model when not told: on since its site-grouped
cross-validated F1 beats the rules' on dragnet-train, holds dev level per language, and a
story syndicated across an ingest keeps its lines (docs/learned-cleaner.md, third session)."""

_REASONS = list(Removed)
_CHROME_REASONS = sorted(Removed, key=str)
_OWN = [
    "log_chars",
    "log_units",
    "alpha_share",
    "end_punct",
    "end_colon",
    "stop_ratio",
    "title_ratio",
    "upper_ratio",
    "digit_ratio",
    "date_like",
    "has_date",
    "bulleted",
    "separators",
    "inner_sentences",
    "is_cjk",
    "prose_like",
    "data_like",
    "headline_like",
    "repeats_gt1",
    "repeats_ge3",
    "chrome",
    "recurring",
    "log_other_docs",
    "other_docs_ge2",
    "run_score",
    "in_nav",
    "in_section",
]
_CONTEXT = ["log_units", "prose_like", "run_score", "chrome", "in_nav", "kept"]
_WINDOW = (-3, -2, -1, 1, 2, 3)
_CLIP = 5.0  # standardised values are clipped, as in training (bench/line_models.py)


def feature_names() -> list[str]:
    """Column names of `line_rows`, in order."""
    names = list(_OWN)
    names += [f"chrome={r}" for r in _CHROME_REASONS]
    names += ["pos", "rel_to_start", "rel_to_end", "in_span", "kept", "title_line"]
    names += [f"reason={r}" for r in _REASONS]
    names += [f"{c}@{d:+d}" for d in _WINDOW for c in _CONTEXT]
    names += [f"sum_score_w{w}" for w in (5, 11, 21)]
    names += [f"prose_share_w{w}" for w in (5, 11)]
    names += ["page_log_lines", "page_prose_share", "page_log_units", "units_over_max"]
    names += ["page_recur_share", "page_prose_recur_share", "recur_share_w5"]
    names += ["recur_run_log_units", "recur_run_prose_share", "recur_run_page_share"]
    return names


_STACK_WINDOWS = (5, 11, 21)


def stack_names() -> list[str]:
    """Columns `stack_rows` appends for a second-stage model (first-stage probabilities)."""
    names = ["p1"] + [f"p1@{d:+d}" for d in _WINDOW]
    names += [f"p1_mean_w{w}" for w in _STACK_WINDOWS]
    names += ["p1_in_run", "p1_rel_run_start", "p1_rel_run_end"]
    names += ["page_p1_mean", "page_p1_max", "page_p1_kept_share", "page_p1_kept_units"]
    names += ["page_p1_kept_units_share"]
    return names


def text_words(text: str) -> float:
    """Words of a text as the `short` decoding counts them: the metric's `\\w+` tokens,
    with a CJK character as half a word (a CJK run is one `\\w+` token, so a long
    Japanese article would otherwise count as a few words), as `LineFeatures.units`."""
    cjk = len(_CJK.findall(text))
    if not cjk:
        return float(len(_TOKEN.findall(text)))
    return len(_TOKEN.findall(_CJK.sub(" ", text))) + cjk / 2.0


def _best_run(s: Arr) -> tuple[int, int]:
    """The contiguous run with the largest sum (Kadane); (0, 0) when every value is <= 0."""
    best, span, cur, start = 0.0, (0, 0), 0.0, 0
    for k, v in enumerate(s.tolist()):
        if cur <= 0:
            cur, start = v, k
        else:
            cur += v
        if cur > best:
            best, span = cur, (start, k + 1)
    return span


def stack_rows(x: Arr, p1: Arr) -> Arr:
    """Context of the first stage's line probabilities `p1` for the second stage: the
    line's own, its neighbours' (-1 past the page edge), window means, the best run of
    log-odds, and the page's aggregates (how much text the first stage keeps)."""
    n = len(p1)
    cols = [p1]
    for d in _WINDOW:
        s = np.full(n, -1.0)
        if d < 0:
            s[-d:] = p1[:d]
        else:
            s[:-d] = p1[d:]
        cols.append(s)
    cols += [_window_sum(p1, w) / _window_size(n, w) for w in _STACK_WINDOWS]
    lo = np.log(np.clip(p1, 1e-4, 1 - 1e-4) / np.clip(1 - p1, 1e-4, 1.0))
    start, end = _best_run(np.clip(lo, -4.0, 4.0))
    idx = np.arange(n, dtype=np.float64)
    width = max(1, end - start)
    cols += [
        ((idx >= start) & (idx < end)).astype(np.float64),
        np.clip((idx - start) / width, -3, 3),
        np.clip((idx - end) / width, -3, 3),
    ]
    units = np.expm1(x[:, _OWN.index("log_units")])
    kept = p1 > 0.5
    kept_units = float(units[kept].sum())
    page = [p1.mean(), p1.max(), kept.mean(), np.log1p(kept_units)]
    page.append(kept_units / max(1.0, float(units.sum())))
    cols += [np.full(n, v) for v in page]
    out: Arr = np.stack(cols, axis=1)
    return out


_c_leaf_values: Callable[..., None] | None = None
_c_rows: Callable[..., None] | None = None
_c_doubles: Callable[..., None] | None = None
try:  # the C walk and rows, loaded only with the matching compiled build (native.activate)
    from crawler.extract.boilerplate import _forest

    _c_leaf_values, _c_rows, _c_doubles = _forest.leaf_values, _forest.rows, _forest.doubles
except ImportError:
    pass


_RAW_FEATURES = attrgetter(
    "chars",
    "units",
    "alpha_words",
    "words",
    "end_punct",
    "end_colon",
    "stop_ratio",
    "title_ratio",
    "upper_ratio",
    "digit_ratio",
    "date_like",
    "has_date",
    "bulleted",
    "separators",
    "inner_sentences",
    "is_cjk",
    "prose_like",
    "data_like",
    "headline_like",
)


def _indicator(n: int, positions: Iterable[int]) -> Arr:
    """1.0 at the given line positions (those in range), else 0.0."""
    out = np.zeros(n)
    out[[k for k in positions if 0 <= k < n]] = 1.0
    return out


def _own_rows(
    lines: Sequence[Line],
    stats: LineStats | None,
    scores: Sequence[float],
    nav: set[int],
    sect: Mapping[int, Removed],
) -> Arr:
    """The `_OWN` columns of every line, built column-wise (one C call per line for the
    raw values, numpy for the rest: the cleaner's hot path pays for these rows)."""
    n = len(lines)
    raw = np.array(list(map(_RAW_FEATURES, [ln.f for ln in lines])), dtype=np.float64)
    raw = raw.reshape(n, 19)
    repeats = np.array([ln.repeats for ln in lines], dtype=np.float64)
    if stats is not None:
        freq = np.array(stats.hash_freqs([key_hash(ln.key) for ln in lines]), dtype=np.float64)
    else:
        freq = np.zeros(n)
    out: Arr = np.stack(
        [
            np.log1p(raw[:, 0]),
            np.log1p(raw[:, 1]),
            raw[:, 2] / np.maximum(1.0, raw[:, 3]),
            *raw[:, 4:13].T,
            np.minimum(raw[:, 13], 10),
            np.minimum(raw[:, 14], 20),
            *raw[:, 15:19].T,
            (repeats > 1).astype(np.float64),
            (repeats >= 3).astype(np.float64),
            _indicator(n, (k for k, ln in enumerate(lines) if ln.chrome is not None)),
            _indicator(n, (k for k, ln in enumerate(lines) if ln.recurring)),
            np.log1p(np.maximum(0.0, freq - 1)),  # other pages of the ingest with this line
            (freq >= 3).astype(np.float64),
            np.asarray(scores, dtype=np.float64).reshape(n),
            _indicator(n, nav),
            _indicator(n, sect),
        ],
        axis=1,
    )
    return out


def _one_hot(values: Mapping[int, Removed], n: int, classes: Sequence[Removed]) -> Arr:
    """(n, classes) indicators of the reason at each line position (none: a row of 0)."""
    index = {c: j for j, c in enumerate(classes)}
    out = np.zeros((n, len(classes)))
    rows = [k for k in values if 0 <= k < n]
    out[rows, [index[values[k]] for k in rows]] = 1.0
    return out


@lru_cache(maxsize=256)
def _window_bounds(n: int, w: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """First and one-past-last positions of the window of width `w` centred on each of `n`
    positions, cut at the edges (read only: shared by every call for this page length)."""
    h = w // 2
    at = np.arange(n)
    lo = np.minimum(np.maximum(at - h, 0), n)
    hi = np.minimum(np.maximum(at + h + 1, 0), n)
    lo.flags.writeable = hi.flags.writeable = False
    return lo, hi


def _window_sum(v: Arr, w: int) -> Arr:
    c = np.concatenate([[0.0], np.cumsum(v)])
    lo, hi = _window_bounds(len(v), w)
    out: Arr = c[hi] - c[lo]
    return out


def _window_size(n: int, w: int) -> Arr:
    """`_window_sum` of n ones: the lines in each window (exact small integers)."""
    lo, hi = _window_bounds(n, w)
    out: Arr = (hi - lo).astype(np.float64)
    return out


def _clip3(v: Arr) -> Arr:
    """`np.clip(v, -3, 3)` (the same values, without its per-call overhead)."""
    out: Arr = np.minimum(np.maximum(v, -3.0), 3.0)
    return out


_N_OWN = len(_OWN)
_CHROME_INDEX = {r: j for j, r in enumerate(_CHROME_REASONS)}
_REASON_INDEX = {r: j for j, r in enumerate(_REASONS)}
# column blocks of `line_rows`, in `feature_names` order
_AT_CHROME = _N_OWN
_AT_POS = _AT_CHROME + len(_CHROME_REASONS)
_AT_REASON = _AT_POS + 6
_AT_SHIFT = _AT_REASON + len(_REASONS)
_AT_SUMS = _AT_SHIFT + len(_WINDOW) * len(_CONTEXT)
_AT_PAGE = _AT_SUMS + 5
_AT_RECUR = _AT_PAGE + 4
_N_FEATURES = _AT_RECUR + 6
_CTX_COLS = [_OWN.index(c) for c in _CONTEXT[:-1]]
_PROSE, _UNITS = _OWN.index("prose_like"), _OWN.index("log_units")
_TITLE = _REASON_INDEX[Removed.TITLE]
_LAYOUT: tuple[int, ...] = (_AT_CHROME, _AT_POS, _AT_REASON, _AT_SHIFT, _AT_SUMS, _AT_PAGE)
_LAYOUT += (_AT_RECUR, len(_CHROME_REASONS), len(_REASONS), _TITLE)  # as `_forest.rows` reads it


@lru_cache(maxsize=256)
def _row_windows(n: int) -> tuple[npt.NDArray[np.intp], ...]:
    """Gather indices of a page of `n` lines (read only, shared by every page of that length):
    the (n, 3) first and one-past-last positions of the windows of 5, 11 and 21 lines (the
    prose shares take the first two) into a cumulative sum with a leading 0; and the (n, 6)
    rows of the neighbours (`_WINDOW`) in the page padded by 3 rows each side."""
    bounds = [_window_bounds(n, w) for w in (5, 11, 21)]
    near = np.arange(n)[:, None] + (max(_WINDOW) + np.array(_WINDOW))[None, :]
    out = (np.stack([b[0] for b in bounds], axis=1), np.stack([b[1] for b in bounds], axis=1), near)
    for a in out:
        a.flags.writeable = False
    return out


def line_rows(
    lines: Sequence[Line],
    stats: LineStats | None,
    span: tuple[int, int],
    sect: Mapping[int, Removed],
    nav: set[int],
    reasons: Mapping[int, Removed],
    freqs: Sequence[int] | None = None,
) -> Arr:
    """One feature row per line. `span` is the rules' article run (before the trailing
    boxes are cut), `reasons` their removal reason per line position, `freqs` the lines'
    document frequencies when the caller looked them up already (else from `stats`).

    Filled into one matrix from one pass over the lines, by `_forest.rows` in C (but for the
    log1p / expm1 columns) when the compiled build is in use, else block by block with numpy:
    the same values as `line_rows_reference` either way (the cleaner's hot path pays for these
    rows; a page is small, so the cost is the number of numpy calls and Python steps)."""
    n = len(lines)
    x: Arr = np.zeros((n, _N_FEATURES))
    if n == 0:
        return x
    start, end = span
    per = model_values([ln.f for ln in lines])
    per += blocks.model_context(lines, sect, nav, reasons, _CHROME_INDEX, _REASON_INDEX)
    if _c_doubles is not None:
        raw = np.empty(len(per))
        _c_doubles(per, raw)
    else:
        raw = np.array(per, dtype=np.float64)
    f = raw[: 19 * n].reshape(n, 19)
    # per line: repeats, chrome, recurring, score, in_nav, in_section, chrome class and reason
    # class (-1: none)
    e = raw[19 * n :].reshape(n, 8)
    if freqs is not None:
        freq = np.array(freqs, dtype=np.float64)
    elif stats is not None:
        freq = np.array(stats.hash_freqs([key_hash(ln.key) for ln in lines]), dtype=np.float64)
    else:
        freq = np.zeros(n)
    own = x[:, :_N_OWN]
    own[:, 0:2] = np.log1p(f[:, 0:2])
    own[:, 22] = np.log1p(np.maximum(0.0, freq - 1))  # other pages of the ingest with this line
    if _c_rows is not None:  # the rest in C but for the log1p / expm1 columns
        units = np.expm1(own[:, _UNITS])
        total = units.sum()
        run_units = np.empty(n)
        _c_rows(x, _N_FEATURES, f, e, freq, units, float(total), start, end, _LAYOUT, run_units)
        x[:, _AT_PAGE] = np.log1p(n)
        x[:, _AT_PAGE + 2] = np.log1p(total)
        x[:, _AT_RECUR + 3] = np.log1p(run_units)
        return x
    own[:, 2] = f[:, 2] / np.maximum(1.0, f[:, 3])
    own[:, 3:12] = f[:, 4:13]
    own[:, 12:14] = np.minimum(f[:, 13:15], _SHAPE_CAPS)
    own[:, 14:18] = f[:, 15:19]
    own[:, 18:20] = e[:, :1] >= _REPEAT_AT
    own[:, 20:22] = e[:, 1:3]
    own[:, 23] = freq >= 3
    own[:, 24:27] = e[:, 3:6]
    chrome_at = np.flatnonzero(e[:, 6] >= 0)
    x[chrome_at, _AT_CHROME + e[chrome_at, 6].astype(np.intp)] = 1.0

    idx = np.arange(n, dtype=np.float64)
    width = max(1, end - start)
    x[:, _AT_POS] = idx / max(1, n - 1)
    x[:, _AT_POS + 1 : _AT_POS + 3] = _clip3((idx[:, None] - np.array(span)) / width)
    x[max(0, start) : max(0, end), _AT_POS + 3] = 1.0
    x[:, _AT_POS + 4] = 1.0  # kept
    gone = np.flatnonzero(e[:, 7] >= 0)
    reason = e[gone, 7].astype(np.intp)
    x[gone, _AT_POS + 4] = 0.0
    x[gone[reason == _TITLE], _AT_POS + 5] = 1.0
    x[gone, _AT_REASON + reason] = 1.0

    lo, hi, near = _row_windows(n)
    pad = max(_WINDOW)
    padded = np.full((n + 2 * pad, len(_CONTEXT)), -1.0)  # -1: no line there (page edge)
    padded[pad : pad + n, :-1] = own[:, _CTX_COLS]
    padded[pad : pad + n, -1] = x[:, _AT_POS + 4]
    x[:, _AT_SHIFT:_AT_SUMS] = padded[near].reshape(n, -1)

    sc = np.zeros(n + 1)
    np.cumsum(e[:, 3], out=sc[1:])
    x[:, _AT_SUMS : _AT_SUMS + 3] = sc[hi] - sc[lo]
    prose = own[:, _PROSE]
    cp = np.zeros(n + 1)
    np.cumsum(prose, out=cp[1:])
    x[:, _AT_SUMS + 3 : _AT_SUMS + 5] = (cp[hi[:, :2]] - cp[lo[:, :2]]) / _PROSE_WINDOWS
    units = own[:, _UNITS]
    x[:, _AT_PAGE : _AT_PAGE + 3] = (np.log1p(n), prose.mean(), np.log1p(np.expm1(units).sum()))
    x[:, _AT_PAGE + 3] = units / max(units.max(), 1e-9)
    x[:, _AT_RECUR:] = _recurrence_context(own)
    return x


_SHAPE_CAPS = np.array([10.0, 20.0])  # separators, inner sentences
_REPEAT_AT = np.array([2.0, 3.0])  # repeats > 1, repeats >= 3 (whole counts)
_PROSE_WINDOWS = np.array([5.0, 11.0])


def line_rows_reference(
    lines: Sequence[Line],
    stats: LineStats | None,
    span: tuple[int, int],
    sect: Mapping[int, Removed],
    nav: set[int],
    reasons: Mapping[int, Removed],
) -> Arr:
    """`line_rows` as first written, column by column (the reference its tests compare
    with)."""
    n = len(lines)
    if n == 0:
        return np.zeros((0, len(feature_names())))
    start, end = span
    scores = [blocks.line_score(ln, k in sect, k in nav) for k, ln in enumerate(lines)]
    own = _own_rows(lines, stats, scores, nav, sect)
    kept = 1.0 - _indicator(n, reasons)
    chrome = _one_hot(
        {k: ln.chrome for k, ln in enumerate(lines) if ln.chrome is not None}, n, _CHROME_REASONS
    )
    idx = np.arange(n, dtype=np.float64)
    width = max(1, end - start)
    pos = np.stack(
        [
            idx / max(1, n - 1),
            _clip3((idx - start) / width),
            _clip3((idx - end) / width),
            ((idx >= start) & (idx < end)).astype(np.float64),
            kept,
            _indicator(n, (k for k, w in reasons.items() if w == Removed.TITLE)),
        ],
        axis=1,
    )
    reason_cols = _one_hot(reasons, n, _REASONS)
    ctx_cols = [_OWN.index(c) for c in _CONTEXT[:-1]]
    pad = max(abs(d) for d in _WINDOW)
    padded = np.full((n + 2 * pad, len(_CONTEXT)), -1.0)  # -1: no line there (page edge)
    padded[pad : pad + n, :-1] = own[:, ctx_cols]
    padded[pad : pad + n, -1] = kept
    shifted = [padded[pad + d : pad + d + n] for d in _WINDOW]
    sc = np.array(scores)
    prose = own[:, _OWN.index("prose_like")]
    sums = [_window_sum(sc, w) for w in (5, 11, 21)]
    shares = [_window_sum(prose, w) / w for w in (5, 11)]
    units = own[:, _OWN.index("log_units")]
    page = np.tile([np.log1p(n), prose.mean(), np.log1p(np.expm1(units).sum())], (n, 1))
    rel = (units / max(units.max(), 1e-9))[:, None]
    x: Arr = np.concatenate(
        [
            own,
            chrome,
            pos,
            reason_cols,
            *shifted,
            np.stack(sums + shares, axis=1),
            page,
            rel,
            _recurrence_context(own),
        ],
        axis=1,
    )
    return x


def _recurrence_context(own: Arr) -> Arr:
    """How much of the page, of its prose, and of the lines around each line recurs in other
    pages of the ingest: a syndicated story recurs as a whole, site chrome does not. Then
    the contiguous run of recurring lines the line sits in: its size, its prose share and
    its share of the page's text (a recurring story is one long block of prose; recurring
    chrome is short runs of short lines). 0 for a line that does not recur."""
    n = len(own)
    other = (own[:, _OWN.index("log_other_docs")] > 0).astype(np.float64)
    prose = own[:, _OWN.index("prose_like")]
    prose_share = float((other * prose).sum() / max(1.0, prose.sum()))
    around = _window_sum(other, 5) / _window_size(n, 5)
    units = np.expm1(own[:, _OWN.index("log_units")])
    run = np.cumsum(np.concatenate([[1.0], other[1:] != other[:-1]])).astype(np.int64)
    run_units = np.bincount(run, weights=units * other)[run]
    run_prose = np.bincount(run, weights=prose * other)[run]
    run_lines = np.bincount(run, weights=other)[run]
    out: Arr = np.stack(
        [
            np.full(n, other.mean()),
            np.full(n, prose_share),
            around,
            np.log1p(run_units),
            run_prose / np.maximum(1.0, run_lines),
            run_units / max(1.0, float(units.sum())),
        ],
        axis=1,
    )
    return out


def _sigmoid(z: Arr) -> Arr:
    out: Arr = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
    return out


@dataclass(frozen=True)
class LineModel:
    """A trained line model: logistic regression over standardised, clipped columns, or
    gradient-boosted trees (full binary trees in heap order)."""

    kind: str
    cols: npt.NDArray[np.int64]
    threshold: float  # keep a line when p > threshold ...
    band: tuple[float, float] | None  # ... or: the rules' decision unless p < lo or p > hi
    mean: Arr
    scale: Arr
    weights: Arr
    bias: float
    lr: float = 0.0
    trees: tuple[tuple[npt.NDArray[np.int64], Arr, Arr], ...] = ()
    short_words: int = 0
    """> 0: the threshold decides only on pages where the rules keep fewer words
    (`text_words`) than this; elsewhere the band (hybrid) decides, or with no band the rules."""
    first: LineModel | None = None
    """A first-stage model: its probabilities, in context (`stack_rows`), are columns of
    this one's rows (stacked generalisation)."""
    held: frozenset[Removed] = frozenset({Removed.TITLE})
    """Lines the rules remove for these reasons are never kept: their text goes to the
    record's metadata columns (the headline to `title`, bylines and datelines to
    `authors` / `date_text`)."""

    def predict(self, x: Arr) -> Arr:
        """Probability that each row's line is article text."""
        if self.first is not None:
            x = np.concatenate([x, stack_rows(x, self.first.predict(x))], axis=1)
        if self.kind == "logreg":
            z = x[:, self.cols]
            return _sigmoid(
                np.clip((z - self.mean) / self.scale, -_CLIP, _CLIP) @ self.weights + self.bias
            )
        return _sigmoid(self.bias + self.lr * self._leaf_values(x).sum(axis=1))

    def _leaf_values(self, x: Arr) -> Arr:
        """(rows, trees) leaf values of rows `x` (all columns, not only `cols`): the trees
        walked in C (`_forest.c`) when the compiled build is in use, else
        `_leaf_values_np` (the same values: a leaf value is copied, never computed)."""
        if _c_leaf_values is None:
            return self._leaf_values_np(x)
        cols, thr, leaf, depth = self._walk
        x = np.ascontiguousarray(x, dtype=np.float64)
        out: Arr = np.empty((len(x), len(leaf)))
        _c_leaf_values(x, x.shape[1], cols, thr, leaf, depth, out)
        return out

    @cached_property
    def _walk(self) -> tuple[npt.NDArray[np.intp], Arr, Arr, int]:
        """The trees as `_forest.leaf_values` walks them: the row column and threshold of each
        split in (tree, node) order flattened, the (trees, leaves) leaf values, the depth."""
        feat = np.stack([t[0] for t in self.trees])
        thr = np.stack([t[1] for t in self.trees])
        leaf = np.ascontiguousarray(np.stack([t[2] for t in self.trees]), dtype=np.float64)
        depth = int(leaf.shape[1]).bit_length() - 1
        if feat.shape[1] != (1 << depth) - 1 or leaf.shape[1] != 1 << depth:
            raise ValueError("cleaner model: trees not full binary trees in heap order")
        cols = np.ascontiguousarray(self.cols[feat].ravel(), dtype=np.intp)
        return cols, np.ascontiguousarray(thr.ravel(), dtype=np.float64), leaf, depth

    def _leaf_values_np(self, x: Arr) -> Arr:
        """(rows, trees) leaf values of rows `x` (all columns, not only `cols`): every split
        of every tree tested at once (one gather, one comparison), the answers of each tree
        packed into one code, and the code looked up in the tree's table of leaves."""
        columns, thr, bits, table = self._forest
        n_trees = len(table)
        right = np.take(x, columns, axis=1) > thr
        code = right.reshape(len(x), n_trees, len(bits)).view(np.uint8) @ bits
        out: Arr = table[np.arange(n_trees), code]
        return out

    @cached_property
    def _forest(
        self,
    ) -> tuple[npt.NDArray[np.intp], Arr, npt.NDArray[np.unsignedinteger[Any]], Arr]:
        """The trees as arrays: the row column each split tests and its threshold, in (tree,
        node) order flattened; the weight of each node's answer in a tree's code (bit i: node
        i's row value is above its threshold); per tree, the leaf value every code reaches.
        The trees are full, of one depth, in heap order."""
        feat = np.stack([t[0] for t in self.trees])
        thr = np.stack([t[1] for t in self.trees])
        leaf = np.stack([t[2] for t in self.trees])
        n_nodes = feat.shape[1]
        if n_nodes > 15:
            raise ValueError(f"cleaner model: trees of {n_nodes} splits (at most 15)")
        codes = np.arange(1 << n_nodes)
        node = np.zeros(len(codes), dtype=np.intp)
        for _ in range(int(np.log2(leaf.shape[1]))):
            node = 2 * node + 1 + ((codes >> node) & 1)
        table = leaf[:, node - (leaf.shape[1] - 1)]  # (trees, codes)
        bits: npt.NDArray[np.unsignedinteger[Any]] = (1 << np.arange(n_nodes)).astype(np.uint16)
        if n_nodes <= 8:
            bits = bits.astype(np.uint8)  # a byte per code: the product stays in bytes
        return self.cols[feat].ravel().astype(np.intp), thr.ravel(), bits, table


def model_from_spec(spec: Mapping[str, Any]) -> LineModel:
    """A model from its JSON form (`bench/train_cleaner.py --model-out`)."""
    first = model_from_spec(spec["first"]) if "first" in spec else None
    names = feature_names() + (stack_names() if first is not None else [])
    missing = [f for f in spec["features"] if f not in names]
    if missing:
        raise ValueError(f"cleaner model: unknown features {missing[:3]}")
    cols = np.array([names.index(f) for f in spec["features"]], dtype=np.int64)
    threshold = float(spec.get("threshold", 0.5))
    decode = spec.get("decode", "threshold")
    if decode not in ("threshold", "hybrid", "short"):
        raise ValueError(f"cleaner model: unknown decode {decode!r}")
    band = None
    if "band" in spec and decode != "threshold":
        lo, hi = (float(v) for v in spec["band"])
        band = (lo, hi)
    short = int(spec["short_words"]) if decode == "short" else 0
    held = frozenset(Removed(r) for r in spec.get("held", [Removed.TITLE.value]))
    if spec["kind"] == "logreg":
        return LineModel(
            "logreg",
            cols,
            threshold,
            band,
            np.array(spec["mean"], dtype=np.float64),
            np.array(spec["scale"], dtype=np.float64),
            np.array(spec["weights"], dtype=np.float64),
            float(spec["bias"]),
            short_words=short,
            first=first,
            held=held,
        )
    if spec["kind"] == "gbdt":
        trees = tuple(
            (
                np.array(t["feature"], dtype=np.int64),
                np.array(t["threshold"], dtype=np.float64),
                np.array(t["leaf"], dtype=np.float64),
            )
            for t in spec["trees"]
        )
        empty = np.zeros(0)
        return LineModel(
            "gbdt",
            cols,
            threshold,
            band,
            empty,
            empty,
            empty,
            float(spec["base"]),
            float(spec["lr"]),
            trees,
            short_words=short,
            first=first,
            held=held,
        )
    raise ValueError(f"cleaner model: unknown kind {spec['kind']!r}")


@cache
def default_model() -> LineModel | None:
    """The shipped model, or None when the package has no parameters file."""
    if not MODEL_PATH.is_file():
        return None
    return model_from_spec(json.loads(MODEL_PATH.read_text("utf-8")))


def learned_keep(
    model: LineModel,
    lines: Sequence[Line],
    stats: LineStats | None,
    span: tuple[int, int],
    sect: Mapping[int, Removed],
    nav: set[int],
    reasons: Mapping[int, Removed],
    freqs: Sequence[int] | None = None,
) -> npt.NDArray[np.bool_]:
    """Which lines the model keeps (never the lines of `model.held`: the headline goes to
    `title`, bylines and datelines to the metadata columns). `freqs`: as `line_rows` takes
    them."""
    rules = np.array([k not in reasons for k in range(len(lines))])
    band = model.band
    if model.short_words > 0:
        words = sum(text_words(ln.f.text) for k, ln in enumerate(lines) if rules[k])
        if words >= model.short_words:
            if band is None:
                return rules  # a long article: the rules decide, no rows needed
        else:
            band = None
    p = model.predict(line_rows(lines, stats, span, sect, nav, reasons, freqs))
    if band is None:
        keep: npt.NDArray[np.bool_] = p > model.threshold
    else:
        keep = (rules & (p > band[0])) | (p > band[1])
    n = len(lines)
    keep[[k for k, r in reasons.items() if r in model.held and 0 <= k < n]] = False
    return keep
