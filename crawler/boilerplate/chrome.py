"""Recognise interface lines (share bars, cookie notices, read times, credits, footers).

A line is chrome when it is short and its normalised text is a known UI phrase
(`phrases.py`), or when it has one of a few generic shapes (a read-time line, a
copyright line, a photo credit, a "Tags:" list, a repost notice). Long prose is never
classified by a phrase it merely contains.
"""

from __future__ import annotations

import re

from crawler.boilerplate.lines import LineFeatures, normalize
from crawler.boilerplate.phrases import PHRASES
from crawler.reasons import Removed

_KEY_DROP = re.compile(r"[\d_]+|[^\w\s]", re.UNICODE)
_WS = re.compile(r"\s+")


def phrase_key(text: str) -> str:
    """Lower case, digits and punctuation dropped, white space collapsed."""
    return _WS.sub(" ", _KEY_DROP.sub(" ", normalize(text).lower())).strip()


_EXACT: dict[str, Removed] = {}
for _reason, _phrases in PHRASES.items():
    for _p in _phrases:
        _EXACT.setdefault(phrase_key(_p), _reason)
_PREFIX_MAX = max(len(k.split()) for k in _EXACT)

_READ_TIME = re.compile(
    r"^(?:\d+\s*(?:min(?:ute)?s?|mins?\.?)(?:,?\s*\d+\s*seconds?)?\s*(?:read|reading|de lecture|"
    r"lesezeit|de leitura|de lectura|baca)\b"
    r"|(?:reading|read)\s*time\b|tempo de leitura|tiempo de lectura|temps de lecture|lesezeit|"
    r"время чтения|読了時間|この記事は約|estimated reading time)",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(
    r"^(?:©|\(c\)|copyright\b|℗)|©\s*(?:19|20)\d{2}|\ball rights reserved\b", re.IGNORECASE
)
_REPOST = re.compile(
    r"\b(?:originally|first)\s+(?:published|appeared|posted)\s+(?:on|in|at|by)\b"
    r"|\bthis (?:post|article|story) (?:was|is) (?:originally |first )?(?:published|posted)"
    r"\s+(?:on|at|in)\b|^(?:source|quelle|fonte|fuente|sumber|источник)\s*[:：]",
    re.IGNORECASE,
)
_ATTRIBUTION = re.compile(
    r"^(?:[-–—•*✍️\s]|\W)*(?:this|the above) (?:article|post|story|piece|report) (?:was|is|has been)"
    r"\s+(?:originally\s+)?(?:published|written|produced|prepared|contributed|syndicated)"
    r"\s+(?:by|for)\s+(?:the\s+(?:team|staff|editors|editorial team)\s+(?:of|at)\s+)?"
    r"(?P<pub>[^.!?]{2,80}?)\s*[.!]?\s*$",
    re.IGNORECASE,
)
_CREDIT = re.compile(
    r"(?:^|[\s(\[|])(?:photo|image|picture|foto|fotografía|bild|credit|credits|source|фото|写真)"
    r"(?:\s+(?:by|credit|courtesy|copyright))?\s*(?::|©|by\b)"
    r"|\bimage (?:copyright|caption)\b|\bcredit\.\.\.|\((?:image|photo|picture)\s*:[^)]*\)\s*$"
    r"|\b(?:getty images|shutterstock|afp/getty|istock(?:photo)?)\b\s*\)?\s*$|^getty$"
    r"|(?:photograph|photo) by\s+\S+",
    re.IGNORECASE,
)
_TAGS = re.compile(
    r"^(?:tags?|topics?|categories|category|filed under|related tags|schlagwörter|"
    r"étiquettes|etiquetas|tópicos|marcadores|тэги|теги|метки|タグ|标签)\s*[:：]",
    re.IGNORECASE,
)
_SOCIAL_FOLLOW = re.compile(
    r"^(?:follow|like|join)\s+(?:us|me|the [\w ]{1,40}|[\w@ ]{1,40})\s+on\s+(?:facebook|twitter|"
    r"instagram|linkedin|youtube|telegram|tiktok)",
    re.IGNORECASE,
)
_COMMENT_META = re.compile(
    r"^\S(?:.{0,40}\S)?\s+(?:says|said|wrote|replied|sagt|schreibt|dit|a écrit|dice|escribió|"
    r"disse|escreveu|zegt|schreef|говорит|пишет|написал|berkata|menulis)\s*[:：]$"
    r"|^\d+\s+(?:comments?|responses?|replies|reactions|thoughts? on|kommentare?|commentaires?|"
    r"comentarios?|comentários?|commenti|reacties|komentar|комментари\w*|отзыв\w*)\b",
    re.IGNORECASE,
)
_NEWSLETTER = re.compile(
    r"\b(?:subscribe|sign[- ]?up|register|join)\b.{0,80}\b(?:newsletters?|inbox|e-?mail updates)\b"
    r"|\bnewsletters?\b.{0,60}\b(?:subscribe|sign[- ]?up|inbox)\b",
    re.IGNORECASE,
)
_SUBSCRIBE = re.compile(r"\bsubscribe\b|\bsubscribed\b", re.IGNORECASE)
_GALLERY = re.compile(r"^\d{1,3}\s*(?:of|von|de|из|sur)\s*\d{1,3}(?!\d)", re.IGNORECASE)
_APP = re.compile(r"\b(?:app[- ]?store|play[- ]?store|google play)", re.IGNORECASE)
_RULE = re.compile(r"^[_\-=*~]{3,}$")  # a separator rule ("___" under AP stories): neutral


def attribution_publisher(text: str) -> str | None:
    """The outlet of a footer such as "This article was published by FPIF", else None."""
    m = _ATTRIBUTION.match(normalize(text))
    if not m:
        return None
    pub = m.group("pub").strip(" .:-–—\"'“”")
    return pub or None


def phrase_reason(text: str, words: int) -> Removed | None:
    """The reason code of a short line that is (or starts with) a known UI phrase."""
    key = phrase_key(text)
    if not key:
        return None
    if key in _EXACT and words <= 8:
        return _EXACT[key]
    if words <= 10:
        toks = key.split()
        for n in range(min(len(toks) - 1, _PREFIX_MAX), 1, -1):  # longest multi-word prefix
            reason = _EXACT.get(" ".join(toks[:n]))
            if reason is not None:
                return reason
    return None


def chrome_reason(f: LineFeatures) -> Removed | None:
    """Reason code if the line is page chrome by itself (phrase or generic shape)."""
    text = f.text
    if _READ_TIME.search(text) and f.units <= 12:
        return Removed.READ_TIME
    if attribution_publisher(text) is not None:
        return Removed.ATTRIBUTION
    if _REPOST.search(text) and f.units <= 30:
        return Removed.REPOST_NOTICE
    if _COPYRIGHT.search(text) and f.units <= 30:
        return Removed.LEGAL
    if _TAGS.match(text):
        return Removed.NAVIGATION
    if _SOCIAL_FOLLOW.match(text) and f.units <= 25:
        return Removed.SHARE
    if _COMMENT_META.search(text) and f.units <= 20:
        return Removed.COMMENTS
    if (_NEWSLETTER.search(text) and f.units <= 25) or (_SUBSCRIBE.search(text) and f.units <= 15):
        return Removed.NEWSLETTER
    if _GALLERY.match(text) and not f.date_like:
        return Removed.CAPTION
    if _APP.search(text) and f.units <= 12:
        return Removed.APP_PROMO
    reason = phrase_reason(text, f.words)
    if reason is not None:
        return reason
    if _CREDIT.search(text) and f.units <= 40 and not (f.inner_sentences > 1):
        return Removed.CAPTION
    if f.cjk == 0 and f.alpha_words == 0 and f.digit_ratio == 0 and f.chars <= 12:
        if _RULE.match(text):
            return None
        return Removed.UI_CHROME  # "•••", "×", "/ /", "?"
    return None


def is_template_junk(text: str) -> bool:
    """Template placeholders a scraper caught ("{* loginWidget *}", "{{ title }}")."""
    return bool(re.search(r"\{\*.*\*\}|\{\{.*\}\}|%[0-9A-F]{2}.*%[0-9A-F]{2}", text))
