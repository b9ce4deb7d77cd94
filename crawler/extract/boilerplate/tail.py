"""Where the article ends before trailing boilerplate that still reads like prose.

Two generic end-of-article boxes follow the last paragraph on sites of every kind:

- an "About <organisation>" / media-contact block (press releases, corporate news): a
  short heading that opens with "About" (or its translation) or names a press contact;
- an author box: a name on its own line, then a third-person paragraph that starts with
  that name ("Jane Doe is a reporter ...", "Jane covers ...") or the byline's author.

Both are recognised by shape plus a one-word cue, only near the end of the article
(some prose before, little after), and cut the article there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from crawler.extract.boilerplate.blocks import Line

_ABOUT = re.compile(
    r"^(?:about|über|à propos d[e']|acerca de|sobre|a proposito di|over|om|o|关于|について)\s*\S",
    re.IGNORECASE,
)
_CONTACT = re.compile(
    r"^(?:media|press|news|investor)\s+(?:contacts?|enquiries|inquiries)\b|^pressekontakt\b"
    r"|^contacts? (?:presse|de prensa|para imprensa)\b"
    r"|^(?:for )?(?:media|press) (?:enquiries|inquiries)\b",
    re.IGNORECASE,
)
_NAME_WORD = re.compile(r"^[A-ZÀ-ÖØ-ÞĀ-Ž][\w'’.\-]*$")
_MIN_PROSE_BEFORE = 2  # the article must have had this many prose lines before the cut
_MAX_PROSE_AFTER = 4  # boxes are short: a cut never drops more prose lines than this


def _is_heading(ln: Line) -> bool:
    f = ln.f
    return not f.prose_like and not f.end_punct and 1 <= f.words <= 8


def _is_name(ln: Line) -> bool:
    """A person's name alone on a line: 2-4 capitalised words, no digits."""
    words = ln.f.text.split()
    return 2 <= len(words) <= 4 and all(_NAME_WORD.match(w) for w in words)


def _opens_bio(ln: Line, nxt: Line | None, authors: Sequence[str]) -> bool:
    if not _is_name(ln) or nxt is None or not nxt.f.prose_like:
        return False
    name = ln.f.text
    if name in authors:
        return True
    first = name.split()[0]
    return nxt.f.text.startswith((name + " ", first + " "))


def _opens_tail(lines: Sequence[Line], k: int, end: int, authors: Sequence[str]) -> bool:
    ln = lines[k]
    if ln.chrome is not None:
        return False
    nxt = lines[k + 1] if k + 1 < end else None
    if _is_heading(ln) and _CONTACT.match(ln.f.text):
        return True
    if _is_heading(ln) and _ABOUT.match(ln.f.text) and nxt is not None and nxt.f.prose_like:
        return True
    if nxt is not None and _is_heading(nxt) and k + 2 < end:  # name, job title, bio
        return _opens_bio(ln, lines[k + 2], authors)
    return _opens_bio(ln, nxt, authors)


def tail_start(lines: Sequence[Line], start: int, end: int, authors: Sequence[str]) -> int:
    """Position where trailing boilerplate begins inside the article run, or `end`."""
    total = sum(1 for k in range(start, end) if lines[k].f.prose_like)
    prose = 0
    for k in range(start, end):
        if (
            prose >= _MIN_PROSE_BEFORE
            and total - prose <= _MAX_PROSE_AFTER
            and _opens_tail(lines, k, end, authors)
        ):
            return k
        prose += lines[k].f.prose_like
    return end
