"""Headline, byline, dateline and publisher detection in the lines around the article start.

Pure string rules over single lines:

- `split_outlet`: "Headline – Outlet" -> ("Headline", "Outlet") when the suffix is shaped
  like an outlet name (a few capitalised words, no sentence punctuation);
- `parse_byline`: "By Jane Doe and John Roe", "Posted by X on <date>", "The Diplomata day
  ago" (outlet glued to a relative date), "Associated Press November 19, 2019" ->
  authors / outlet / raw date phrase;
- `pick_title`: choose the headline among the lines just above the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.extract.boilerplate.lines import LineFeatures, normalize

_OUTLET_SEP = re.compile(r"\s+(?:[–—|:]{1,2}|-|::|•|·)\s+")
_OUTLET_SMALL = frozenset(
    re.split(r"\s+", "of the and & / de del la le da do du di des der die das für on for y e et")
)
_OUTLET_WORDS = re.compile(  # generic nouns of outlet names, plus the big wire agencies
    r"\b(?:news|times|post|press|daily|journal|magazine|media|radio|tv|television|agency|"
    r"tribune|herald|gazette|observer|guardian|telegraph|associated|bureau|"
    r"network|channel|wire|review|report|online|today|weekly|monthly|digest|insider|"
    r"chronicle|mail|express|independent|standard|reuters|afp|ap|upi|dpa|efe|"
    r"zeitung|nachrichten|presse|diario|periódico|jornal|noticias|notícias|giornale|krant|"
    r"новости|газета|新聞|ニュース|新闻|日报|أخبار|صحيفة)\b",
    re.IGNORECASE,
)
_BY = re.compile(
    r"^(?:[•·\-–—|]\s*)?(?:by|written by|posted by|words by|story by|reported by|von|par|"
    r"por|oleh|di|door|автор|текст|文)\s*[:：]?\s+(?P<rest>.+)$",
    re.IGNORECASE,
)
_REL_DATE = re.compile(
    r"(?P<date>(?:\ban?\b|\bone\b|\d+)\s*(?:second|sec|minute|min|hour|hr|day|week|month|year)s?"
    r"\s+ago|yesterday|just now)\s*$",
    re.IGNORECASE,
)
_GLUED_REL_DATE = re.compile(
    r"^(?P<who>.*?[A-Za-z])(?P<date>(?:an?|one|\d+)\s*(?:second|minute|hour|day|week|month|year)s?"
    r"\s+ago)\s*$",
    re.IGNORECASE,
)
_HANDLE = re.compile(r"^(?P<name>[^@|/•]{3,40}?)\s*@\w{2,30}\b")  # "Jane Doe @janedoe"
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_ABS_DATE = re.compile(
    rf"(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+(?:19|20)\d{{2}}"
    r"|(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:19|20)\d{2}"
    r"|\d{4}年\d{1,2}月\d{1,2}日)"
    r"(?:,?\s*(?:at\s+)?\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s+[A-Z]{2,4})?)?",
    re.IGNORECASE,
)
_NAME_SPLIT = re.compile(
    r"\s*(?:,|\band\b|&|\bund\b|\bet\b|\by\b|\be\b|\bdan\b|\bи\b)\s*", re.IGNORECASE
)
_NAME_STOP = re.compile(
    r"\s+(?:[-–—|/•·]|on|at|in|published|updated|posted)\s+.*$|\s*[|/•·@].*$|,\s*(?:staff|"
    r"contributing|senior|special|chief|editor|reporter|correspondent|writer)\b.*$",
    re.IGNORECASE,
)


_BYLINE_MAX_CHARS = 300  # a byline / dateline is never longer (bounds the regex work)


@dataclass(frozen=True)
class Byline:
    """What a byline / dateline line says."""

    authors: tuple[str, ...] = ()
    outlet: str | None = None
    date_text: str | None = None


def _looks_like_outlet(s: str) -> bool:
    words = s.split()
    if not 1 <= len(words) <= 7 or re.search(r"[,.!?;:]$|,", s):
        return False
    return all(w[:1].isupper() or w[:1].isdigit() or w.lower() in _OUTLET_SMALL for w in words)


_NAME_ARTICLE = re.compile(  # capitalised: "Building Unity Farm - the Barn" names no outlet
    r"^(?:The|THE|Le|La|Les|El|Los|Las|Der|Die|Das|Il|Lo|De|Het|O|A)\s"
)
_DOMAIN = re.compile(r"\w\.(?:com|net|org|co|info|news|tv|[a-z]{2})\b", re.IGNORECASE)
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9&]{1,5}$")


def _names_an_outlet(tail: str) -> bool:
    """A capitalised suffix that says it is a publication: an outlet noun ("News", "Times",
    "Radio"...), an article ("The Verge", "Le Monde"), a domain ("AutoGuide.com") or an
    acronym ("CNN"). A capitalised phrase alone ("Video", "South America Es Bueno") is as
    likely the end of the headline."""
    return bool(
        _OUTLET_WORDS.search(tail)
        or _NAME_ARTICLE.match(tail)
        or _DOMAIN.search(tail)
        or _ACRONYM.match(tail)
    )


def split_outlet(title: str) -> tuple[str, str | None]:
    """Split "Headline – Outlet" into ("Headline", "Outlet"); else (title, None)."""
    title = normalize(title)
    parts = list(_OUTLET_SEP.finditer(title))
    if not parts:
        return title, None
    m = parts[-1]
    head, tail = title[: m.start()].strip(), title[m.end() :].strip()
    if len(head.split()) >= 3 and _looks_like_outlet(tail) and _names_an_outlet(tail):
        return head, tail
    return title, None


def _looks_like_name(s: str) -> bool:
    words = s.split()
    if not 1 <= len(words) <= 5:
        return False
    return all(
        w[:1].isupper() or w.lower() in _OUTLET_SMALL or w in {"van", "von", "de"} for w in words
    )


def _split_names(s: str) -> list[str]:
    s = _NAME_STOP.sub("", s).strip(" ,;:-–—|")
    names = [n.strip(" .,;:") for n in _NAME_SPLIT.split(s) if n.strip(" .,;:")]
    return [n for n in names if _looks_like_name(n)]


def _is_outlet_name(s: str) -> bool:
    return _looks_like_outlet(s) and (s.lower().startswith("the ") or bool(_OUTLET_WORDS.search(s)))


_DATE_HINT = re.compile(r"\d|ago|yesterday|just now", re.IGNORECASE)  # in every date phrase
_DIGIT = re.compile(r"\d")


def _may_be_relative(text: str) -> bool:
    """False only when the text holds no "ago", "yesterday" or "just now" in any case: the
    literal part of every relative-date pattern. Exact: `str.lower` takes every character
    IGNORECASE matches to one of their letters to that letter, but "ſ", which it matches
    to "s" (as `_may_end_relative`); a character `str.lower` turns into two ("İ") matches
    none of them."""
    low = text.lower()
    if "ſ" in low:  # never in ASCII text (a one-step answer there)
        low = low.replace("ſ", "s")
    return "ago" in low or "yesterday" in low or "just now" in low


_REL_ENDS = ("ago", "yesterday", "just now")


def _may_end_relative(text: str) -> bool:
    """Precondition of `_REL_DATE`, exact: its match ends the line (but for white space,
    `str.rstrip`'s and `\\s`'s alike) with "ago", "yesterday" or "just now" in any case. The
    only character outside ASCII that IGNORECASE matches to one of their letters is "ſ" (s);
    `str.lower` takes every other case variant to the letter."""
    return text.rstrip()[-9:].replace("ſ", "s").lower().endswith(_REL_ENDS)


def _may_be_absolute(text: str) -> bool:
    """Precondition of `_ABS_DATE`, exact: every form but the Japanese one has a year
    starting "19" or "20"; that one has 年."""
    return "19" in text or "20" in text or "年" in text


def _date_hint(text: str) -> bool:
    """`_DATE_HINT.search(text) is not None`, cheaper: `_DATE_HINT` has no literal prefix,
    so a search tries every position; a digit search skips to its first candidate, and the
    words are substrings of the lower case (`_may_be_relative`)."""
    return _DIGIT.search(text) is not None or _may_be_relative(text)


# Lines already searched for a date: a line is asked up to three times (byline, date line,
# page furniture), and menus and footers recur from page to page.
_DATES_SEEN: dict[str, str | None] = {}
_DATES_SEEN_MAX = 16_384


def find_date(text: str) -> str | None:
    """The first date phrase in a line (relative or absolute), as written."""
    if not _date_hint(text):  # both patterns below need one of these
        return None
    if text in _DATES_SEEN:
        return _DATES_SEEN[text]
    m = _REL_DATE.search(text) if _may_be_relative(text) and _may_end_relative(text) else None
    if m:
        got: str | None = m.group("date").strip()
    else:
        m = _ABS_DATE.search(text) if _may_be_absolute(text) else None
        got = m.group(0).strip() if m else None
    if len(_DATES_SEEN) >= _DATES_SEEN_MAX:
        _DATES_SEEN.clear()
    if len(text) <= _BYLINE_MAX_CHARS:
        _DATES_SEEN[text] = got
    return got


def may_be_byline(text: str) -> bool:
    """False when neither `byline_or_date` nor `parse_byline` can accept the line: every
    byline pattern starts with a by-word, holds a handle ("@") or a date phrase (which needs
    a digit or a relative-date word). A cheap test first, the same answers."""
    return _date_hint(text) or "@" in text or _BY.match(text) is not None


def byline_or_date(text: str) -> bool:
    """Whether a short text is a byline ("By Jane Doe") or mostly a date phrase, never a
    headline."""
    if len(text) > _BYLINE_MAX_CHARS:
        return False
    if _BY.match(text):
        return True
    date = find_date(text)
    return date is not None and len(date) >= 0.6 * len(text.strip())


def parse_byline(f: LineFeatures) -> Byline | None:
    """Parse a byline or dateline line; None if the line is not one."""
    text = f.text
    if f.units > 20 or f.prose_like or f.chars > _BYLINE_MAX_CHARS:
        return None
    m = _BY.match(text)
    if m:
        rest = m.group("rest")
        date = find_date(rest)
        names = _split_names(rest if date is None else rest.replace(date, " "))
        outlets = [n for n in names if _is_outlet_name(n)]
        authors = tuple(n for n in names if n not in outlets)
        if authors or outlets:
            return Byline(authors, outlets[0] if outlets else None, date)
        return None
    g = _GLUED_REL_DATE.match(text) if _may_be_relative(text) else None
    if g and f.words <= 8:
        who = g.group("who").strip(" •·-–—|,")
        if _looks_like_outlet(who):
            if _is_outlet_name(who) or who.startswith("The "):
                return Byline((), who, g.group("date"))
            return Byline((who,), None, g.group("date"))
        return Byline((), None, g.group("date"))
    h = _HANDLE.match(text) if "@" in text else None  # the handle's "@" is literal
    if h and _looks_like_name(h.group("name")):
        return Byline((h.group("name"),), None, find_date(text))
    date = find_date(text)
    if date is None:
        return None
    who = normalize(text.replace(date, " ")).strip(" •·-–—|,/@")
    who = re.sub(
        r"\b(?:updated|published|posted|last updated|first published|on|at|by)\b\s*:?",
        " ",
        who,
        flags=re.IGNORECASE,
    )
    who = normalize(who).strip(" •·-–—|,/:")
    if not who or f.date_like:
        return Byline((), None, date)
    names = _split_names(who)
    if not names or len(who.split()) > 8:
        return None
    outlets = [n for n in names if _is_outlet_name(n)]
    return Byline(
        tuple(n for n in names if n not in outlets), outlets[0] if outlets else None, date
    )


_PAGER_FIRST = frozenset("«‹←")  # "« Previous post", "Next story »": first / last character
_PAGER_LAST = frozenset("»›→")
_POSTED = re.compile(r"\b(?:by|posted|updated|published|filed)\b", re.IGNORECASE)


def never_headline(text: str) -> bool:
    """Lines shaped like a headline that are page furniture: previous / next links, bars of
    several " | " items, a relative date ("Last reply was 20 hours ago"), a date with a
    byline verb ("06 November 2012 by Jane Doe")."""
    if text.lstrip()[:1] in _PAGER_FIRST or text.rstrip()[-1:] in _PAGER_LAST:
        return True
    if text.count(" | ") >= 2:
        return True
    if not _date_hint(text):  # no relative date, no date phrase: nothing below
        return False
    if _may_be_relative(text) and _may_end_relative(text) and _REL_DATE.search(text):
        return True
    return len(text) <= _BYLINE_MAX_CHARS and bool(_POSTED.search(text)) and bool(find_date(text))


def title_score(f: LineFeatures, doubled: bool, distance: int) -> float:
    """How much a pre-body line looks like the article headline (higher is better)."""
    if (f.end_punct and f.text[-1:] not in "?!？！") or f.end_colon or never_headline(f.text):
        return 0.0
    units = f.units
    if f.is_cjk:
        if not 6 <= f.cjk <= 80:
            return 0.0
    elif not 3 <= f.words <= 30:
        return 0.0
    score = 1.0 + min(units, 12) / 12
    if doubled:
        score += 1.5
    if f.title_ratio >= 0.6 and not f.is_cjk:
        score += 0.3
    if f.separators:
        score -= 0.5
    return score - 0.15 * distance
