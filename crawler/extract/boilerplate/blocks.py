"""Block structure of a page dump: section headers that open lists of other stories, the
extent of such lists, navigation runs, and the article as the best-scoring contiguous run.

The main run is a maximum-sum contiguous subsequence over per-line scores: prose lines
score positive (more for longer, sentence-shaped, function-word-rich lines, capped so one
huge teaser cannot outweigh a whole article), interface lines negative. Short interior
lines (subheadings, short quotes, list items) cost little, so they are bridged when prose
continues after them; long menus and story lists cost a lot and are not.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass

from crawler.extract.boilerplate.chrome import key_of_normalized
from crawler.extract.boilerplate.lines import LineFeatures
from crawler.extract.boilerplate.phrases import SECTION_WORDS
from crawler.reasons import Removed

SECTION_REASONS = (Removed.RELATED_BLOCK, Removed.COMMENTS)
CHROME_SCORE = -1.5
"""Score of a chrome or recurring line: such lines are dropped one by one anyway, so the
score only decides whether the article run bridges them (an ad slot or share bar inside
an article costs about as much as one sentence brings)."""
_SECTION_SHAPE = re.compile(r"^[^\W\d_][\w'’&\- ]*[:：]?$|^[\w\s]+$", re.UNICODE)


@dataclass(frozen=True)
class Line:
    """A non-blank input line with what single-line analysis found."""

    no: int  # 0-based index into text.split("\n")
    f: LineFeatures
    chrome: Removed | None  # chrome reason of the line by itself
    recurring: bool  # recurs across documents of the ingest (see stats.py)
    repeats: int  # occurrences of the same line in this document
    key: str  # lines.fold_key of the text (repetition key)


def is_list_item(ln: Line) -> bool:
    """A line that can be an entry of a list of other stories: a teaser headline, a date,
    a byline, a source name, a comment count."""
    f = ln.f
    if f.prose_like:
        return False
    return f.headline_like or f.date_like or f.units <= 4 or ln.chrome is not None


def section_header(lines: Sequence[Line], i: int) -> Removed | None:
    """RELATED_BLOCK / COMMENTS if line i opens a list of other stories or comments.

    Evidence: the header's shape (short, heading-like), its wording (a short multi-language
    keyword list), and what follows: a list of teaser-like items rather than prose.
    """
    ln = lines[i]
    f = ln.f
    if f.units > 7 or f.chars > 200 or (f.end_punct and not f.text.endswith("...")):
        return None
    head, colon, rest = f.text.partition(":")
    if colon and rest.strip() and len(head.split()) <= 3:
        return None  # "Read more: <a headline>" is one inline link, not a list header
    nxt = [x for x in lines[i + 1 : i + 7]]
    if not nxt:
        return ln.chrome if ln.chrome in SECTION_REASONS else None
    first_prose = nxt[0].f.prose_like and nxt[0].chrome is None
    if ln.chrome in SECTION_REASONS:
        # "Comments" / "Related" said outright: a header unless prose follows at once.
        if first_prose and not (len(nxt) > 1 and is_list_item(nxt[1]) and nxt[0].repeats > 1):
            return None
        return ln.chrome
    # a keyword header of the right shape above a list (each test pure: cheapest first)
    if first_prose or not 2 <= f.words <= 5:
        return None
    words = key_of_normalized(f.text).split()
    if not words or words[0] not in SECTION_WORDS or not _SECTION_SHAPE.match(f.text):
        return None
    items = sum(1 for x in nxt if is_list_item(x))
    return Removed.RELATED_BLOCK if items >= min(3, len(nxt)) else None


def _fresh_prose(ln: Line) -> bool:
    """Prose that can resume an article: sentence-final, not chrome, not repeated."""
    return ln.f.prose_like and ln.f.end_punct and ln.chrome is None and ln.repeats == 1


def _teaser_head(ln: Line) -> bool:
    """A line that typically heads a teaser snippet in a story list: its headline, date,
    source, or a repeated line (not a figure or list item of a table)."""
    f = ln.f
    if f.data_like and not f.date_like:
        return False
    return (f.headline_like and ln.chrome is None) or f.date_like or ln.repeats > 1 or f.units <= 4


def section_end(
    lines: Sequence[Line], start: int, reason: Removed, conservative: bool = False
) -> int:
    """Index one past the last line of the section opened at `start`: a story list goes
    on until article-like content resumes (two prose lines in a row, or prose that is not
    a teaser under an item's headline) or another section opens; comments (whose prose is
    the readers') go on until another section opens or the page ends."""
    j = start + 1
    while j < len(lines):
        if conservative and not _teaser_head(lines[j]) and lines[j].chrome is None:
            return j  # extracted text: a list ends at the first line that is no teaser
        if _fresh_prose(lines[j]) and reason != Removed.COMMENTS:
            two = j + 1 < len(lines) and _fresh_prose(lines[j + 1])
            if two or not _teaser_head(lines[j - 1]):
                return j
        if section_header(lines, j) is not None:
            return j
        j += 1
    return j


def sections(
    lines: Sequence[Line], first: int = 0, conservative: bool = False
) -> dict[int, Removed]:
    """Map line position -> section reason for all lines inside related/comment sections
    (header included) opened at or after position `first` (headers above the article are
    menu entries: they do not drag the article start into a section). `conservative`
    (extracted text): a section covers only the teaser-like lines right below its header."""
    out: dict[int, Removed] = {}
    i = first
    while i < len(lines):
        reason = section_header(lines, i)
        if reason is None:
            i += 1
            continue
        end = section_end(lines, i, reason, conservative)
        for k in range(i, end):
            out.setdefault(k, reason)
        i = end
    return out


def navigation_runs(lines: Sequence[Line], min_len: int = 3) -> set[int]:
    """Positions of runs of >= min_len consecutive short, non-sentence lines (menus)."""
    out: set[int] = set()
    run: list[int] = []

    def flush() -> None:
        if len(run) >= min_len:
            out.update(run)
        run.clear()

    for k, ln in enumerate(lines):
        f = ln.f
        short = (f.units <= 4 and not f.end_punct and not f.data_like) or (
            f.separators >= 2 and not f.prose_like
        )
        if short:
            run.append(k)
        else:
            flush()
    flush()
    return out


def line_score(ln: Line, in_section: bool, in_nav: bool) -> float:
    """Evidence that a line belongs to the article body (positive) or not (negative)."""
    f = ln.f
    if ln.chrome is not None:
        return -2.0 if in_section else CHROME_SCORE
    if in_section:
        return -0.5
    if ln.recurring:
        return CHROME_SCORE
    if f.prose_like:
        base = 0.5 + min(f.units, 40) / 10.0
        if f.is_cjk:
            base = 0.5 + min(f.cjk, 100) / 25.0
        if not f.is_cjk and f.stop_ratio < 0.15:
            base *= 0.6
        if ln.repeats > 1:
            base *= 0.5
        return base
    if f.date_like:
        return -3.0 if ln.repeats >= 3 else -2.0
    if ln.repeats >= 3:
        return -1.0  # a non-prose line repeated on the page: a label, caption or teaser
    if in_nav:
        return -1.5
    if f.end_punct and f.units >= 3:
        return 0.3
    if f.data_like:
        return 0.2
    if f.units >= 15 and f.stop_ratio >= 0.15:
        return 0.5 + min(f.units, 40) / 20.0
    if f.headline_like:
        return -1.0
    return -0.7


def model_context(
    lines: Sequence[Line],
    sect: Container[int],
    nav: Container[int],
    reasons: Mapping[int, Removed],
    chrome_index: Mapping[Removed, int],
    reason_index: Mapping[Removed, int],
) -> list[object]:
    """The line model's 8 context values of each line, one line after another
    (`learned.line_rows`): repeats, chrome, recurring, `line_score`, in a navigation run, in a
    section, the chrome reason's class and the removal reason's class (-1: none). Compiled
    with this module: the loop costs the cleaner's hot path less than in `learned`."""
    out: list[object] = []
    for k, ln in enumerate(lines):
        in_sect, in_nav, c, r = k in sect, k in nav, ln.chrome, reasons.get(k)
        out.extend(
            (
                ln.repeats,
                c is not None,
                ln.recurring,
                line_score(ln, in_sect, in_nav),
                in_nav,
                in_sect,
                -1 if c is None else chrome_index[c],
                -1 if r is None else reason_index[r],
            )
        )
    return out


def best_run(scores: Sequence[float]) -> tuple[int, int] | None:
    """(start, end) positions (end exclusive) of the maximum-sum contiguous run, or None
    if no score is positive."""
    best, best_span = 0.0, None
    cur, cur_start = 0.0, 0
    for k, s in enumerate(scores):
        if cur <= 0:
            cur, cur_start = s, k
        else:
            cur += s
        if cur > best:
            best, best_span = cur, (cur_start, k + 1)
    return best_span


MAX_GAP = 4
"""Lines of interface between two stretches of prose that `extend_run` bridges (an entry's
share button, time stamp and heading in a live blog; an ad slot with its label)."""
MIN_GAIN = 3.0
"""Score the prose after such a gap must bring (about one full paragraph)."""
_EXTEND_SCAN = 400  # lines one extension step looks ahead (keeps the step bounded)


def extend_run(scores: Sequence[float], end: int, blocked: Container[int]) -> int:
    """Extend a run ending at `end` over short interface gaps followed by more prose.

    The maximum-sum run stops where a gap costs more than the next paragraph brings; an
    article split into many short entries (live blogs, Q&As) loses all but one that way.
    Positions in `blocked` (story lists, comments) are never crossed.
    """
    n = len(scores)
    while end < n:
        j = end
        while j < n and j - end < MAX_GAP and scores[j] <= 0 and j not in blocked:
            j += 1
        if j >= n or j in blocked or scores[j] <= 0:
            return end
        cur, best, best_end = 0.0, 0.0, j
        for k in range(j, min(n, j + _EXTEND_SCAN)):
            if k in blocked:
                break
            cur += scores[k]
            if cur > best:
                best, best_end = cur, k + 1
            elif cur < 0:
                break
        if best < MIN_GAIN:
            return end
        end = best_end
    return end
