"""One headline from every title signal a page has, by agreement between them.

A page states its headline several times: `<title>`, og:title, twitter:title, JSON-LD
`headline`, dc.title (the *declared* titles, often with the outlet, section or date joined by
" | ", " - ", ": " ...), and the headings it shows (`<h1>`-`<h4>`, elements classed as a title
or headline). The headline is the text most of them agree on:

- every run of whole segments of a declared title is a candidate; it earns a vote per declared
  title it is a run of, and one when a heading shows it (or shows it with a few extra words at
  one end, e.g. a category label or a date; half a vote with words at both ends);
- candidates that name the site (og:site_name, the publisher, the host name), bylines and
  dates never win;
- among the agreed candidates (two votes or more) the most voted wins, then one that is not the
  page's first heading (often the logo), then the longest (an outlet or section name is
  shorter than a headline). It is returned as the heading shows it (the page's own quotes and
  dashes).

No agreement: None, and the caller falls back to its single-signal rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from crawler.extract.boilerplate.headline import byline_or_date

# separators between headline, section and outlet in a declared title
SEGMENT_SEP = re.compile(r"\s+(?:\||-|–|—|--|::|·|•|»|›|/)\s+|(?<=\S):\s+")
_NON_WORD = re.compile(r"[\W_]+")
_SPACE = re.compile(r"\s+")
_DOMAIN_END = re.compile(r"\.(?:com|net|org|co|info|news|gov|edu)(?:\.\w\w)?$", re.IGNORECASE)
_MAX_SEGMENTS = 8  # longer titles are keyword lists: only the runs of their first segments count
_EXTRA_WORDS = 4  # words a heading may add around a candidate (a category label, a date)
_MAX_HEADING_CHARS = 300
_NAME_WORDS = 5  # a site's name is not longer


def key(text: str) -> str:
    """Case-, punctuation- and space-insensitive form of a title."""
    return _NON_WORD.sub("", text.casefold())


def site_key(name: str) -> str:
    """`key` of a site name without its domain ending ("NYTimes.com" -> "nytimes")."""
    return key(_DOMAIN_END.sub("", name.strip()))


def clean(text: str) -> str:
    """`text` as one line of collapsed white space."""
    return _SPACE.sub(" ", text).strip()


def segment_runs(title: str) -> list[str]:
    """Every run of consecutive whole segments of a declared title, the whole title included."""
    title = clean(title)
    seps = list(SEGMENT_SEP.finditer(title))[: _MAX_SEGMENTS - 1]
    starts = [0, *(m.end() for m in seps)]
    ends = [*(m.start() for m in seps), len(title)]
    runs = []
    for i, start in enumerate(starts):
        for end in ends[i:]:
            run = title[start:end].strip()
            if run:
                runs.append(run)
    return runs


@dataclass
class _Candidate:
    text: str  # the form returned: the heading's if a heading shows it
    declared: set[int]  # indexes of the declared titles it is a segment run of
    rest_words: int = 0  # most words of a declared title left around it (0: a whole title)
    shown: int = -1  # position of the first heading that shows exactly it (-1: none)
    inside: float = 0.0  # a heading shows it with a few extra words: 1 at one end, 0.5 amid

    @property
    def votes(self) -> float:
        return len(self.declared) + (1.0 if self.shown >= 0 else self.inside)


def _within(run_key: str, heading_key: str, heading: str, run: str) -> float:
    """1 for a heading that shows `run` plus a short label or date before or after it, 0.5
    for one with the extra words on both sides, else 0."""
    if run_key not in heading_key or run_key == heading_key or len(run_key) < 12:
        return 0.0
    if len(heading.split()) - len(run.split()) > _EXTRA_WORDS:
        return 0.0
    return 1.0 if heading_key.startswith(run_key) or heading_key.endswith(run_key) else 0.5


def _logo(cand: _Candidate) -> bool:
    """The page's first heading repeated as the shorter part of one declared title: the site's
    name in its header ("Blog Name: Post title" over a page whose `<h1>` is "Blog Name")."""
    words = len(cand.text.split())
    return (
        cand.shown == 0
        and len(cand.declared) == 1
        and words <= _NAME_WORDS
        and cand.rest_words > words
    )


def agreed_title(
    declared: Sequence[str], headings: Sequence[str], site_names: Iterable[str] = ()
) -> str | None:
    """The headline most title signals agree on (see the module doc), or None."""
    sites = {k for k in (site_key(n) for n in site_names) if k}
    found: dict[str, _Candidate] = {}
    seen_declared: set[str] = set()
    for index, title in enumerate(declared):
        if not title or key(title) in seen_declared:
            continue  # og:title equal to <title> is one statement, not two
        seen_declared.add(key(title))
        words = len(clean(title).split())
        for run in segment_runs(title):
            k = key(run)
            if k and site_key(run) not in sites:
                cand = found.setdefault(k, _Candidate(run, set()))
                cand.declared.add(index)
                cand.rest_words = max(cand.rest_words, words - len(run.split()))
    loose: list[tuple[str, str]] = []  # (key, text) of headings that are no declared run
    for position, heading in enumerate(headings):
        text = clean(heading)
        hk = key(text)
        if not hk or len(text) > _MAX_HEADING_CHARS:
            continue
        match = found.get(hk)
        if match is None:
            loose.append((hk, text))
        elif match.shown < 0:
            match.text = text
            match.shown = position
    for k, cand in found.items():
        if cand.shown < 0:
            cand.inside = max((_within(k, hk, h, cand.text) for hk, h in loose), default=0.0)
    agreed = [
        c for c in found.values() if c.votes >= 2 and not _logo(c) and not byline_or_date(c.text)
    ]
    if not agreed:
        return None
    # on a tie, the page's first heading is more often its logo than its headline, and an
    # outlet or section name is shorter than a headline
    best = max(
        agreed,
        key=lambda c: (c.votes, len(c.text.split()) >= 2, c.shown != 0, len(c.text)),
    )
    return best.text


def outlet_around(declared: str, headline: str) -> str | None:
    """The outermost segment of a declared title around its headline ("Blog Name" of "Blog
    Name: Post title", "Site" of "Post | Section | Site"), or None when the title does not
    start or end with the headline."""
    title, want = clean(declared), key(headline)
    seps = list(SEGMENT_SEP.finditer(title))
    if not want or not seps:
        return None
    if any(key(title[: m.start()]) == want for m in seps):
        outer = title[seps[-1].end() :]
    elif any(key(title[m.end() :]) == want for m in seps):
        outer = title[: seps[0].start()]
    else:
        return None
    outer = outer.strip()
    return outer if outer and len(outer.split()) <= _NAME_WORDS else None
