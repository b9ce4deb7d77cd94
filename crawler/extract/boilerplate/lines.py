"""Per-line features: length, punctuation, function-word share, case, dates, list shape.

Everything here looks at one line in isolation; context (neighbours, position, corpus
frequency) is added by `blocks.py` and `cleaner.py`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from itertools import compress
from operator import itemgetter, methodcaller, not_, or_
from typing import Final

from crawler.extract.boilerplate.features import LineFeatures as LineFeatures
from crawler.extract.boilerplate.features import make as _make_features
from crawler.extract.boilerplate.stopwords import STOP_WORDS as _STOP_WORDS

STOP_WORDS: Final = _STOP_WORDS  # Final: read as a C constant by the compiled module

_WORD: Final = re.compile(r"[^\W\d_](?:[\w'’\-]*\w)?", re.UNICODE)
# Han ideographs, hiragana, katakana (scripts written without spaces between words).
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_SENT_END = frozenset(".!?。！？…")
_CLOSERS = "\"'”’»)]）」』】›*"
_MONTHS = (
    "jan january feb february mar march apr april may jun june jul july aug august sep "
    "sept september oct october nov november dec december "
    "januar februar märz mai juni juli oktober dezember "
    "janvier février mars avril juin juillet août septembre octobre novembre décembre "
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre "
    "janeiro fevereiro março maio junho julho setembro outubro novembro dezembro "
    "gennaio febbraio aprile maggio giugno luglio settembre ottobre dicembre "
    "januari februari maret mei agustus oktober desember "
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря"
)
_DATE_WORDS: Final = frozenset(
    (
        _MONTHS + " mon monday tue tues tuesday wed wednesday thu thur thurs thursday fri friday "
        "sat saturday sun sunday am pm a.m p.m gmt utc est edt pst pdt cst cet ist bst "
        "updated published posted last modified on at de of the um à le el em "
        "ago hours hour minutes minute mins min days day weeks week months month years "
        "year yesterday today now h hrs "
        "aktualisiert veröffentlicht publié mis à jour publicado atualizado "
        "atualizado em diperbarui назад обновлено опубликовано"
    ).split()
)
# A date / time expression (`has_date`): the alternatives of one regex, searched one by one
# (a line has a date if any of them matches; one alternation costs ~2x their sum). `\b\d` is
# written `\d(?<!\w\d)`, so each search starts with a character set the engine scans fast.
_DATE_DIGITS = (
    re.compile(r"\d(?<!\w\d)\d{0,3}[./\-]\d{1,2}[./\-]\d{1,4}\b"),  # 2019-11-20, 13.11.2019
    re.compile(r"\d(?<!\w\d)\d?:\d{2}\b"),  # 9:02
    re.compile(r"(?:1(?<!\w1)9|2(?<!\w2)0)\d{2}\b"),  # a year (19xx, 20xx)
    re.compile(
        r"\d(?<!\w\d)\d*\s*(?:hours?|hrs?|minutes?|mins?|days?|weeks?|months?|years?)\s+ago\b",
        re.IGNORECASE,
    ),
)
_DATE_CJK = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日|\d{1,2}月\d{1,2}日")
_DATE_WORDS_RE = re.compile(
    r"\b(?:a|an|one)\s+(?:hour|minute|day|week|month|year)\s+ago\b|\byesterday\b|\bjust now\b",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^(?:[-–—•·*▪►▶»›]|\d{1,2}[.)])\s+")
_BULLET_FIRST = "-–—•·*▪►▶»›"  # a bullet's first character, else a digit (\d is isdecimal)
_FOLD_WORD = re.compile(r"[^\W\d_]{3}")
# `\s[|•·»›/]\s|\s{2,}`, written to test one \s per position (the cleaner's costliest regex)
_SEPARATORS = re.compile(r"\s(?:[|•·»›/]\s|\s+)")
_INNER_SENT = re.compile(r"[.!?。！？][\"'”’)]*\s+[\"'“‘(]*[A-ZА-Я]")
_CJK_INNER_SENT = re.compile(r"[。！？](?=.)")
_TOKEN_STRIP: Final = "\"'“”‘’«»()[]{}.,;:!?¿¡"
_CAP_STRIP: Final = "\"'“‘«(¿¡["
_DIGITS = re.compile(r"\d+")
_DATE_MAX_CHARS = 2_000  # longer lines are never date lines; `has_date` is not searched
_TOKEN_SAMPLE = 10_000  # token-level ratios are computed over at most this many tokens (< 2**16)
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
# Each byte of a line's UTF-8 to its class: A-Z "U", a-z "L", 0-9 "D", any other byte "."
_BYTE_CLASS = b"".join(
    b"U" if 65 <= b <= 90 else b"L" if 97 <= b <= 122 else b"D" if 48 <= b <= 57 else b"."
    for b in range(256)
)
# Characters that are upper / lower case but not letters (Roman numerals, circled letters).
_CASED_NON_LETTER = re.compile(
    "[\u0345\u2160-\u217f\u24b6-\u24e9\U0001f130-\U0001f149\U0001f150-\U0001f169"
    "\U0001f170-\U0001f189]"
)


def _normalize_py(line: str) -> str:
    """`normalize`'s reference (and fallback) for `_linescan.normalize`."""
    line = line.replace("\u200b", "").replace("\ufeff", "").replace("\u00ad", "")
    return " ".join(line.split())  # str.split() splits on exactly the characters \s matches


