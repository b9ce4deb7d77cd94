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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from crawler.extract.boilerplate import blocks
from crawler.extract.boilerplate.blocks import Line
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
    ones = np.ones(n)
    cols += [_window_sum(p1, w) / _window_sum(ones, w) for w in _STACK_WINDOWS]
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


def _own_rows(
    lines: Sequence[Line],
    stats: LineStats | None,
    scores: Sequence[float],
    nav: set[int],
    sect: Mapping[int, Removed],
) -> Arr:
    """The `_OWN` columns of every line, built column-wise (one Python pass for the raw
    values, numpy for the rest: the cleaner's hot path pays for these rows)."""
    n = len(lines)
    raw = np.array(
        [
            (
                f.chars,
                f.units,
                f.alpha_words,
                f.words,
                f.end_punct,
                f.end_colon,
                f.stop_ratio,
                f.title_ratio,
                f.upper_ratio,
                f.digit_ratio,
                f.date_like,
                f.has_date,
                f.bulleted,
                f.separators,
                f.inner_sentences,
                f.is_cjk,
                f.prose_like,
                f.data_like,
                f.headline_like,
                ln.repeats,
                ln.chrome is not None,
                ln.recurring,
            )
            for ln in lines
            for f in (ln.f,)
        ],
        dtype=np.float64,
    ).reshape(n, 22)
    if stats is not None:
        freq = np.array(stats.hash_freqs([key_hash(ln.key) for ln in lines]), dtype=np.float64)
    else:
        freq = np.zeros(n)
    idx = range(n)
    out: Arr = np.stack(
        [
            np.log1p(raw[:, 0]),
            np.log1p(raw[:, 1]),
            raw[:, 2] / np.maximum(1.0, raw[:, 3]),
            *raw[:, 4:13].T,
            np.minimum(raw[:, 13], 10),
            np.minimum(raw[:, 14], 20),
            *raw[:, 15:19].T,
            (raw[:, 19] > 1).astype(np.float64),
            (raw[:, 19] >= 3).astype(np.float64),
            raw[:, 20],
            raw[:, 21],
            np.log1p(np.maximum(0.0, freq - 1)),  # other pages of the ingest with this line
            (freq >= 3).astype(np.float64),
            np.asarray(scores, dtype=np.float64).reshape(n),
            np.fromiter((k in nav for k in idx), dtype=np.float64, count=n),
            np.fromiter((k in sect for k in idx), dtype=np.float64, count=n),
        ],
        axis=1,
    )
    return out


def _one_hot(values: Sequence[Removed | None], classes: Sequence[Removed]) -> Arr:
    index = {c: j for j, c in enumerate(classes)}
    out = np.zeros((len(values), len(classes)))
    for k, v in enumerate(values):
        if v is not None:
            out[k, index[v]] = 1.0
    return out


def _window_sum(v: Arr, w: int) -> Arr:
    c = np.concatenate([[0.0], np.cumsum(v)])
    n, h = len(v), w // 2
    lo = np.clip(np.arange(n) - h, 0, n)
    hi = np.clip(np.arange(n) + h + 1, 0, n)
    out: Arr = c[hi] - c[lo]
    return out


def line_rows(
    lines: Sequence[Line],
    stats: LineStats | None,
    span: tuple[int, int],
    sect: Mapping[int, Removed],
    nav: set[int],
    reasons: Mapping[int, Removed],
) -> Arr:
    """One feature row per line. `span` is the rules' article run (before the trailing
    boxes are cut), `reasons` their removal reason per line position."""
    n = len(lines)
    if n == 0:
        return np.zeros((0, len(feature_names())))
    start, end = span
    scores = [blocks.line_score(ln, k in sect, k in nav) for k, ln in enumerate(lines)]
    own = _own_rows(lines, stats, scores, nav, sect)
    kept = np.array([k not in reasons for k in range(n)], dtype=np.float64)
    why = [reasons.get(k) for k in range(n)]
    chrome = _one_hot([ln.chrome for ln in lines], _CHROME_REASONS)
    idx = np.arange(n, dtype=np.float64)
    width = max(1, end - start)
    pos = np.stack(
        [
            idx / max(1, n - 1),
            np.clip((idx - start) / width, -3, 3),
            np.clip((idx - end) / width, -3, 3),
            ((idx >= start) & (idx < end)).astype(np.float64),
            kept,
            np.array([w == Removed.TITLE for w in why], dtype=np.float64),
        ],
        axis=1,
    )
    reason_cols = _one_hot(why, _REASONS)
    ctx_cols = [_OWN.index(c) for c in _CONTEXT[:-1]]
    ctx = np.concatenate([own[:, ctx_cols], kept[:, None]], axis=1)
    shifted = []
    for d in _WINDOW:
        s = np.full_like(ctx, -1.0)  # -1: no line there (page edge)
        if d < 0:
            s[-d:] = ctx[:d]
        else:
            s[:-d] = ctx[d:]
        shifted.append(s)
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
    around = _window_sum(other, 5) / _window_sum(np.ones(n), 5)
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
        z = x[:, self.cols]
        if self.kind == "logreg":
            return _sigmoid(
                np.clip((z - self.mean) / self.scale, -_CLIP, _CLIP) @ self.weights + self.bias
            )
        return _sigmoid(self.bias + self.lr * self._leaf_values(z).sum(axis=1))

    def _leaf_values(self, z: Arr) -> Arr:
        """(rows, trees) leaf values: every tree walked at once, one level per step (the
        trees are full, of one depth, in heap order)."""
        feat, thr, leaf = self._forest
        n_trees = len(feat)
        node = np.zeros((len(z), n_trees), dtype=np.int64)
        tree = np.arange(n_trees)
        rows = np.arange(len(z))[:, None]
        for _ in range(int(np.log2(leaf.shape[1]))):
            node = 2 * node + 1 + (z[rows, feat[tree, node]] > thr[tree, node])
        out: Arr = leaf[tree, node - (leaf.shape[1] - 1)]
        return out

    @cached_property
    def _forest(self) -> tuple[npt.NDArray[np.int64], Arr, Arr]:
        """The trees as three (trees, nodes) arrays."""
        return (
            np.stack([t[0] for t in self.trees]),
            np.stack([t[1] for t in self.trees]),
            np.stack([t[2] for t in self.trees]),
        )


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
) -> npt.NDArray[np.bool_]:
    """Which lines the model keeps (never the lines of `model.held`: the headline goes to
    `title`, bylines and datelines to the metadata columns)."""
    rules = np.array([k not in reasons for k in range(len(lines))])
    band = model.band
    if model.short_words > 0:
        words = sum(text_words(ln.f.text) for k, ln in enumerate(lines) if rules[k])
        if words >= model.short_words:
            if band is None:
                return rules  # a long article: the rules decide, no rows needed
        else:
            band = None
    p = model.predict(line_rows(lines, stats, span, sect, nav, reasons))
    if band is None:
        keep: npt.NDArray[np.bool_] = p > model.threshold
    else:
        keep = (rules & (p > band[0])) | (p > band[1])
    keep &= np.array([reasons.get(k) not in model.held for k in range(len(lines))])
    return keep
