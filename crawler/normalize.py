"""Pure text helpers shared by every way in: unicode and white space, word counts, hashes,
language, dates."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import warnings
from datetime import UTC, datetime
from functools import lru_cache

from dateutil import parser as date_parser
from dateutil.parser import UnknownTimezoneWarning

# A zone name dateutil does not know leaves the date naive, which parse_date reads as UTC (its
# documented rule); the warning it would print for each such page in a run is only noise.
warnings.filterwarnings("ignore", category=UnknownTimezoneWarning)

_INVISIBLE = dict.fromkeys(
    [0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD] + [c for c in range(32) if c not in (9, 10)]
)
_HAS_INVISIBLE = re.compile("[" + "".join(re.escape(chr(c)) for c in _INVISIBLE) + "]")
_SPACES = re.compile(r"[^\S\n]+")
_WORD = re.compile(r"\w+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def replace_surrogates(text: str) -> str:
    """Lone surrogates (text that did not come from decoding bytes) -> U+FFFD: they cannot be
    encoded as UTF-8, so no Parquet file could store them."""
    return _SURROGATE.sub("\ufffd", text)


def normalize_line(line: str) -> str:
    """NFC, invisible and control characters removed, white space runs -> one space, stripped."""
    line = unicodedata.normalize("NFC", line)
    if _HAS_INVISIBLE.search(line):  # translate() is slow; most lines have nothing to remove
        line = line.translate(_INVISIBLE)
    return _SPACES.sub(" ", line).strip()


def normalize_text(paragraphs: list[str]) -> str:
    """Paragraphs -> the record's text: one normalized paragraph per line, blanks dropped."""
    return "\n".join(p for p in (normalize_line(p) for p in paragraphs) if p)


def word_count(text: str) -> int:
    """Words in text; each CJK character counts as a word (those scripts have no spaces)."""
    cjk = len(_CJK.findall(text))
    return len(_WORD.findall(_CJK.sub(" ", text))) + cjk


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens (CJK split per character): the unit of hashing and shingling."""
    return [t for t in _WORD.findall(_CJK.sub(lambda m: f" {m.group()} ", text.casefold()))]


def content_hash(text: str) -> str:
    """Exact-duplicate key: sha256 of the text's word tokens, so case, punctuation, quotes and
    white space differences do not make two copies of one text distinct."""
    return hashlib.sha256(" ".join(tokens(text)).encode()).hexdigest()


@lru_cache(maxsize=1)
def _langid() -> object:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str, declared: str | None = None) -> str | None:
    """ISO 639-1 code of the text.

    A confident guess from enough text wins over the page's declaration (pages are often
    mis-declared: an English article on a German site's template says `de`); otherwise the
    declaration, otherwise a less sure guess. None when nothing is known well enough.
    """
    code = None
    if declared:
        code = declared.strip().lower().replace("_", "-").split("-")[0]
        code = code if re.fullmatch(r"[a-z]{2}", code) else None
    sample = text[:4000]
    if word_count(sample) < 5:
        return code
    lang, prob = _langid().classify(sample)  # type: ignore[attr-defined]
    if code is None:
        return str(lang) if prob >= 0.5 else None
    confident = prob >= 0.95 and word_count(sample) >= 50
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


def parse_date(text: str | None) -> datetime | None:
    """An absolute date phrase -> UTC datetime; None for relative ('a day ago') or unclear ones.

    A date without a zone is taken as UTC.
    """
    if not text or _RELATIVE.search(text) or not re.search(r"\d", text):
        return None
    try:
        value: datetime = date_parser.parse(
            text, fuzzy=True, default=datetime(1900, 1, 1), tzinfos=_TZINFOS
        )
    except (ValueError, OverflowError, TypeError):
        return None
    if value.year < 1990:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