_normalize: Callable[[str], str] = _normalize_py  # the C version below when it is built


def normalize(line: str) -> str:
    """Collapse white space (incl. NBSP and zero-width characters) and strip."""
    return _normalize(line)


def features(line: str) -> LineFeatures:
    """Compute the shape features of one line (normalised first)."""
    return features_of_normalized(normalize(line))


def _char_counts(text: str) -> tuple[int, int, int]:
    """(upper-case letters, cased letters, digits) of a line, as str.isupper / islower /
    isdigit count them. Linear, and mostly in C: ASCII characters are counted on the UTF-8
    bytes, mapped to their class in one pass (non-ASCII characters are bytes >= 0x80, never
    counted), the few non-ASCII ones one by one."""
    classes = text.encode("utf-8", "surrogatepass").translate(_BYTE_CLASS)
    upper = classes.count(b"U")
    lower = classes.count(b"L")
    digits = classes.count(b"D")
    if not text.isascii():
        rest = "".join(_NON_ASCII.findall(text))
        digits += sum(map(str.isdigit, rest))
        if _CASED_NON_LETTER.search(rest) is None:  # then cased characters are all letters
            upper += sum(map(str.isupper, rest))
            lower += sum(map(str.islower, rest))
        else:
            cased = [c for c in rest if c.isalpha() and (c.isupper() or c.islower())]
            upper += sum(map(str.isupper, cased))
            lower += len(cased) - sum(map(str.isupper, cased))
    return upper, upper + lower, digits


def _has_date(text: str, digits: int) -> bool:
    """A date or time expression in the line. Every digit form needs a digit (`digits`
    counts str.isdigit, a superset of what \\d matches); the others need a word below.
    `_linescan.has_date` is the same test in C (`line_features` asks it)."""
    folded = text.casefold()
    if digits:
        # each form searched only in a line holding its literal part (a substring test costs
        # a fraction of a search); "ago" in the folded line: no other letter matches a, g, o
        if (
            _DATE_DIGITS[0].search(text) is not None
            or (":" in text and _DATE_DIGITS[1].search(text) is not None)
            or (("19" in text or "20" in text) and _DATE_DIGITS[2].search(text) is not None)
            or ("ago" in folded and _DATE_DIGITS[3].search(text) is not None)
        ):
            return True
        if "月" in text and _DATE_CJK.search(text) is not None:
            return True
    if "ago" in folded or "yesterday" in folded or "just now" in folded:
        return _DATE_WORDS_RE.search(text) is not None
    return False


_FIRST = itemgetter(slice(0, 1))  # a string's first character ("" for "")


def _token_counts_of(sample: list[str]) -> tuple[int, int, int, int, int]:
    """`_token_counts` computed token by token (what `_TOKENS` remembers per token)."""
    cores = list(map(methodcaller("strip", _TOKEN_STRIP), sample))
    lows = list(map(str.lower, cores))
    is_alpha = list(map(str.isalpha, cores))
    # a token is a word if its core is all letters, or it holds a word ("don't", "e-mail")
    others = [t for t in compress(sample, map(not_, is_alpha)) if _WORD.search(t) is not None]
    words = [*compress(sample, is_alpha), *others]
    alpha = len(words)
    caps = sum(map(str.isupper, map(_FIRST, map(methodcaller("lstrip", _CAP_STRIP), words))))
    numeric = len(sample) - alpha - lows.count("")  # an empty core is never a word
    stop = sum(map(STOP_WORDS.__contains__, lows))
    rstripped = map(methodcaller("rstrip", "s,"), lows)
    dates = sum(
        map(or_, map(_DATE_WORDS.__contains__, lows), map(_DATE_WORDS.__contains__, rstripped))
    )
    return alpha, caps, numeric, stop, dates


