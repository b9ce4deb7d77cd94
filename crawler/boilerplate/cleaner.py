"""Orchestration: page text -> article paragraphs, metadata and an audit of removed lines.

Steps (all pure, deterministic):

1. per line: shape features (`lines`), chrome phrases/shapes (`chrome`), corpus
   recurrence (`stats`), repetition within the page;
2. per page: sections of other stories / comments and navigation runs (`blocks`);
3. `mode="dump"`: the article is the best-scoring contiguous run of lines
   (`blocks.best_run`); `mode="extracted"`: the whole text is the article;
4. inside the article, drop interface lines, story lists, captions (exactly doubled
   lines), repeated lines and site chrome that recurs across the ingest;
5. above the article, find the headline, bylines and datelines (`headline`); anywhere,
   attribution footers give the publisher.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Literal

from crawler.boilerplate import blocks, headline
from crawler.boilerplate.blocks import Line
from crawler.boilerplate.chrome import attribution_publisher, chrome_reason, is_template_junk
from crawler.boilerplate.lines import LineFeatures, features, fold_key
from crawler.boilerplate.result import CleanResult, Removal
from crawler.boilerplate.stats import LineStats
from crawler.reasons import Removed

Mode = Literal["dump", "extracted"]

_HEAD_WINDOW = 12  # non-blank lines above the body searched for headline / bylines
_LEAD_WINDOW = 4  # first lines of the run searched for a dateline / byline ending the header
_DUP_MIN_UNITS = 8  # shorter repeated lines (table headers, labels) are kept inside the body
_RECURRING_MAX_UNITS = 15  # longer lines are never flagged by corpus frequency alone


def _recurring(f: LineFeatures, stats: LineStats | None) -> bool:
    if stats is None or f.prose_like or f.units > _RECURRING_MAX_UNITS:
        return False
    return stats.is_recurring(f.text)


def _analyse(raw: Sequence[str], stats: LineStats | None) -> list[Line]:
    feats = [(no, f) for no, s in enumerate(raw) if s.strip() and (f := features(s)).text]
    keys = [fold_key(f.text) for _, f in feats]
    counts = Counter(keys)
    out = []
    for (no, f), key in zip(feats, keys, strict=True):
        reason = chrome_reason(f)
        if reason is None and is_template_junk(f.text):
            reason = Removed.UI_CHROME
        out.append(Line(no, f, reason, _recurring(f, stats), counts[key], key))
    return out


def _protected(lines: Sequence[Line], k: int, lo: int, hi: int, stats: LineStats) -> bool:
    """A recurring line inside the article is kept when the prose around it recurs too:
    the whole article is syndicated, and the line is its own subheading."""

    def prose_freq(rng: range) -> int | None:
        for j in rng:
            if lines[j].f.prose_like:
                return stats.doc_freq(lines[j].f.text)
        return None

    before = prose_freq(range(k - 1, lo - 1, -1))
    after = prose_freq(range(k + 1, hi))
    known = [x for x in (before, after) if x is not None]
    return bool(known) and all(stats.freq_is_recurring(x) for x in known)


def _best_span(lines: Sequence[Line], sect: dict[int, Removed], nav: set[int]) -> tuple[int, int]:
    scores = [blocks.line_score(ln, k in sect, k in nav) for k, ln in enumerate(lines)]
    span = blocks.best_run(scores)
    return span if span is not None else (0, 0)


def _trim_head(lines: Sequence[Line], start: int, end: int) -> int:
    """Move the article start past a dateline / byline among its first lines: what comes
    before it (standfirst, caption) belongs to the page header."""
    new = start
    for k in range(start, min(end - 1, start + _LEAD_WINDOW)):
        f = lines[k].f
        if f.date_like or (not f.prose_like and headline.parse_byline(f) is not None):
            new = k + 1
    return new


def _body_span(
    lines: Sequence[Line], mode: Mode, nav: set[int]
) -> tuple[int, int, dict[int, Removed]]:
    """The article's (start, end) positions and the story-list / comment sections.

    Dump mode finds the run twice: first without sections, then with the sections that
    open at or after that first article start (menus above the article are not sections).
    """
    if not lines:
        return 0, 0, {}
    if mode == "dump":
        first, _ = _best_span(lines, {}, nav)
        sect = blocks.sections(lines, first)
        start, end = _best_span(lines, sect, nav)
        return _trim_head(lines, start, end), end, sect
    sect = blocks.sections(lines, conservative=True)
    start = 0
    if lines and _extracted_title(lines):
        start = 1
    while start < min(len(lines), _HEAD_WINDOW):
        ln = lines[start]
        if ln.f.prose_like or not (ln.f.date_like or headline.parse_byline(ln.f)):
            break
        start += 1
    return start, len(lines), sect


def _extracted_title(lines: Sequence[Line]) -> bool:
    """Extracted text starts with its headline only when the first line is headline-shaped
    and doubled, carries an outlet suffix, or sits on a byline / dateline."""
    f = lines[0].f
    if not f.headline_like or f.prose_like or lines[0].chrome is not None:
        return False
    if len(lines) > 1 and lines[1].f.text == f.text:
        return True
    if headline.split_outlet(f.text)[1] is not None:
        return True
    nxt = lines[1].f if len(lines) > 1 else None
    return nxt is not None and (nxt.date_like or headline.parse_byline(nxt) is not None)


def _pick_title(
    lines: Sequence[Line], start: int, sect: dict[int, Removed], mode: Mode
) -> int | None:
    """Position of the headline among the lines above the body, or None."""
    if mode == "extracted":
        return 0 if start > 0 and lines and _extracted_title(lines) else None
    lo = max(0, start - _HEAD_WINDOW)
    best, best_k = 0.0, None
    for k in range(start - 1, lo - 1, -1):
        ln = lines[k]
        if (
            ln.chrome is not None
            or k in sect
            or ln.f.date_like
            or headline.parse_byline(ln.f) is not None
        ):
            continue
        doubled = ln.repeats > 1 and any(
            lines[j].f.text == ln.f.text for j in range(lo, start) if j != k
        )
        score = headline.title_score(ln.f, doubled, start - 1 - k)
        if score > best:
            best, best_k = score, k
    return best_k if best >= 1.0 else None


def clean_text(text: str, stats: LineStats | None = None, *, mode: Mode = "dump") -> CleanResult:
    """Clean one page's text: the article paragraphs, metadata, and why each other line
    was removed. `mode="dump"` finds the article in a whole-page dump; `mode="extracted"`
    only strips chrome from text an extractor already reduced to the article."""
    raw = text.split("\n")
    lines = _analyse(raw, stats)
    nav = blocks.navigation_runs(lines) if mode == "dump" else set()
    start, end, sect = _body_span(lines, mode, nav)

    reasons: dict[int, Removed] = {}
    captions: list[str] = []

    # -- above the body: headline, bylines, datelines ---------------------------------
    title: str | None = None
    publisher: str | None = None
    authors: list[str] = []
    date_text: str | None = None
    t = _pick_title(lines, start, sect, mode)
    title_key = None
    if t is not None:
        title, publisher = headline.split_outlet(lines[t].f.text)
        title_key = lines[t].f.text
        for k in range(max(0, start - _HEAD_WINDOW), start):  # "Headline | Outlet" variant
            head, outlet = headline.split_outlet(lines[k].f.text)
            if k != t and outlet is not None and head == title:
                reasons[k] = Removed.TITLE
                publisher = publisher or outlet
    for k in range(max(0, start - _HEAD_WINDOW), min(len(lines), start + 1)):
        if k >= start and k >= len(lines):
            break
        ln = lines[k]
        if k == start and ln.f.prose_like:
            break
        by = headline.parse_byline(ln.f)
        if by is None or ln.chrome is not None:
            continue
        reasons[k] = Removed.DATELINE if ln.f.date_like else Removed.BYLINE
        for a in by.authors:
            if a not in authors:
                authors.append(a)
        if by.outlet and publisher is None:
            publisher = by.outlet
        if by.date_text and date_text is None:
            date_text = by.date_text

    # -- attribution footers give the publisher ------------------------------------------
    for ln in lines:
        if ln.chrome == Removed.ATTRIBUTION:
            pub = attribution_publisher(ln.f.text)
            if pub:
                publisher = pub

    # -- inside the body ------------------------------------------------------------------
    kept_keys: set[str] = set()
    k = start
    while k < end:
        ln = lines[k]
        f = ln.f
        nxt = lines[k + 1] if k + 1 < end else None
        if ln.chrome is not None:
            reasons[k] = ln.chrome
        elif k in sect:
            reasons[k] = sect[k]
        elif title_key is not None and f.text == title_key:
            reasons[k] = Removed.TITLE
        elif nxt is not None and nxt.f.text == f.text and f.units >= 3:
            reasons[k] = reasons[k + 1] = Removed.CAPTION
            captions.append(f.text)
            k += 2
            continue
        elif ln.recurring and stats is not None and not _protected(lines, k, start, end, stats):
            reasons[k] = Removed.RECURRING
        else:
            if ln.key in kept_keys and (f.prose_like or f.units >= _DUP_MIN_UNITS):
                reasons[k] = Removed.DUPLICATE_LINE
            else:
                kept_keys.add(ln.key)
        k += 1

    # -- outside the body ------------------------------------------------------------------
    for k, ln in enumerate(lines):
        if start <= k < end or k in reasons:
            continue
        f = ln.f
        if title_key is not None and f.text == title_key:
            reasons[k] = Removed.TITLE
        elif ln.chrome is not None:
            reasons[k] = ln.chrome
        elif k in sect:
            reasons[k] = sect[k]
        elif ln.key in kept_keys:
            reasons[k] = Removed.DUPLICATE_LINE
        elif ln.recurring:
            reasons[k] = Removed.RECURRING
        elif f.date_like:
            reasons[k] = Removed.DATELINE
        elif k in nav:
            reasons[k] = Removed.NAVIGATION
        elif f.prose_like:
            reasons[k] = Removed.OUTSIDE_ARTICLE
        else:
            reasons[k] = Removed.LOW_CONTENT

    paragraphs = [ln.f.text for k, ln in enumerate(lines) if k not in reasons]
    removed = [
        Removal(ln.no, ln.f.text, str(reasons[k])) for k, ln in enumerate(lines) if k in reasons
    ]
    seen = {ln.no for ln in lines}
    invisible = [  # lines of only zero-width / format characters: not scored, still audited
        Removal(no, s.strip(), str(Removed.LOW_CONTENT))
        for no, s in enumerate(raw)
        if s.strip() and no not in seen
    ]
    if invisible:
        removed = sorted(removed + invisible, key=lambda r: r.line_no)
    return CleanResult(
        paragraphs=paragraphs,
        removed=removed,
        title=title,
        publisher=publisher,
        authors=authors,
        date_text=date_text,
        captions=captions,
    )
