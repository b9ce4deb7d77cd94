"""Orchestration: page text -> article paragraphs, metadata and an audit of removed lines.

Steps (all pure, deterministic):

1. per line: shape features (`lines`), chrome phrases/shapes (`chrome`), corpus
   recurrence (`stats`), repetition within the page;
2. per page: sections of other stories / comments and navigation runs (`blocks`);
3. `mode="dump"`: the article is the best-scoring contiguous run of lines
   (`blocks.best_run`), extended over short interface gaps before more prose
   (`blocks.extend_run`: live blogs) and cut before trailing "About <company>" / contact /
   author boxes (`tail`); `mode="extracted"`: the whole text is the article, and short
   credits and repeated list items in it are content;
4. inside the article, drop interface lines, story lists, captions (exactly doubled
   lines), repeated lines and site chrome that recurs across the ingest;
5. above the article, find the headline, bylines and datelines (`headline`); anywhere,
   attribution footers give the publisher.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from itertools import islice
from typing import Literal

from crawler.extract.boilerplate import blocks, headline, headline_vote
from crawler.extract.boilerplate import learned as line_model
from crawler.extract.boilerplate.blocks import Line
from crawler.extract.boilerplate.chrome import (
    attribution_publisher,
    chrome_reason,
    is_template_junk,
)
from crawler.extract.boilerplate.frozen import instances
from crawler.extract.boilerplate.learned import LineModel
from crawler.extract.boilerplate.lines import (
    LineFeatures,
    features_of_normalized,
    fold_normalized,
    normalize,
)
from crawler.extract.boilerplate.result import CleanResult, Removal
from crawler.extract.boilerplate.stats import LineStats, key_hash
from crawler.extract.boilerplate.tail import tail_start
from crawler.model import Meta
from crawler.reasons import Removed

Mode = Literal["dump", "extracted"]
HeadlineVote = Callable[[Sequence[Line], int, int, set[int], set[int], int | None], int | None]
"""`headline_vote.pick`'s form without its weights: (lines, start, end, sections, navigation,
the rules' choice) -> the headline's position."""

_HEAD_WINDOW = 12  # non-blank lines above the body searched for headline / bylines
_LEAD_WINDOW = 4  # first lines of the run searched for a dateline / byline ending the header
_DUP_MIN_UNITS = 8  # shorter repeated lines (table headers, labels) are kept inside the body
_DUP_MIN_UNITS_EXTRACTED = 25  # extracted text: repeated list items / quotes are content
_LABEL_MAX_UNITS = {Removed.CAPTION: 8, Removed.LEGAL: 3}  # credits kept in extracted text
_RECURRING_MAX_UNITS = 15  # longer lines are never flagged by corpus frequency alone
_CHROME_MAX_CHARS = 5_000  # longer lines are never classified as chrome by themselves


_Single = tuple[LineFeatures, str, Removed | None]

# Lines already analysed, across the documents this process cleaned (least recently used
# dropped first): site chrome, menus and footers recur page after page, and their analysis
# depends only on the line itself. Bounded by entries and by line length (unique prose is not
# kept), so a process's memory does not grow with the ingest.
_SEEN: dict[str, _Single | None] = {}
_SEEN_MAX = 4_096  # ~10 MB: a few dozen sites' chrome
_SEEN_MAX_CHARS = 1_000


def _single(text: str) -> _Single:
    """Everything known about one normalised line by itself: features, fold key, chrome
    reason."""
    f = features_of_normalized(text)
    reason = None
    if f.chars <= _CHROME_MAX_CHARS:  # interface text is short; skip its regexes on huge lines
        reason = chrome_reason(f)
        if reason is None and is_template_junk(text):
            reason = Removed.UI_CHROME
    return f, fold_normalized(text, f.digit_ratio == 0), reason


def _analysed(s: str) -> _Single | None:
    """`_single` of a raw line (None if it is blank), from `_SEEN` when it was met before."""
    seen = _SEEN
    if s in seen:
        got = seen.pop(s)  # re-inserted below: most recently used last
    else:
        text = normalize(s)
        got = _single(text) if text else None
    if len(s) <= _SEEN_MAX_CHARS:
        seen[s] = got
    return got


# `headline.parse_byline` of lines already asked about (a pure function of the line's text):
# the rules ask about the lines above the body up to three times a page, and bylines recur
# across a site's pages. Only short lines (a byline is short); emptied when full.
_BYLINES: dict[str, headline.Byline | None] = {}
_BYLINES_MAX = 4_096
_BYLINE_MEMO_CHARS = 300


def _byline(f: LineFeatures) -> headline.Byline | None:
    """`headline.parse_byline(f)`, from `_BYLINES` when the line was asked about before."""
    text = f.text
    if text in _BYLINES:
        return _BYLINES[text]
    got = headline.parse_byline(f)
    if len(text) <= _BYLINE_MEMO_CHARS:
        if len(_BYLINES) >= _BYLINES_MAX:
            _BYLINES.clear()
        _BYLINES[text] = got
    return got


def _key_freqs(found: Sequence[_Single], stats: LineStats, every: bool) -> dict[str, int]:
    """Document frequencies of the page's fold keys, looked up at once: of every key when
    `every` (the line model reads them all), else only of the keys `_recurring_keys` may
    flag."""
    keys = list(
        {
            key
            for f, key, _ in found
            if every or (not f.prose_like and f.units <= _RECURRING_MAX_UNITS)
        }
    )
    return dict(zip(keys, stats.hash_freqs([key_hash(k) for k in keys]), strict=True))


def _recurring_keys(
    found: Sequence[_Single], stats: LineStats | None, freqs: dict[str, int]
) -> set[str]:
    """Fold keys of the lines that recur across the ingest's documents (`freqs`: from
    `_key_freqs`). Prose and long lines are never flagged by corpus frequency alone."""
    if stats is None:
        return set()
    return {
        key
        for f, key, _ in found
        if not f.prose_like
        and f.units <= _RECURRING_MAX_UNITS
        and stats.freq_is_recurring(freqs[key])
    }


def _analyse(raw: Sequence[str], stats: LineStats | None) -> list[Line]:
    """Per-line analysis; a line repeated on the page, or met on an earlier page, is analysed
    once."""
    return _analyse_page(raw, stats, False)[0]


def _analyse_page(
    raw: Sequence[str], stats: LineStats | None, every_freq: bool
) -> tuple[list[Line], list[int] | None]:
    """`_analyse`, and with `every_freq` (and `stats`) each line's document frequency, for
    the line model's rows: every key of the page is hashed and looked up once."""
    memo: dict[str, _Single | None] = {}
    found: list[tuple[int, _Single]] = []
    for no, s in enumerate(raw):
        got = memo[s] if s in memo else memo.setdefault(s, _analysed(s))
        if got is not None:
            found.append((no, got))
    if len(_SEEN) > _SEEN_MAX:
        for old in list(islice(_SEEN, len(_SEEN) - _SEEN_MAX * 3 // 4)):
            _SEEN.pop(old, None)
    singles = [got for _, got in found]
    freqs = _key_freqs(singles, stats, every_freq) if stats is not None else {}
    recurring = _recurring_keys(singles, stats, freqs)
    counts = Counter(got[1] for got in singles)
    rows = [(no, f, why, key in recurring, counts[key], key) for no, (f, key, why) in found]
    line_freqs = [freqs[key] for _, key, _ in singles] if every_freq and stats is not None else None
    return instances(Line, rows), line_freqs


def _label_in_body(lines: Sequence[Line], k: int) -> bool:
    """Extracted text: a short credit ("© Reuters", "Image: Getty") right after article
    text is part of what the extractor found inside the article, so it is kept; long
    chrome and footers are not."""
    ln = lines[k]
    limit = _LABEL_MAX_UNITS.get(ln.chrome) if ln.chrome is not None else None
    if limit is None or ln.f.units > limit:
        return False
    return any(lines[j].chrome is None for j in range(max(0, k - 2), k))


def _nearest_prose(lines: Sequence[Line], lo: int, hi: int) -> tuple[list[int], list[int]]:
    """For each position in [lo, hi): the nearest prose line before / after it inside the
    range (-1 if none), in two linear passes."""
    n = hi - lo
    before, after = [-1] * n, [-1] * n
    last = -1
    for i in range(n):
        before[i] = last
        if lines[lo + i].f.prose_like:
            last = lo + i
    last = -1
    for i in range(n - 1, -1, -1):
        after[i] = last
        if lines[lo + i].f.prose_like:
            last = lo + i
    return before, after


def _protected(lines: Sequence[Line], neighbours: tuple[int, int], stats: LineStats) -> bool:
    """A recurring line inside the article is kept when the prose around it recurs too:
    the whole article is syndicated, and the line is its own subheading."""
    known = [stats.key_freq(lines[j].key) for j in neighbours if j >= 0]
    return bool(known) and all(stats.freq_is_recurring(x) for x in known)


def _best_span(
    lines: Sequence[Line], sect: dict[int, Removed], nav: set[int], extend: bool = False
) -> tuple[int, int]:
    scores = [blocks.line_score(ln, k in sect, k in nav) for k, ln in enumerate(lines)]
    span = blocks.best_run(scores)
    if span is None:
        return 0, 0
    start, end = span
    return start, blocks.extend_run(scores, end, sect) if extend else end


def _trim_head(lines: Sequence[Line], start: int, end: int) -> int:
    """Move the article start past a dateline / byline among its first lines: what comes
    before it (standfirst, caption) belongs to the page header."""
    new = start
    for k in range(start, min(end - 1, start + _LEAD_WINDOW)):
        f = lines[k].f
        if f.date_like or (not f.prose_like and _byline(f) is not None):
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
        start, end = _best_span(lines, sect, nav, extend=True)
        return _trim_head(lines, start, end), end, sect
    sect = blocks.sections(lines, conservative=True)
    start = 0
    if lines and _extracted_title(lines):
        start = 1
    while start < min(len(lines), _HEAD_WINDOW):
        ln = lines[start]
        if ln.f.prose_like or not (ln.f.date_like or _byline(ln.f)):
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
    return nxt is not None and (nxt.date_like or _byline(nxt) is not None)


def _between_chrome(lines: Sequence[Line], k: int) -> bool:
    """A line with chrome right above and below is part of that bar (an unknown share
    button, a menu entry), not a headline."""
    return 0 < k < len(lines) - 1 and None not in (lines[k - 1].chrome, lines[k + 1].chrome)


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
            or _byline(ln.f) is not None
            or _between_chrome(lines, k)
        ):
            continue
        doubled = ln.repeats > 1 and any(
            lines[j].f.text == ln.f.text for j in range(lo, start) if j != k
        )
        score = headline.title_score(ln.f, doubled, start - 1 - k)
        if score > best:
            best, best_k = score, k
    return best_k if best >= 1.0 else None


def _line_model(choice: LineModel | bool | None) -> LineModel | None:
    if isinstance(choice, LineModel):
        return choice
    if choice is None:
        choice = line_model.LEARNED_BY_DEFAULT
    return line_model.default_model() if choice else None


def _apply_model(
    model: LineModel,
    lines: Sequence[Line],
    stats: LineStats | None,
    span: tuple[int, int],
    sect: dict[int, Removed],
    nav: set[int],
    reasons: dict[int, Removed],
    freqs: list[int] | None,
) -> None:
    """Let the learned model overrule the rules' keep / remove decision of every line
    (`reasons` is updated in place); the headline stays in `title`."""
    keep = line_model.learned_keep(model, lines, stats, span, sect, nav, reasons, freqs)
    for k, kept in enumerate(keep.tolist()):  # Python bools: no numpy scalar per line
        if kept:
            reasons.pop(k, None)
        elif k not in reasons:
            reasons[k] = Removed.OUTSIDE_ARTICLE if lines[k].f.prose_like else Removed.LOW_CONTENT


def clean_text(
    text: str,
    stats: LineStats | None = None,
    *,
    mode: Mode = "dump",
    learned: LineModel | bool | None = None,
    vote: HeadlineVote | None = None,
) -> CleanResult:
    """Clean one page's text: the article paragraphs, metadata, and why each other line
    was removed. `mode="dump"` finds the article in a whole-page dump; `mode="extracted"`
    only strips chrome from text an extractor already reduced to the article.

    `learned` (dump mode): the line model that takes the final keep / remove decisions
    from the rules' analysis (`crawler.extract.boilerplate.learned`): None = the package default,
    True = the shipped model, False = the rules alone, or a `LineModel`.

    `vote` (dump mode): the headline vote to ask instead of `headline_vote.pick`, for benches
    and tests that record or replace its inputs (the compiled cleaner calls `pick` directly:
    replacing the module's attribute is not seen)."""
    raw = text.split("\n")
    model = _line_model(learned) if mode == "dump" else None
    lines, freqs = _analyse_page(raw, stats, model is not None)
    nav = blocks.navigation_runs(lines) if mode == "dump" else set()
    start, end, sect = _body_span(lines, mode, nav)
    span = (start, end)

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
        by = _byline(ln.f)
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

    if mode == "dump":  # the record's title only: the body's decisions above keep `t`
        if vote is None:
            voted = headline_vote.pick(lines, start, end, set(sect), nav, t)
        else:
            voted = vote(lines, start, end, set(sect), nav, t)
        title = headline.split_outlet(lines[voted].f.text)[0] if voted is not None else None

    # -- trailing boxes that read like prose: "About <company>", contacts, author bio -----
    if mode == "dump":
        end = tail_start(lines, start, end, authors)

    # -- attribution footers give the publisher ------------------------------------------
    for ln in lines:
        if ln.chrome == Removed.ATTRIBUTION:
            pub = attribution_publisher(ln.f.text)
            if pub:
                publisher = pub

    # -- inside the body ------------------------------------------------------------------
    kept_keys: set[str] = set()
    prose_before, prose_after = _nearest_prose(lines, start, end)
    k = start
    while k < end:
        ln = lines[k]
        f = ln.f
        nxt = lines[k + 1] if k + 1 < end else None
        if ln.chrome is not None and not (mode == "extracted" and _label_in_body(lines, k)):
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
        elif (
            ln.recurring
            and stats is not None
            and not _protected(lines, (prose_before[k - start], prose_after[k - start]), stats)
        ):
            reasons[k] = Removed.RECURRING
        else:
            dup_min = _DUP_MIN_UNITS if mode == "dump" else _DUP_MIN_UNITS_EXTRACTED
            if ln.key in kept_keys and (f.prose_like or f.units >= dup_min):
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

    if model is not None and lines:
        _apply_model(model, lines, stats, span, sect, nav, reasons, freqs)

    paragraphs = [ln.f.text for k, ln in enumerate(lines) if k not in reasons]
    removed = instances(
        Removal, [(ln.no, ln.f.text, str(reasons[k])) for k, ln in enumerate(lines) if k in reasons]
    )
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
        meta=Meta(title=title, publisher=publisher, authors=authors, date_text=date_text),
        captions=captions,
    )
