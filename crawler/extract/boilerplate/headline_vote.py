"""The page dump's headline by a vote among its headline-shaped lines.

A dump has no `<title>`, but it usually carries the headline more than once (the browser's
title line "Headline | Outlet", a breadcrumb "Home / Headline", the article's own heading,
"Comments on Headline", "Listed below are links to weblogs that reference Headline"), and the
heading sits in a recognisable place: above a byline or date line, under a date line, right
above the article's first paragraph, whose words it shares. Teasers of other stories sit in
runs of headline-shaped lines; blog and outlet names recur on every page of the site.

`pick` scores every headline-shaped line on those signals plus its position relative to the
body the cleaner chose, and returns the best one's position, or the rules' own choice when
no line gathers enough evidence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from crawler.extract.boilerplate import headline
from crawler.extract.boilerplate.blocks import Line
from crawler.extract.boilerplate.lines import LineFeatures
from crawler.extract.boilerplate.stopwords import STOP_WORDS

_MAX_CANDIDATES = 400  # bounds the echo search on very long dumps (first lines first)
_WINDOW = 14  # lines above the body start that get a position bonus
_LOOKAHEAD = 4  # lines below a candidate searched for its byline / first paragraph
_MIN_SCORE = 2.0  # below this, the rules' own choice stands
_WORD = re.compile(r"\w+")
_AFFIX_END = re.compile(r"\s[|–—-]\s*$")  # "Headline | X": X is the outlet or author


def _shaped(ln: Line) -> bool:
    """Could be a headline by itself: a few words, not a sentence of running text, not a
    byline, a date, chrome or page furniture. (A final full stop is allowed here; it needs
    an echo elsewhere on the page, see `scores`.)"""
    f = ln.f
    if ln.chrome is not None or f.date_like or f.end_colon or f.chars > 300:
        return False
    if f.is_cjk:
        if not 6 <= f.cjk <= 80:
            return False
    elif not 3 <= f.words <= 30 or (f.prose_like and f.words > 16):
        return False
    return not (
        headline.byline_or_date(f.text)
        or headline.parse_byline(f) is not None
        or headline.never_headline(f.text)
    )


def _sentence_end(f: LineFeatures) -> bool:
    return f.end_punct and f.text[-1:] not in "?!？！"


def _content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.casefold()) if len(w) >= 3 and w not in STOP_WORDS}


def _is_meta(f: LineFeatures) -> bool:
    """A byline, dateline or date line."""
    return f.date_like or headline.byline_or_date(f.text) or headline.parse_byline(f) is not None


def _echoes(text: str, texts: Sequence[str], k: int, joined: str) -> tuple[int, int]:
    """Other lines that repeat the line: (lines quoting it: "Home / X", "X | Outlet",
    "Comments on X"; identical copies, 0 or 1). A paragraph that merely starts with it is
    no echo, nor the copy right below it (a doubled caption)."""
    if joined.count(text) <= 1:
        return 0, 0
    quoted, same = 0, 0
    for j, other in enumerate(texts):
        if j == k or text not in other:
            continue
        if other == text:
            same = same or int(j != k + 1)
        elif not (
            (other.startswith(text) and len(other) > 2 * len(text))
            or (_AFFIX_END.search(other[: -len(text)]) and other.endswith(text))
        ):
            quoted += 1
    return quoted, same


def _local(lines: Sequence[Line], k: int, shaped: Sequence[bool]) -> tuple[float, str]:
    """Score of the lines around a candidate, and the text of the first paragraph below it."""
    score = 0.0
    n = len(lines)
    prev = lines[k - 1].f if k > 0 else None
    if prev is not None and _is_meta(prev):
        score += 0.5  # blog style: date line, then the post's heading
    meta_at = 0
    para = ""
    for j in range(k + 1, min(n, k + 1 + _LOOKAHEAD)):
        f = lines[j].f
        if f.prose_like and f.units >= 12:
            para = f.text
            break
        if _is_meta(f) and not meta_at:
            meta_at = j - k
    if meta_at:
        score += 1.2 - 0.3 * meta_at  # the byline / date right under the heading
    if para:
        score += 0.5

    def plain(j: int) -> bool:
        return 0 <= j < n and shaped[j] and not lines[j].f.prose_like and not _is_meta(lines[j].f)

    if plain(k + 1) and plain(k + 2):
        score -= 1.0  # followed by another teaser, not by the body: a list of other stories
    if plain(k - 1) and not (k > 1 and plain(k - 2)):
        score -= 0.7  # right under another heading-shaped line: a standfirst or a sub-heading
    return score, para


def scores(
    lines: Sequence[Line], start: int, end: int, sect: set[int], nav: set[int], chosen: int | None
) -> dict[int, float]:
    """Score of every headline-shaped line (position -> score; a repeated line only at its
    first position)."""
    shaped = [_shaped(ln) for ln in lines]
    texts = [ln.f.text for ln in lines]
    joined = "\n".join(texts)
    body = " ".join(ln.f.text for ln in lines[start : min(end, start + 6)] if ln.f.prose_like)
    body_words = _content_words(body[:2_000])
    out: dict[int, float] = {}
    seen: set[str] = set()
    for k in [k for k, ok in enumerate(shaped) if ok][:_MAX_CANDIDATES]:
        ln = lines[k]
        text = texts[k]
        if text in seen:  # a later copy of a line already scored: the first one stands
            continue
        seen.add(text)
        quoted, same = _echoes(text, texts, k, joined)
        if _sentence_end(ln.f) and not quoted:
            continue  # a sentence, unless the page quotes it as a title elsewhere
        score = min(quoted + same, 3) * 0.7
        local, para = _local(lines, k, shaped)
        score += local
        if start - _WINDOW <= k < start:
            score += 1.0 - 0.06 * (start - 1 - k)
        elif start <= k < start + 2 and para:
            score += 0.8
        words = _content_words(text)
        if words:
            score += 1.0 * len(words & (_content_words(para) | body_words)) / len(words)
        if ln.recurring:
            score -= 1.5
        if k in sect:
            score -= 0.8
        if k in nav:
            score -= 0.3
        if ln.f.separators:
            score -= 0.5
        if k == chosen:
            score += 0.5
        out[k] = score
    return out


def pick(
    lines: Sequence[Line], start: int, end: int, sect: set[int], nav: set[int], chosen: int | None
) -> int | None:
    """Position of the page's headline, or `chosen` (the rules' pick) without evidence."""
    if not lines:
        return chosen
    by_k = scores(lines, start, end, sect, nav, chosen)
    best_k = max(by_k, key=lambda k: (by_k[k], -k), default=None)
    if best_k is None or by_k[best_k] < _MIN_SCORE:
        return chosen
    return best_k