# A token's five counts packed in one int, 16 bits each (a line's sample has < 2**16 tokens),
# so a line's counts are one `sum` over one dict lookup per token, all in C. Tokens recur
# across lines and documents (Zipf); the dict is emptied when it reaches _TOKENS_MAX entries.
_FIELD = 16
_MASK = (1 << _FIELD) - 1
_TOKENS: dict[str, int] = {}
_TOKENS_MAX = 50_000  # ~5 MB


def _packed(token: str) -> int:
    """`_token_counts_of([token])` packed, computed directly (a new token costs ~1/6)."""
    core = token.strip(_TOKEN_STRIP)
    low = core.lower()
    if core.isalpha() or (core and _WORD.search(token) is not None):  # an empty core: no letter
        counts = 1 | token.lstrip(_CAP_STRIP)[:1].isupper() << _FIELD
    else:
        counts = 1 << 2 * _FIELD if not core else 0  # empty core, else a numeric token
    if low in STOP_WORDS:
        counts |= 1 << 3 * _FIELD
    if low in _DATE_WORDS or low.rstrip("s,") in _DATE_WORDS:
        counts |= 1 << 4 * _FIELD
    return counts


def _token_counts(sample: list[str]) -> tuple[int, int, int, int, int]:
    """(letter tokens, of them capitalised, other non-empty tokens, function words, date
    words) of a line's tokens: the costliest step on long lines, so kept per token."""
    table = _TOKENS
    try:
        total = sum(map(table.__getitem__, sample))
    except KeyError:
        if len(table) >= _TOKENS_MAX:
            table.clear()
        for token in set(sample).difference(table):
            table[token] = _packed(token)
        total = sum(map(table.__getitem__, sample))
    alpha = total & _MASK
    empty = total >> 2 * _FIELD & _MASK
    return (
        alpha,
        total >> _FIELD & _MASK,
        len(sample) - alpha - empty,
        total >> 3 * _FIELD & _MASK,
        total >> 4 * _FIELD & _MASK,
    )


def _token_bits(token: str) -> int:
    """`_packed(token)` as five bits (a token's counts are 0 or 1): letter token 1,
    capitalised 2, empty core 4, function word 8, date word 16 (what `_linescan.token_stats`
    keeps per token); computed as `_packed` computes it."""
    core = token.strip(_TOKEN_STRIP)
    low = core.lower()
    if core.isalpha() or (core and _WORD.search(token) is not None):
        bits = 3 if token.lstrip(_CAP_STRIP)[:1].isupper() else 1
    else:
        bits = 0 if core else 4
    if low in STOP_WORDS:
        bits |= 8
    if low in _DATE_WORDS or low.rstrip("s,") in _DATE_WORDS:
        bits |= 16
    return bits


TokenStats = tuple[int, int, int, int, int, int]


def _token_stats_py(text: str) -> TokenStats:
    """(tokens, letter tokens, of them capitalised, other non-empty tokens, function words,
    date words) of a line without CJK characters: its tokens are `text.split(" ")`, the
    counts over its first `_TOKEN_SAMPLE`. The reference of `_linescan.token_stats`."""
    tokens = text.split(" ") if text else []
    return (len(tokens), *_token_counts(tokens[:_TOKEN_SAMPLE]))


def _may_have_separator(text: str) -> bool:
    """Precondition of `_SEPARATORS`, exact for any line: the separators other than " | "
    and " / " are non-ASCII, and ASCII white space other than " " is not printable."""
    if " " not in text:
        return False
    if not text.isascii():
        return True
    return " | " in text or " / " in text or "  " in text or not text.isprintable()


Shape = tuple[int, int, int, int, int, int, bool, bool, bool]
"""(CJK characters, upper-case letters, cased letters, digits, inner sentence starts,
separators, bulleted, ends in sentence punctuation, ends in a colon) of a line."""


