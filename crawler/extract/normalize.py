"""Pure text helpers shared by every way in: unicode and white space, word counts, hashes,
language, dates."""

from __future__ import annotations

import contextlib
import hashlib
import re
import unicodedata
import warnings
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from itertools import islice

from dateutil import parser as date_parser
from dateutil.parser import UnknownTimezoneWarning

from crawler.extract.boilerplate import native
from crawler.readers.decode import holds_ascii

# `crawler/extract/_shingles.c`: a text's tokens joined by spaces, its word count and whether its
# white space needs rewriting, each in one C pass (the str methods and regular expressions
# below are the reference, and run without the build)
_C = native.c_module("crawler.extract._shingles")

# A zone name dateutil does not know leaves the date naive, which parse_date reads as UTC (its
# documented rule); the warning it would print for each such page in a run is only noise.
warnings.filterwarnings("ignore", category=UnknownTimezoneWarning)

_INVISIBLE = dict.fromkeys(
    [0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD] + [c for c in range(32) if c not in (9, 10)]
)
_HAS_INVISIBLE = re.compile("[" + "".join(re.escape(chr(c)) for c in _INVISIBLE) + "]")
_ASCII_INVISIBLE = bytes(c for c in _INVISIBLE if c < 128)
_SPACES = re.compile(r"[^\S\n]+")
# The runs of _SPACES that " " does not already stand for (all but a lone space): replacing
# only these with " " gives _SPACES' result without rewriting every space between two words.
_SPACE_RUNS = re.compile(r"[^\S\n]{2,}|[^\S\n ]")
_WORD = re.compile(r"\w+")
# every ASCII character \w does not match -> " " (str.split then gives _WORD's matches, at 1/3
# of findall's time)
_ASCII_NOT_WORD = str.maketrans({chr(c): " " for c in range(128) if not _WORD.fullmatch(chr(c))})
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def replace_surrogates(text: str) -> str:
    """Lone surrogates (text that did not come from decoding bytes) -> U+FFFD: they cannot be
    encoded as UTF-8, so no Parquet file could store them."""
    if _C is not None:  # one read of the text, no encoding (a tenth of the encode's time)
        return _SURROGATE.sub("\ufffd", text) if _C.has_surrogates(text) else text
    try:  # a strict encode fails exactly on a surrogate, at 1/5 of the regex's scan
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def normalize_line(line: str) -> str:
    """NFC, invisible and control characters removed, white space runs -> one space, stripped."""
    line = unicodedata.normalize("NFC", line)
    if _HAS_INVISIBLE.search(line):  # translate() is slow; most lines have nothing to remove
        line = line.translate(_INVISIBLE)
    return _SPACES.sub(" ", line).strip()


def _holds_invisible(text: str) -> bool:
    """Whether `_HAS_INVISIBLE` matches in `text`; an ASCII text's bytes are looked at instead
    (at a fifth of the regex's time: its only such characters are the C0 controls)."""
    if text.isascii():
        return holds_ascii(text, _ASCII_INVISIBLE)
    return _HAS_INVISIBLE.search(text) is not None


def normalize_text(paragraphs: list[str]) -> str:
    """Paragraphs -> the record's text: one normalized paragraph per line, blanks dropped.

    `normalize_line` of each paragraph, done on the whole text at once where that is the same:
    when no paragraph holds a line break, each step keeps to its line (NFC neither composes
    nor reorders across a line break; white space runs end at one), and after them the only
    white space left at a line's ends is one space, which `strip` removes as it would."""
    text = "\n".join(paragraphs)
    if text.count("\n") != len(paragraphs) - 1:  # a paragraph of several lines
        return "\n".join(p for p in (normalize_line(p) for p in paragraphs) if p)
    text = unicodedata.normalize("NFC", text)
    if _holds_invisible(text):
        text = text.translate(_INVISIBLE)
    # (with the control characters gone, an ASCII text's only white space is " ", "\t", "\n";
    # another text's is looked for in one C pass, at a tenth of the regex's scan)
    if text.isascii():
        odd_spaces = "  " in text or "\t" in text
    else:
        odd_spaces = _C is None or _C.odd_spaces(text)
    if odd_spaces:
        text = _SPACE_RUNS.sub(" ", text)
    return "\n".join(p for p in (p.strip() for p in text.split("\n")) if p)


# The last text tokenised / counted in this process and its result: a worker asks for one
# document's tokens twice (content hash, then MinHash shingles) and its word count twice (the
# record, then language id's sample, the same text when it is short). One entry per function,
# replaced as a whole (one assignment), so threads never see a half-written one.
# text, tokens (None until asked for: `tokens`), tokens joined by " ", how many
_LAST_TOKENS: tuple[str, list[str] | None, str, int] = ("", [], "", 0)
_LAST_WORDS: tuple[str, int] = ("", 0)


