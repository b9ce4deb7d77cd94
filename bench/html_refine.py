"""Line figures for refining the HTML path's chosen article (issue 14 research, measured by
`bench/train_html_refine.py`; nothing in the product imports it: the refinement lost under
site-grouped CV, docs/html-extraction.md).

Once `crawler.extract.html_combine` has chosen trafilatura's or readability-lxml's article,
what still costs the most on pages never seen is chrome kept inside it: a "latest headlines"
or teaser list appended to the story, a card offer, a "Posted: ... Last updated: ..." block.
Such lines show in their shape (no sentence end, few function words, a date, "Read more"),
where they sit (after the prose, in a run of lines alike) and whether the other views agree
(the other engine's article when it ran, the dump cleaner's view of readability's lines).
Small gradient-boosted trees over those line figures (`line_rows`) give each line the
probability that it is article text; lines below a threshold would leave the article.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from crawler.extract.boilerplate.stopwords import STOP_WORDS

Arr = npt.NDArray[np.float64]
TOKEN = re.compile(r"\w+")  # the metric's tokens (eval/score.py)
_SENTENCE_END = re.compile(r"[.!?。！？…\"'”’)»]\s*$")
_MORE = re.compile(r"(?:\.\.\.|…|»|more|continue reading|read more)\W*$", re.I)
_DATE = re.compile(
    r"\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2}\b|"
    r"\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b|"
    r"\d{1,2}:\d{2} ?(?:am|pm|a\.m\.|p\.m\.)?)",
    re.I,
)
_SHORT_LINE = 8  # tokens: shorter is a heading, link or label, not prose
_OWN = (
    "log_tokens",
    "sentence_end",
    "stop_share",
    "digit_share",
    "capital_share",
    "has_date",
    "more_end",
    "short",
    "in_other",
    "cleaner_kept",
    "repeated",
)
_WINDOW = ("in_other", "stop_share", "sentence_end", "short", "has_date")
FEATURES = (
    *_OWN,
    *(f"prev_{f}" for f in _OWN),
    *(f"next_{f}" for f in _OWN),
    *(f"win_{f}" for f in _WINDOW),
    "rel_pos",
    "tokens_before",
    "tokens_after",
    "prose_before",
    "prose_after",
    "token_share",
    "page_log_tokens",
    "page_log_lines",
    "other_ran",
    "chose_second",
    "page_in_other",
)
_CLIP_WINDOW = 2  # lines either side in the win_ means


def _shingles(tokens: Sequence[str]) -> set[tuple[str, ...]]:
    if len(tokens) < 4:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3)}


def _own(line: str, toks: list[str], other: set[tuple[str, ...]] | None, kept: bool) -> list[float]:
    n = len(toks) or 1
    sh = _shingles([t.casefold() for t in toks])
    in_other = -1.0 if other is None else (len(sh & other) / len(sh) if sh else 0.0)
    return [
        math.log1p(len(toks)),
        float(bool(_SENTENCE_END.search(line))),
        sum(t.casefold() in STOP_WORDS for t in toks) / n,
        sum(t.isdigit() for t in toks) / n,
        sum(t[:1].isupper() for t in toks) / n,
        float(bool(_DATE.search(line))),
        float(bool(_MORE.search(line))),
        float(len(toks) < _SHORT_LINE),
        in_other,
        float(kept),
        0.0,  # repeated: filled by the caller
    ]


def line_rows(
    lines: Sequence[str],
    other: Sequence[str] | None,
    chose_second: bool,
    cleaner_kept: set[str] | None = None,
) -> Arr:
    """One row of `FEATURES` per line of the chosen article `lines`; `other` is the other
    engine's article (None when it did not run), `cleaner_kept` the lines of `lines` the dump
    cleaner keeps (None: all, as for trafilatura's article, which it has already cleaned)."""
    if not lines:
        return np.zeros((0, len(FEATURES)))
    toks = [TOKEN.findall(x) for x in lines]
    other_sh: set[tuple[str, ...]] | None = None
    if other is not None:
        other_sh = set()
        for x in other:
            other_sh |= _shingles([t.casefold() for t in TOKEN.findall(x)])
    seen: dict[str, int] = {}
    for x in lines:
        seen[x] = seen.get(x, 0) + 1
    own = np.array(
        [
            _own(x, t, other_sh, cleaner_kept is None or x in cleaner_kept)
            for x, t in zip(lines, toks, strict=True)
        ]
    )
    own[:, _OWN.index("repeated")] = [float(seen[x] > 1) for x in lines]
    n = len(lines)
    pad = np.full((1, own.shape[1]), -1.0)
    prev = np.vstack([pad, own[:-1]])
    nxt = np.vstack([own[1:], pad])
    cols = [_OWN.index(f) for f in _WINDOW]
    cum = np.vstack([np.zeros((1, len(cols))), np.cumsum(own[:, cols], axis=0)])
    lo = np.clip(np.arange(n) - _CLIP_WINDOW, 0, n)
    hi = np.clip(np.arange(n) + _CLIP_WINDOW + 1, 0, n)
    win = (cum[hi] - cum[lo]) / (hi - lo)[:, None]
    counts = np.array([len(t) for t in toks], dtype=np.float64)
    total = counts.sum() or 1.0
    prose = counts * ((own[:, 1] > 0) & (counts >= _SHORT_LINE))
    before = np.concatenate([[0.0], np.cumsum(counts)[:-1]]) / total
    after = 1.0 - before - counts / total
    p_total = prose.sum() or 1.0
    p_before = np.concatenate([[0.0], np.cumsum(prose)[:-1]]) / p_total
    p_after = 1.0 - p_before - prose / p_total
    in_other = own[:, _OWN.index("in_other")]
    page_in_other = float((in_other * counts).sum() / total) if other is not None else -1.0
    page = np.array(
        [
            math.log1p(total),
            math.log1p(n),
            float(other is not None),
            float(chose_second),
            page_in_other,
        ]
    )
    rel = np.arange(n) / max(n - 1, 1)
    out: Arr = np.hstack(
        [
            own,
            prev,
            nxt,
            win,
            np.stack([rel, before, after, p_before, p_after, counts / total], axis=1),
            np.broadcast_to(page, (n, len(page))),
        ]
    )
    return out


def keep_mask(prob: Arr, threshold: float) -> npt.NDArray[np.bool_]:
    """Lines kept: above the threshold; all of them when none would be (an article the
    model doubts throughout is left whole rather than emptied)."""
    keep: npt.NDArray[np.bool_] = prob > threshold
    if not keep.any():
        keep[:] = True
    return keep
