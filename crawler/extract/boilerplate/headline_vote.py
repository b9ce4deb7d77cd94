"""The page dump's headline by a vote among its headline-shaped lines.

A dump has no `<title>`, but it usually carries the headline more than once (the browser's
title line "Headline | Outlet", a breadcrumb "Home / Headline", the article's own heading,
"Comments on Headline", "Listed below are links to weblogs that reference Headline"), and the
heading sits in a recognisable place: above a byline or date line, under a date line, right
above the article's first paragraph, whose words it shares. Teasers of other stories sit in
runs of headline-shaped lines; blog and outlet names recur on every page of the site.

`features` describes every headline-shaped line by those signals plus its position relative
to the body the cleaner chose; `pick` returns the line with the highest weighted sum. The
weights (`headline_weights.json`, next to this module) are learned by
`bench/train_headlines.py` from hand-labelled headlines of one half of the labelled sites.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from functools import cache
from importlib.resources import files
from math import inf, isfinite
from operator import mul
from pathlib import Path
from typing import Final

from crawler.extract.boilerplate import headline
from crawler.extract.boilerplate.blocks import Line
from crawler.extract.boilerplate.lines import LineFeatures
from crawler.extract.boilerplate.stopwords import STOP_WORDS

_MAX_CANDIDATES: Final = 400  # bounds the echo search on very long dumps (first lines first)
_WINDOW: Final = 14  # lines above the body start that get a position bonus
_LOOKAHEAD: Final = 4  # lines below a candidate searched for its byline / first paragraph
# beside this module's source: a compiled module's __file__ is in the build directory
WEIGHTS_PATH = Path(str(files(__name__.rpartition(".")[0]) / "headline_weights.json"))
_WORD = re.compile(r"\w+")
_QUOTE_END = re.compile(r"^[\s\"'”’»):.!?]*$")  # what may follow a title quoted at a line's end
_LABELLED = re.compile(  # "Tags: ...", "Posted in: News": a field of the page, not a title
    r"\b(?:tags|tagged|posted in|filed (?:under|in)|categor(?:y|ies)|labels|topics)\s*:", re.I
)
_AFFIX_END = re.compile(r"\s[|–—-]\s*$")  # "Headline | X": X is the outlet or author
_PAGER = re.compile(r"(?:previous|prev|back|next|older|newer)\b[^|]{0,60}\|", re.I)
_PAGER_FIRST = frozenset("«‹←")  # "« Older post | Main", "Previous | Index": a pager bar
_PAGER_LAST = frozenset("»›→")
_SEP_CHAR = re.compile(r"[–—|:•·-]")  # in every outlet separator of `headline.split_outlet`
_PAGER_REACH: Final = 3  # lines above a candidate searched for a pager bar
_PROSE_REACH: Final = 8  # lines below a candidate whose running text counts


def _shaped(ln: Line) -> bool:
    """Shaped like a headline by itself: a few words, not a sentence of running text, not
    chrome. (`_Page.shaped` also rules out bylines, dates and page furniture; a final full
    stop is allowed here, it needs an echo elsewhere on the page, see `features`.)"""
    f = ln.f
    if ln.chrome is not None or f.date_like or f.end_colon or f.chars > 300:
        return False
    if f.is_cjk:
        return 6 <= f.cjk <= 80
    if not 3 <= f.words <= 30 or (f.prose_like and f.words > 20):
        return False
    if f.inner_sentences and f.words > 16:
        return False  # several sentences: a notice or a teaser's text, not a title
    if f.digit_ratio == 0:  # no digit at all (the common case): no figure either
        return True
    return sum(w.isdigit() for w in f.text.split()) * 2 < f.words  # not a row of figures


def _sentence_end(f: LineFeatures) -> bool:
    return f.end_punct and f.text[-1:] not in "?!？！"


def _title_case(f: LineFeatures) -> bool:
    return f.title_ratio >= 0.6 and not f.is_cjk


_WORDS_SEEN: dict[str, frozenset[str]] = {}
_WORDS_SEEN_MAX = 16_384


def _content_words(text: str) -> frozenset[str]:
    got = _WORDS_SEEN.get(text)
    if got is None:
        got = frozenset(
            w for w in _WORD.findall(text.casefold()) if len(w) >= 3 and w not in STOP_WORDS
        )
        if len(_WORDS_SEEN) >= _WORDS_SEEN_MAX:
            _WORDS_SEEN.clear()
        _WORDS_SEEN[text] = got
    return got


def _is_token(word: str, folded: str) -> bool:
    """Whether `word` (a run of `\\w` characters) is one of `_WORD.findall(folded)`: an
    occurrence with no word character (`\\w`: `str.isalnum` or "_") on either side."""
    at = folded.find(word)
    size = len(word)
    while at >= 0:
        before = folded[at - 1] if at else " "
        after = folded[at + size : at + size + 1] or " "
        if not (before.isalnum() or before == "_" or after.isalnum() or after == "_"):
            return True
        at = folded.find(word, at + 1)
    return False


def _shared_words(words: frozenset[str], text: str) -> int:
    """`len(words & _content_words(text))` for content words `words`, without the other
    words of `text` (a paragraph, the body's first lines): each of `words` looked for as a
    whole word of its case fold."""
    folded = text.casefold()
    return sum(1 for w in words if _is_token(w, folded))


# Lines already judged, across the pages this process cleaned: site chrome and menus recur
# page after page, and whether a line is a byline or date depends only on its text.
_META_SEEN: dict[str, bool] = {}
_META_SEEN_MAX = 16_384


_LABEL_WORDS = ("tag", "posted in", "filed ", "categor", "labels", "topics")


def _may_be_labelled(text: str) -> bool:
    """Precondition of `_LABELLED`, exact: on ASCII text one of its words is in the lower
    case; other text answers True (the pattern decides)."""
    if not text.isascii():
        return True
    low = text.lower()
    return any(w in low for w in _LABEL_WORDS)


def _is_meta(f: LineFeatures) -> bool:
    """A byline, dateline or date line."""
    got = _META_SEEN.get(f.text)
    if got is None:
        text = f.text
        got = (
            f.date_like
            or (
                f.chars <= 300
                and ":" in text
                and _may_be_labelled(text)
                and _LABELLED.search(text) is not None
            )
            or (
                headline.may_be_byline(text)
                and (headline.byline_or_date(text) or headline.parse_byline(f) is not None)
            )
        )
        if len(_META_SEEN) >= _META_SEEN_MAX:
            _META_SEEN.clear()
        if f.chars <= 300:
            _META_SEEN[f.text] = got
    return got


# `_Page.ok` of lines already judged, across pages: a pure function of the line's text (its
# shape, chrome reason, byline / date patterns), and menus, teasers and bylines recur on a
# site's pages. Short lines only (a headline is short); emptied when full.
_OK_SEEN: dict[str, bool] = {}
_OK_SEEN_MAX = 16_384
_OK_SEEN_CHARS = 300


class _Page:
    """Per-line answers of one page, each computed once (the byline and date patterns are
    the costly part, and only asked of headline-shaped lines and their neighbours)."""

    def __init__(self, lines: Sequence[Line]) -> None:
        self.lines = lines
        self._meta: dict[int, bool] = {}
        self._pager: dict[int, bool] = {}
        never = headline.never_headline
        seen = _OK_SEEN
        # headline-shaped and not a byline, a date, a field or page furniture
        self.ok: list[bool] = []
        for j, ln in enumerate(lines):
            text = ln.f.text
            got = seen.get(text)
            if got is None:
                got = _shaped(ln) and not (self.meta(j) or never(text))
                if len(text) <= _OK_SEEN_CHARS:
                    if len(seen) >= _OK_SEEN_MAX:
                        seen.clear()
                    seen[text] = got
            self.ok.append(got)

    def pager(self, j: int) -> bool:
        """A previous / next link bar."""
        got = self._pager.get(j)
        if got is None:
            text = self.lines[j].f.text  # normalised: no white space at either end
            got = self._pager[j] = (
                text[:1] in _PAGER_FIRST
                or text[-1:] in _PAGER_LAST
                or ("|" in text and _PAGER.match(text) is not None)
            )
        return got

    def meta(self, j: int) -> bool:
        got = self._meta.get(j)
        if got is None:
            got = self._meta[j] = _is_meta(self.lines[j].f)
        return got

    def shaped(self, j: int) -> bool:
        """Headline-shaped and not a byline, a date, a field or page furniture."""
        return 0 <= j < len(self.ok) and self.ok[j]

    def plain(self, j: int) -> bool:
        """A headline-shaped line that is not running text (a teaser, a menu entry)."""
        return 0 <= j < len(self.ok) and self.ok[j] and not self.lines[j].f.prose_like


def _on_ref(text: str) -> bool:
    """ "Name on Post title": an entry of a recent-comments list."""
    at = text.find(" on ")
    return at > 0 and text.count(" ", 0, at) <= 3 and len(text) - at >= 16


def _line_starts(lines: Sequence[Line]) -> list[int]:
    """Offset of every line in the page's lines joined by newlines."""
    starts, at = [], 0
    for ln in lines:
        starts.append(at)
        at += len(ln.f.text) + 1
    return starts


def _echoes(
    lines: Sequence[Line], k: int, joined: str, starts: Sequence[int] | None = None
) -> tuple[int, int]:
    """Other lines that repeat line `k`: (lines quoting it at their start or end: "X | Outlet",
    "Home / X", "Comments on X", "3 Responses to “X”"; identical copies, 0 or 1). A
    paragraph that merely starts with it, a line naming it mid-sentence, a line recurring on
    the site's other pages and a copy right next to it (a doubled caption) are no echo.
    `starts`: `_line_starts(lines)` (`joined` is the lines joined by newlines)."""
    text = lines[k].f.text
    at = joined.find(text)
    if at < 0 or joined.find(text, at + len(text)) < 0:  # once only: itself
        return 0, 0
    if starts is None:
        starts = _line_starts(lines)
    quoted, same = 0, 0
    site_wide = lines[k].recurring
    n = len(lines)
    while at >= 0:  # the lines holding the text, each once, in order (a line has no newline)
        j = bisect_right(starts, at) - 1
        at = joined.find(text, starts[j + 1]) if j + 1 < n else -1
        if j == k:
            continue
        ln = lines[j]
        other = ln.f.text
        if other == text:  # a recurring copy of a line that is not: a site-wide list of posts
            same = same or int(abs(j - k) != 1 and not site_wide)
            continue
        if ln.recurring:
            continue
        pos = other.find(text)
        before, after = other[:pos].rstrip(), other[pos + len(text) :].lstrip()
        if before[-1:].isalnum() or after[:1].isalnum():
            continue  # inside a longer word ("Ball" in "Football")
        at_end = len(_QUOTE_END.sub("", after)) == 0
        if pos == 0 and after and len(other) > 2 * len(text):
            continue  # a paragraph that starts with the same words
        if at_end and _AFFIX_END.search(before):
            continue  # "Headline | X": X is the outlet or the author
        if pos == 0 or at_end:
            quoted += 1
    return quoted, same


FEATURES = (
    "quoted",  # lines quoting it: "Home / X", "X | Outlet", "Comments on X" (at most 3)
    "copied",  # an identical copy elsewhere (not right below it)
    "date_above",  # the line above is a byline / date line
    "meta_below_1",  # a byline / date line right below
    "meta_below_2",  # ... one line further
    "meta_below_3",  # ... two lines further
    "para_below",  # a paragraph of running text within the next lines
    "teaser_run",  # followed by another teaser, not by the body
    "under_heading",  # right under another heading-shaped line (a standfirst, a sub-heading)
    "above_body",  # within the lines above the body start, 1 right above it, 0 far up
    "body_start",  # the first lines of the body, followed by a paragraph
    "overlap_para",  # share of its words in the paragraph below it
    "overlap_body",  # share of its words in the body's first lines
    "after_body",  # below the body's end (related stories, comments, footers)
    "page_position",  # line position / lines of the page
    "most_quoted",  # quoted by more lines than any other candidate of the page
    "nearest_above",  # the candidate closest above the body start
    "after_chrome",  # the line above is chrome, navigation or recurs on the site's pages
    "recurring",  # recurs across the ingest's documents (site names, menus)
    "in_section",  # inside a list of other stories / comments
    "in_nav",  # inside a navigation run
    "separators",  # " | " / " / " separators
    "rules_pick",  # the line the cleaner's rules take for the headline
    "sentence",  # ends in a full stop (kept only when quoted elsewhere)
    "outlet_suffix",  # carries an outlet suffix ("Headline | Outlet")
    "long",  # words / 20, at most 1
    "title_case",  # most words capitalised
    "pager_above",  # a previous / next link bar among the lines above ("« Older | Main | Newer »")
    "comment_ref",  # a "Name on Post" entry of a recent-comments list (a neighbour has the form)
    "prose_below",  # words of running text in the lines below it (/ 150, at most 1)
)


_COL = {name: i for i, name in enumerate(FEATURES)}
# Final: the compiled module reads them as C constants, not from its globals dict
_QUOTED: Final = _COL["quoted"]
_COPIED: Final = _COL["copied"]
_DATE_ABOVE: Final = _COL["date_above"]
_META_BELOW: Final = (_COL["meta_below_1"], _COL["meta_below_2"], _COL["meta_below_3"])
_PARA_BELOW: Final = _COL["para_below"]
_TEASER_RUN: Final = _COL["teaser_run"]
_UNDER: Final = _COL["under_heading"]
_ABOVE_BODY: Final = _COL["above_body"]
_BODY_START: Final = _COL["body_start"]
_OVERLAP_PARA: Final = _COL["overlap_para"]
_OVERLAP_BODY: Final = _COL["overlap_body"]
_AFTER_BODY: Final = _COL["after_body"]
_PAGE_POS: Final = _COL["page_position"]
_MOST_QUOTED: Final = _COL["most_quoted"]
_NEAREST: Final = _COL["nearest_above"]
_AFTER_CHROME: Final = _COL["after_chrome"]
_RECURRING: Final = _COL["recurring"]
_IN_SECTION: Final = _COL["in_section"]
_IN_NAV: Final = _COL["in_nav"]
_SEPARATORS: Final = _COL["separators"]
_RULES_PICK: Final = _COL["rules_pick"]
_SENTENCE: Final = _COL["sentence"]
_OUTLET: Final = _COL["outlet_suffix"]
_LONG: Final = _COL["long"]
_TITLE_CASE: Final = _COL["title_case"]
_PAGER_ABOVE: Final = _COL["pager_above"]
_COMMENT_REF: Final = _COL["comment_ref"]
_PROSE_BELOW: Final = _COL["prose_below"]


def _near(page: _Page, k: int, row: list[float], prose_words: Sequence[int]) -> None:
    """The cheap features of the lines around a candidate (into `row`, by `FEATURES`
    position): its neighbours' shape, a pager bar above, a comments-list entry, the running
    text below. `prose_words`: running sums of the words of the page's prose lines
    (`prose_words[j]`: lines before position j)."""
    lines = page.lines
    n = len(lines)
    row[_TEASER_RUN] = float(page.plain(k + 1) and page.plain(k + 2))
    row[_UNDER] = float(page.plain(k - 1) and not page.plain(k - 2))
    pager = False
    for j in range(max(0, k - _PAGER_REACH), k):
        if page.pager(j):
            pager = True
            break
    row[_PAGER_ABOVE] = float(pager)
    row[_COMMENT_REF] = float(
        _on_ref(lines[k].f.text)
        and (
            (k > 0 and _on_ref(lines[k - 1].f.text)) or (k + 1 < n and _on_ref(lines[k + 1].f.text))
        )
    )
    prose = prose_words[min(n, k + 1 + _PROSE_REACH)] - prose_words[min(n, k + 1)]
    row[_PROSE_BELOW] = min(prose, 150) / 150


def _meta_around(page: _Page, k: int, row: list[float]) -> str:
    """The byline / date lines around a candidate and its first paragraph below (into `row`);
    returns that paragraph ("" when none is within `_LOOKAHEAD` lines)."""
    lines = page.lines
    n = len(lines)
    row[_DATE_ABOVE] = float(k > 0 and page.meta(k - 1))
    para = ""
    meta_at = 0
    for j in range(k + 1, min(n, k + 1 + _LOOKAHEAD)):
        f = lines[j].f
        if f.prose_like and f.units >= 12:
            para = f.text
            break
        if not meta_at and page.meta(j):
            meta_at = j - k
    if meta_at:
        row[_META_BELOW[min(meta_at, 3) - 1]] = 1.0
    row[_PARA_BELOW] = float(bool(para))
    return para


def _local(page: _Page, k: int, row: list[float], prose_words: Sequence[int]) -> str:
    """Features of the lines around a candidate (`_near` and `_meta_around`); returns the
    first paragraph below it."""
    _near(page, k, row, prose_words)
    return _meta_around(page, k, row)


class _Votes:
    """One page's candidates and the parts of their rows, in the order of their cost: the
    line's own and its neighbours' shape (`base`), the byline / date lines around it and the
    paragraph below (`_meta_around`), its words in that paragraph and in the body's first
    lines and its outlet suffix (`finish`)."""

    def __init__(
        self,
        lines: Sequence[Line],
        start: int,
        end: int,
        sect: set[int],
        nav: set[int],
        chosen: int | None,
    ) -> None:
        self.page = page = _Page(lines)
        self.lines, self.start, self.end = lines, start, end
        self.sect, self.nav, self.chosen = sect, nav, chosen
        joined = "\n".join([ln.f.text for ln in lines])
        starts = _line_starts(lines)
        n = len(lines)
        prose_words = [0] * (n + 1)
        total = 0
        for j, ln in enumerate(lines):
            f = ln.f
            if f.prose_like:
                total += f.words
            prose_words[j + 1] = total
        self.prose_words = prose_words
        self._body: str | None = None
        # the candidates that are kept (position, quoted, copied, sentence, title case)
        self.kept: list[tuple[int, int, int, bool, bool]] = []
        echoes: dict[str, tuple[int, int]] = {}
        for k in [k for k, ok in enumerate(page.ok) if ok][:_MAX_CANDIDATES]:
            f = lines[k].f
            text = f.text
            got = echoes.get(text)
            if got is None:
                got = echoes[text] = _echoes(lines, k, joined, starts)
            quoted, same = got
            sentence = _sentence_end(f)
            title_case = _title_case(f)
            if sentence and not (quoted or same or title_case):
                continue  # a sentence, unless the page repeats it or it is capitalised as a title
            self.kept.append((k, quoted, same, sentence, title_case))
        self.top = max((float(min(c[1], 3)) for c in self.kept), default=0.0)
        above = [c[0] for c in self.kept if c[0] < start]
        self.nearest = above[-1] if above else -1

    def body(self) -> str:
        """The body's first lines of running text (the first 2,000 characters)."""
        if self._body is None:
            lines, start = self.lines, self.start
            body = " ".join(
                ln.f.text for ln in lines[start : min(self.end, start + 6)] if ln.f.prose_like
            )
            self._body = body[:2_000]
        return self._body

    def base(self, k: int, quoted: int, same: int, sentence: bool, title_case: bool) -> list[float]:
        """A candidate's row with every feature but those of `_meta_around` and `finish`."""
        lines, start = self.lines, self.start
        ln = lines[k]
        f = ln.f
        row = [0.0] * len(FEATURES)
        row[_QUOTED] = float(min(quoted, 3))
        row[_COPIED] = float(same)
        _near(self.page, k, row, self.prose_words)
        if start - _WINDOW <= k < start:
            row[_ABOVE_BODY] = 1.0 - (start - 1 - k) / _WINDOW
        row[_AFTER_BODY] = float(k >= self.end)
        row[_PAGE_POS] = k / len(lines)
        up = lines[k - 1] if k > 0 else None
        row[_AFTER_CHROME] = float(
            up is not None and (up.chrome is not None or k - 1 in self.nav or up.recurring)
        )
        row[_RECURRING] = float(ln.recurring)
        row[_IN_SECTION] = float(k in self.sect)
        row[_IN_NAV] = float(k in self.nav)
        row[_SEPARATORS] = float(f.separators > 0)
        row[_RULES_PICK] = float(k == self.chosen)
        row[_SENTENCE] = float(sentence)
        row[_LONG] = min(f.words, 20) / 20
        row[_TITLE_CASE] = float(title_case)
        row[_MOST_QUOTED] = float(self.top > 0 and row[_QUOTED] == self.top)
        row[_NEAREST] = float(k == self.nearest)
        return row

    def finish(self, k: int, row: list[float], para: str) -> None:
        """The rest of the row (`_meta_around` filled `para`'s features)."""
        start = self.start
        text = self.lines[k].f.text
        row[_BODY_START] = float(start <= k < start + 2 and bool(para))
        words = _content_words(text)
        if words:
            if para:
                row[_OVERLAP_PARA] = _shared_words(words, para) / len(words)
            row[_OVERLAP_BODY] = _shared_words(words, self.body()) / len(words)
        row[_OUTLET] = float(
            _SEP_CHAR.search(text) is not None and headline.split_outlet(text)[1] is not None
        )

    def row(self, k: int, quoted: int, same: int, sentence: bool, title_case: bool) -> list[float]:
        row = self.base(k, quoted, same, sentence, title_case)
        self.finish(k, row, _meta_around(self.page, k, row))
        return row


def _rows(
    lines: Sequence[Line], start: int, end: int, sect: set[int], nav: set[int], chosen: int | None
) -> dict[int, list[float]]:
    """`features` with each row a list of values in `FEATURES` order."""
    votes = _Votes(lines, start, end, sect, nav, chosen)
    return {c[0]: votes.row(*c) for c in votes.kept}


def features(
    lines: Sequence[Line], start: int, end: int, sect: set[int], nav: set[int], chosen: int | None
) -> dict[int, dict[str, float]]:
    """Features of every headline-shaped line (position -> name -> value; each copy of a
    repeated line at its own position: the headline's first copy is often a teaser in a list
    of recent posts). `start`/`end`: the body the cleaner chose; `sect`, `nav`: its
    story-list and navigation lines; `chosen`: its rules' headline."""
    rows = _rows(lines, start, end, sect, nav, chosen)
    return {k: dict(zip(FEATURES, row, strict=True)) for k, row in rows.items()}


@cache
def default_weights() -> dict[str, float]:
    """The shipped weights (`headline_weights.json`)."""
    spec = json.loads(WEIGHTS_PATH.read_text("utf-8"))
    return {name: float(spec["weights"].get(name, 0.0)) for name in FEATURES}


def score(row: Mapping[str, float], weights: Mapping[str, float]) -> float:
    return sum(weights.get(name, 0.0) * value for name, value in row.items())


def pick(
    lines: Sequence[Line],
    start: int,
    end: int,
    sect: set[int],
    nav: set[int],
    chosen: int | None,
    weights: Mapping[str, float] | None = None,
) -> int | None:
    """Position of the page's headline: the best-scoring headline-shaped line, or `chosen`
    (the rules' pick) when no line is headline-shaped."""
    if not lines:
        return chosen
    w = default_weights() if weights is None else weights
    votes = _Votes(lines, start, end, sect, nav, chosen)
    if not votes.kept:
        return chosen
    # `score` with the weights in FEATURES order, which is every row's order: the same sums
    ws = [w.get(name, 0.0) for name in FEATURES]
    if all(isfinite(x) for x in ws):
        return _best(votes, ws)
    rows = {c[0]: votes.row(*c) for c in votes.kept}
    return max(rows, key=lambda k: (sum(map(mul, ws, rows[k])), -k))


def _best(votes: _Votes, ws: Sequence[float]) -> int | None:
    """The candidate with the highest score (the first of equal ones), as `max` over every
    row, without the dear parts of the rows that cannot win: each row's score is bounded
    from its cheap part (`_Votes.base`) plus the most the others can add (every value of
    theirs is in [0, 1], the three `meta_below_*` one-hot); candidates are scored in the
    order of that bound, and one whose bound stays below the best score so far is dropped
    (after `_meta_around`, again before `finish`). A dropped row scores less than the best:
    the bounds sum the same terms as the score, and `slack` is far above their rounding."""
    start, page = votes.start, votes.page
    below = max(0.0, ws[_META_BELOW[0]], ws[_META_BELOW[1]], ws[_META_BELOW[2]])
    around = max(ws[_DATE_ABOVE], 0.0) + below + max(ws[_PARA_BELOW], 0.0)
    para_up, head_up = max(ws[_OVERLAP_PARA], 0.0), max(ws[_BODY_START], 0.0)
    rest = max(ws[_OVERLAP_BODY], 0.0) + max(ws[_OUTLET], 0.0)
    slack = 1e-9 * (1.0 + 3.0 * sum(abs(x) for x in ws))
    bounded = []
    for c in votes.kept:
        k = c[0]
        row = votes.base(*c)
        head = head_up if start <= k < start + 2 else 0.0
        bounded.append((sum(map(mul, ws, row)) + around + para_up + head + rest, k, row))
    bounded.sort(key=lambda b: (-b[0], b[1]))
    best, best_k = -inf, None
    for bound, k, row in bounded:
        if bound < best - slack:
            break  # and every later bound is lower
        para = _meta_around(page, k, row)
        if para:
            bound = sum(map(mul, ws, row)) + para_up + rest
            if start <= k < start + 2:
                bound += head_up
        else:
            bound = sum(map(mul, ws, row)) + rest
        if bound < best - slack:
            continue
        votes.finish(k, row, para)
        got = sum(map(mul, ws, row))
        if got > best or (got == best and best_k is not None and k < best_k):
            best, best_k = got, k
    return best_k