def word_count(text: str) -> int:
    """Words in text; each CJK character counts as a word (those scripts have no spaces)."""
    global _LAST_WORDS
    last_text, last_count = _LAST_WORDS
    if text == last_text:
        return last_count
    if text.isascii() or (_C is None and _folds_char_for_char(text)):  # tokens are words
        count = _tokenized(text)[2]
    elif _C is not None:  # the rule below, in one pass
        count = _C.word_count(text)
    else:
        cjk = len(_CJK.findall(text))
        count = len(_WORD.findall(_CJK.sub(" ", text) if cjk else text)) + cjk
    _LAST_WORDS = (text, count)
    return count


def _folds_char_for_char(text: str) -> bool:
    """Whether casefolding `text` keeps every word boundary, so that its tokens are its words:
    no CJK character (word_count counts a CJK symbol that tokens skip), every character folded
    to one (no "ß" -> "ss": then the lengths differ) of the same kind, word or not. U+0345 is
    the one character folded to one of the other kind (tests/crawler/extract/test_normalize.py
    checks every code point)."""
    return "\u0345" not in text and len(text.casefold()) == len(text) and not _CJK.search(text)


def _words_up_to(text: str, limit: int) -> int:
    """min(word_count(text), limit), reading only as far as the limit-th word."""
    last_text, last_count = _LAST_WORDS
    if text == last_text:  # language id's sample of a short text: the text itself
        return min(last_count, limit)
    # The words before a space are words of the whole text (none runs across it): when a head
    # ending at a space already holds `limit` of them, the rest need not be scanned.
    cut = text.find(" ", 16 * limit) if len(text) > 32 * limit else -1
    if cut > 0 and _words_in(text[:cut], limit) >= limit:
        return limit
    return _words_in(text, limit)


def _words_in(text: str, limit: int) -> int:
    if _C is not None:  # an ASCII text has no CJK: its \w runs are its ASCII tokens
        count: int = _C.ascii_tokens(text)[1] if text.isascii() else _C.word_count(text)
        return min(count, limit)
    cjk = sum(1 for _ in islice(_CJK.finditer(text), limit))
    if cjk >= limit:
        return limit
    plain = _CJK.sub(" ", text) if cjk else text  # (fewer than limit: all of them were found)
    return cjk + sum(1 for _ in islice(_WORD.finditer(plain), limit - cjk))


