"""Per-line features: length, punctuation, function-word share, case, dates, list shape.

Everything here looks at one line in isolation; context (neighbours, position, corpus
frequency) is added by `blocks.py` and `cleaner.py`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from crawler.boilerplate.stopwords import STOP_WORDS

_WS = re.compile(r"\s+")
_WORD = re.compile(r"[^\W\d_](?:[\w'’\-]*\w)?", re.UNICODE)
_TOKEN = re.compile(r"\S+")
# Han ideographs, hiragana, katakana (scripts written without spaces between words).
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_HIRAGANA = re.compile(r"[\u3040-\u309f]")
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
_DATE_WORDS = frozenset(
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
_DATE_CORE = re.compile(
    r"\b\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}\b"  # 2019-11-20, 20/11/2019, 13.11.2019
    r"|\b\d{1,2}:\d{2}\b"  # 9:02
    r"|\b(?:19|20)\d{2}\b"  # a year
    r"|\b\d+\s*(?:hours?|hrs?|minutes?|mins?|days?|weeks?|months?|years?)\s+ago\b"
    r"|\b(?:a|an|one)\s+(?:hour|minute|day|week|month|year)\s+ago\b"
    r"|\d{4}年\d{1,2}月\d{1,2}日|\d{1,2}月\d{1,2}日"
    r"|\byesterday\b|\bjust now\b",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^(?:[-–—•·*▪►▶»›]|\d{1,2}[.)])\s+")
_COUNT_SUFFIX = re.compile(r"^\D*[(\[]\d+[)\]]$")  # "Category (15)": a count, not data
_FOLD_WORD = re.compile(r"[^\W\d_]{3}")
_SEPARATORS = re.compile(r"\s[|•·»›/]\s|\s{2,}")


@dataclass(frozen=True)
class LineFeatures:
    """Shape features of one non-blank line."""

    text: str  # whitespace-normalised line
    chars: int  # characters
    words: int  # space-separated tokens (a CJK run counts as one)
    cjk: int  # CJK characters (Han / kana)
    units: float  # length in word-equivalents: words, or CJK characters / 2
    alpha_words: int  # tokens that contain letters
    end_punct: bool  # ends in sentence punctuation (. ! ? 。 ！ ？ …), quotes allowed after
    end_colon: bool  # ends in a colon (introduces a list or quote)
    stop_ratio: float  # share of tokens that are function words (any built-in language)
    title_ratio: float  # share of letter tokens that start with a capital letter
    upper_ratio: float  # share of cased letters that are upper case
    digit_ratio: float  # share of characters that are digits
    hiragana_ratio: float  # share of CJK characters that are hiragana (Japanese prose marker)
    date_like: bool  # the line is (almost) only a date / time / relative time
    has_date: bool  # the line contains a date or time expression
    bulleted: bool  # starts with a bullet or list number
    separators: int  # " | ", " • ", " / " style separators (menus, breadcrumbs)
    inner_sentences: int  # sentence ends inside the line (". X")

    @property
    def is_cjk(self) -> bool:
        """Mostly written in a script without spaces (Japanese, Chinese)."""
        return self.cjk >= max(4, self.chars // 3)

    @property
    def prose_like(self) -> bool:
        """Looks like running text: long enough and sentence-shaped."""
        if self.is_cjk:
            return self.cjk >= 20 and (self.end_punct or "、" in self.text)
        if self.units >= 10 and (self.end_punct or self.inner_sentences > 0):
            return self.stop_ratio >= 0.08 or self.units >= 25
        return self.units >= 20 and self.stop_ratio >= 0.15

    @property
    def data_like(self) -> bool:
        """A short content line of a list or table: figures with words ("1 tsp cinnamon",
        "Palm Bay 18 22 13 17 — 70"), a bare figure ("85%"), or a bulleted item."""
        if self.date_like or _COUNT_SUFFIX.search(self.text):
            return False
        has_digit = self.digit_ratio > 0
        return self.bulleted or (has_digit and (self.alpha_words > 0 or self.chars <= 12))

    @property
    def headline_like(self) -> bool:
        """Short, no final full stop, several words: a title, teaser or menu entry."""
        if (self.end_punct and self.text[-1:] not in "?!？！") or self.end_colon:
            return False
        if self.is_cjk:
            return 6 <= self.cjk <= 60
        return 3 <= self.words <= 20


def normalize(line: str) -> str:
    """Collapse white space (incl. NBSP and zero-width characters) and strip."""
    line = line.replace("\u200b", "").replace("\ufeff", "").replace("\u00ad", "")
    return _WS.sub(" ", line).strip()


def _ends_sentence(text: str) -> bool:
    stripped = text.rstrip(_CLOSERS + " ")
    return bool(stripped) and stripped[-1] in _SENT_END


def features(line: str) -> LineFeatures:
    """Compute the shape features of one line (normalised first)."""
    text = normalize(line)
    chars = len(text)
    cjk = len(_CJK.findall(text))
    tokens = _TOKEN.findall(_CJK.sub(" ", text)) if cjk else _TOKEN.findall(text)
    words = len(tokens) + (1 if cjk else 0)
    alpha = [t for t in tokens if _WORD.search(t)]
    lowered = [t.strip("\"'“”‘’«»()[]{}.,;:!?¿¡").lower() for t in tokens]
    stop = sum(1 for t in lowered if t in STOP_WORDS)
    n_tok = max(1, len(tokens))
    cap_tokens = [t.lstrip("\"'“‘«(¿¡[") for t in alpha]
    caps = sum(1 for t in cap_tokens if t[:1].isupper())
    cased = [c for c in text if c.isalpha() and (c.isupper() or c.islower())]
    upper = sum(1 for c in cased if c.isupper())
    digits = sum(1 for c in text if c.isdigit())
    hira = len(_HIRAGANA.findall(text))
    date_tokens = sum(1 for t in lowered if t in _DATE_WORDS or t.rstrip("s,") in _DATE_WORDS)
    has_date = bool(_DATE_CORE.search(text))
    numeric = sum(1 for t in lowered if t and not _WORD.search(t))
    content_left = len(tokens) - date_tokens - numeric
    date_like = (has_date or date_tokens >= 2) and content_left <= 1 and len(tokens) <= 12
    if cjk and has_date and chars <= 24:
        date_like = True
    inner = len(re.findall(r"[.!?。！？][\"'”’)]*\s+[\"'“‘(]*[A-ZА-Я]", text))
    if cjk:
        inner += len(re.findall(r"[。！？](?=.)", text))
    return LineFeatures(
        text=text,
        chars=chars,
        words=words,
        cjk=cjk,
        units=len(tokens) + cjk / 2.0,
        alpha_words=len(alpha),
        end_punct=_ends_sentence(text),
        end_colon=text.rstrip(_CLOSERS + " ").endswith((":", "：")),
        stop_ratio=stop / n_tok,
        title_ratio=caps / max(1, len(alpha)),
        upper_ratio=upper / max(1, len(cased)),
        digit_ratio=digits / max(1, chars),
        hiragana_ratio=hira / max(1, cjk),
        date_like=date_like,
        has_date=has_date,
        bulleted=bool(_BULLET.match(text)),
        separators=len(_SEPARATORS.findall(text)),
        inner_sentences=inner,
    )


def fold_key(text: str) -> str:
    """Comparison key for repetition and corpus counts: NFKC, lower case, digits -> 0,
    white space collapsed. "604 COMMENTS" and "226 comments" share a key. Digits are kept
    in lines without a word of three letters."""
    text = unicodedata.normalize("NFKC", normalize(text)).lower()
    if not _FOLD_WORD.search(text):
        return text  # "02-751-1500" and "2019-11-20" must not share a key
    return re.sub(r"\d+", "0", text)