def _shape_py(text: str) -> Shape:
    """The per-character counts and tests of `features_of_normalized`; the reference of
    `_linescan.shape` (the C scanner built by `make setup`), which gives the same tuple."""
    cjk = 0 if text.isascii() else len(_CJK.findall(text))
    upper, cased, digits = _char_counts(text)
    inner = len(_INNER_SENT.findall(text))
    if cjk:
        inner += len(_CJK_INNER_SENT.findall(text))
    stripped = text.rstrip(_CLOSERS + " ")
    return (
        cjk,
        upper,
        cased,
        digits,
        inner,
        len(_SEPARATORS.findall(text)) if _may_have_separator(text) else 0,
        (text[:1] in _BULLET_FIRST or text[:1].isdecimal()) and _BULLET.match(text) is not None,
        bool(stripped) and stripped[-1] in _SENT_END,
        stripped.endswith((":", "：")),
    )


def _fold_digits_py(text: str) -> str:
    """Each digit run of a folded line made "0", unless the line has no word of three
    letters ("02-751-1500" and "2019-11-20" must not share a key); the reference of
    `_linescan.fold_digits`."""
    if not _FOLD_WORD.search(text):
        return text
    return _DIGITS.sub("0", text)


Ready = tuple[
    str,
    int,
    int,
    int,
    float,
    int,
    bool,
    bool,
    float,
    float,
    float,
    float,
    bool,
    bool,
    bool,
    int,
    int,
]
"""The 17 values `features.make` takes, as `_linescan.line_features` gives them."""


def _no_line_features(text: str) -> Ready | None:
    """Without the C scanners: no line's features come ready-made."""
    return None


_shape: Callable[[str], Shape] = _shape_py
_fold_digits: Callable[[str], str] = _fold_digits_py
_token_stats: Callable[[str], TokenStats] = _token_stats_py
_line_features: Callable[[str], Ready | None] = _no_line_features
try:  # the C scanners, loaded only with the matching compiled build (native.activate)
    from crawler.extract.boilerplate import _linescan

    _shape = _linescan.shape
    _fold_digits = _linescan.fold_digits
    _linescan.set_packer(_token_bits)
    _token_stats = _linescan.token_stats
    _normalize = _linescan.normalize
    _line_features = _linescan.line_features
except ImportError:
    pass


def features_of_normalized(text: str) -> LineFeatures:
    """The shape features of an already normalised line (`normalize`)."""
    ready = _line_features(text)  # the C version of what follows (lines without CJK)
    if ready is not None:
        t, c, w, k, u, a, ep, ec, sr, tr, ur, dr, dl, hd, bl, sp, ins = ready
        return _make_features(t, c, w, k, u, a, ep, ec, sr, tr, ur, dr, dl, hd, bl, sp, ins)
    chars = len(text)
    cjk, upper, cased, digits, inner, separators, bulleted, end_punct, end_colon = _shape(text)
    if cjk:
        tokens = _CJK.sub(" ", text).split()
        sample = tokens[:_TOKEN_SAMPLE]  # ratios of a huge line: from its first tokens
        n_tokens = len(tokens)
        alpha, caps, numeric, stop, date_tokens = _token_counts(sample)
    else:
        n_tokens, alpha, caps, numeric, stop, date_tokens = _token_stats(text)
    words = n_tokens + (1 if cjk else 0)
    n_tok = max(1, min(n_tokens, _TOKEN_SAMPLE))
    has_date = chars <= _DATE_MAX_CHARS and _has_date(text, digits)
    content_left = n_tokens - date_tokens - numeric
    date_like = (has_date or date_tokens >= 2) and content_left <= 1 and n_tokens <= 12
    if cjk and has_date and chars <= 24:
        date_like = True
    return _make_features(
        text,
        chars,
        words,
        cjk,
        n_tokens + cjk / 2.0,
        alpha,
        end_punct,
        end_colon,
        stop / n_tok,
        caps / max(1, alpha),
        upper / max(1, cased),
        digits / max(1, chars),
        date_like,
        has_date,
        bulleted,
        separators,
        inner,
    )


def fold_key(text: str) -> str:
    """Comparison key for repetition and corpus counts: NFKC, lower case, digits -> 0,
    white space collapsed. "604 COMMENTS" and "226 comments" share a key. Digits are kept
    in lines without a word of three letters."""
    return fold_normalized(normalize(text))


def fold_normalized(text: str, no_digits: bool = False) -> str:
    """`fold_key` of an already normalised line. `no_digits`: the caller knows the line has
    no digit (str.isdigit): an ASCII line is then only lower-cased."""
    if no_digits and text.isascii():
        return text.lower()  # lower() makes no digit, so `_DIGITS` would replace nothing
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return _fold_digits(text.lower())