def _tokenized(text: str) -> tuple[list[str] | None, str, int]:
    """The text's tokens (see `tokens`; None if they were not made, the joined string was),
    the same joined by single spaces, and how many there are, kept for the last text asked."""
    global _LAST_TOKENS
    last_text, found, joined, count = _LAST_TOKENS
    if text != last_text:
        if _C is not None:  # no list of token strings is needed
            found = None
            if text.isascii():
                joined, count = _C.ascii_tokens(text)
            else:
                joined, count = _C.word_tokens(text.casefold())
        else:
            if text.isascii():  # casefold is lower, no CJK to split: runs of \w between the rest
                found = text.lower().translate(_ASCII_NOT_WORD).split()
            else:
                found = _WORD.findall(_CJK.sub(lambda m: f" {m.group()} ", text.casefold()))
            joined, count = " ".join(found), len(found)
        _LAST_TOKENS = (text, found, joined, count)
    return found, joined, count


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens (CJK split per character): the unit of hashing and shingling."""
    found, joined, _ = _tokenized(text)
    if found is None:  # tokens hold no space, and are joined by one
        return joined.split(" ") if joined else []
    return list(found)  # a copy: the caller may change its list


def joined_tokens(text: str) -> str:
    """`tokens(text)` joined by single spaces (what content hashes and shingles are made of)."""
    return _tokenized(text)[1]


def content_hash(text: str) -> str:
    """Exact-duplicate key: sha256 of the text's word tokens, so case, punctuation, quotes and
    white space differences do not make two copies of one text distinct."""
    return hashlib.sha256(joined_tokens(text).encode()).hexdigest()


@lru_cache(maxsize=1)
def _langid() -> object:
    from crawler.extract.language import load_identifier  # numpy and the model: on first use

    return load_identifier()


def load_language_model() -> None:
    """Load the language model now rather than on the first text (the worker pool's forkserver
    does, so that its workers share one copy)."""
    _langid()


# region or script subtags wrongly used as language codes, and retired ISO 639-1 codes
_LANG_FIXES = {"jp": "ja", "cn": "zh", "kr": "ko", "gr": "el", "cz": "cs", "dk": "da", "ua": "uk"}
_LANG_FIXES |= {"iw": "he", "in": "id", "ji": "yi"}


def norm_language(value: str | None) -> str | None:
    """ISO 639-1 code of a declared language tag (HTML lang, HTTP Content-Language, JSON-LD
    inLanguage: "en-US", "pt_BR", "de, en" -> "en", "pt", "de"; "jp" -> "ja"); None if it is
    not one."""
    first = re.split(r"[,;\s]", (value or "").strip(), maxsplit=1)[0]
    code = re.split(r"[-_]", first, maxsplit=1)[0].lower()
    code = _LANG_FIXES.get(code, code)
    return code if len(code) == 2 and code.isascii() and code.isalpha() else None


def detect_language(text: str, declared: str | None = None) -> str | None:
    """ISO 639-1 code of the text.

    A confident guess from enough text wins over the page's declaration (pages are often
    mis-declared: an English article on a German site's template says `de`); otherwise the
    declaration (`norm_language`), otherwise a less sure guess. None when nothing is known
    well enough.
    """
    code = norm_language(declared)
    sample = text[:4000]
    words = _words_up_to(sample, 50)  # only "fewer than 5" and "at least 50" are asked
    if words < 5 or (code is not None and words < 50):  # no guess could win: none is made
        return code
    lang, prob = _langid().classify(sample)  # type: ignore[attr-defined]
    if code is None:
        return str(lang) if prob >= 0.5 else None
    confident = prob >= 0.95 and words >= 50
    return str(lang) if confident else code


# Zone abbreviations common in news datelines (dateutil knows only UTC/GMT by itself).
_TZ_HOURS = {
    "ET": -5,
    "EST": -5,
    "EDT": -4,
    "CT": -6,
    "CST": -6,
    "CDT": -5,
    "MT": -7,
    "MST": -7,
    "MDT": -6,
    "PT": -8,
    "PST": -8,
    "PDT": -7,
    "BST": 1,
    "CET": 1,
    "CEST": 2,
    "IST": 5.5,
    "JST": 9,
    "KST": 9,
    "AEST": 10,
    "AEDT": 11,
    "MSK": 3,
    "WIB": 7,
}
_TZINFOS = {name: int(hours * 3600) for name, hours in _TZ_HOURS.items()}
_RELATIVE = re.compile(r"\b(ago|yesterday|today|just now|hours?|minutes?)\b", re.I)
# machine formats pages declare, read exactly (day-first where the day comes first)
_DATE_FORMATS = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%B %d, %Y %I:%M %p",
    "%B %d, %Y",
    "%b %d, %Y",
    "%d %B %Y",
    "%d %b %Y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
)
_EXACT_YEARS = range(1900, 2201)
# a free-text date before 1990 is almost always a phrase without a year (dateutil fills 1900)
_FREE_TEXT_YEARS = range(1990, 2201)


def parse_date(text: str | None) -> datetime | None:
    """A date -> UTC datetime (one without a zone is taken as UTC); None for relative ('a day
    ago'), unclear or implausible ones.

    Machine formats are read exactly first (ISO 8601, RFC 2822, "2019/11/19", "19.11.2019",
    "November 19, 2019"...: what metadata, sitemaps and feeds declare); anything else as free
    text (a byline's "Nov. 20, 2019 6:00 PM ET"), through dateutil with news zone names.
    """
    text = _SPACES.sub(" ", text or "").strip()
    if not text or _RELATIVE.search(text) or not re.search(r"\d", text):
        return None
    value = _exact_date(text) if len(text) <= 64 else None
    if value is not None:
        return value if value.year in _EXACT_YEARS else None
    try:
        value = date_parser.parse(text, fuzzy=True, default=datetime(1900, 1, 1), tzinfos=_TZINFOS)
    except (ValueError, OverflowError, TypeError):
        return None
    return _utc(value) if value.year in _FREE_TEXT_YEARS else None


def _exact_date(text: str) -> datetime | None:
    """`text` in one of the machine formats, in UTC; None if it is in none."""
    for candidate in (text, text.replace(" ", "T", 1), re.sub(r"\s*(?:UTC|GMT)$", "+00:00", text)):
        with contextlib.suppress(ValueError):
            return _utc(datetime.fromisoformat(candidate.replace("Z", "+00:00")))
    with contextlib.suppress(TypeError, ValueError, IndexError):
        return _utc(parsedate_to_datetime(text))
    bare = re.sub(r"(\d)(?:st|nd|rd|th)\b", r"\1", text.replace("Sept ", "Sep "))
    for fmt in _DATE_FORMATS:
        with contextlib.suppress(ValueError):
            return _utc(datetime.strptime(bare, fmt))
    return None


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
