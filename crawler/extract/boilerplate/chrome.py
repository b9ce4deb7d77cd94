"""Recognise interface lines (share bars, cookie notices, read times, credits, footers).

A line is chrome when it is short and its normalised text is a known UI phrase
(`phrases.py`), or when it has one of a few generic shapes (a read-time line, a
copyright line, a photo credit, a "Tags:" list, a repost notice). Long prose is never
classified by a phrase it merely contains.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from crawler.extract.boilerplate.lines import LineFeatures, normalize
from crawler.extract.boilerplate.phrases import PHRASES
from crawler.reasons import Removed

_KEY_DROP = re.compile(r"[\d_]+|[^\w\s]", re.UNICODE)


def phrase_key(text: str) -> str:
    """Lower case, digits and punctuation dropped, white space collapsed."""
    return " ".join(_KEY_DROP.sub(" ", normalize(text).lower()).split())


class _KeyDrop(dict[int, str]):
    """`str.translate` table of `_KEY_DROP`: a character it matches becomes a space, others
    stay; filled as characters are met (runs of spaces are collapsed by the caller)."""

    def __missing__(self, code: int) -> str:
        c = chr(code)
        value = self[code] = " " if _KEY_DROP.match(c) else c
        return value


_KEY_DROP_TABLE = _KeyDrop()


def _key_words_py(low: str) -> str:
    """The reference (and fallback) of `_linescan.key_words`: each character of a lower-cased
    line that `_KEY_DROP` matches made a space, then spaces collapsed."""
    return " ".join(low.translate(_KEY_DROP_TABLE).split())


_key_words: Callable[[str], str] = _key_words_py
try:  # the C version, loaded only with the matching compiled build (native.activate)
    from crawler.extract.boilerplate import _linescan

    _key_words = _linescan.key_words
except ImportError:
    pass


def key_of_normalized(text: str) -> str:
    """`phrase_key` of a line without zero-width characters or soft hyphens (a normalised
    line or a part of one): each dropped character a space, then spaces collapsed."""
    return _key_words(text.lower())


_EXACT: dict[str, Removed] = {}
for _reason, _phrases in PHRASES.items():
    for _p in _phrases:
        _EXACT.setdefault(phrase_key(_p), _reason)
_PREFIX_MAX = max(len(k.split()) for k in _EXACT)
_PREFIX_FIRST = frozenset(k.split()[0] for k in _EXACT if " " in k)  # of multi-word keys
_SINGLE: dict[str, Removed] = {k: r for k, r in _EXACT.items() if " " not in k}
_RUN_MAX = 8  # "Facebook Twitter Email Print": a share bar copied as one line

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
    r"^\W*(?:this|the above) (?:article|post|story|piece|report) (?:was|is|has been)"
    r"\s+(?:originally\s+)?(?:published|written|produced|prepared|contributed|syndicated)"
    r"\s+(?:by|for)\s+(?:the\s+(?:team|staff|editors|editorial team)\s+(?:of|at)\s+)?"
    r"(?P<pub>[^.!?]{2,80}?)\s*[.!]?\s*$",
    re.IGNORECASE,
)
_CREDIT = re.compile(  # "Photo: X", "Credit... X", "(Image: X)", "... Getty Images"
    r"(?:^|[\s(\[|.!?])(?:photo|image|picture|foto|fotografía|bild|credit|credits|source|фото|写真)"
    r"(?:\s+(?:by|credit|courtesy|copyright))?\s*(?::|©|by\b|\.{2,}|…)"
    r"|\bimage (?:copyright|caption)\b|\((?:image|photo|picture)\s*:[^)]*\)\s*$"
    r"|\b(?:getty(?: images)?|shutterstock|istock(?:photo)?|alamy)\b\s*\)?\s*$"
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
_SUBSCRIBE = re.compile(  # a call to action: "Subscribe ...", "... ! Subscribe for free"
    r"(?:^|[.!?:]\s+)(?:please\s+)?subscribe\b|\bsubscribed\b"
    r"|\bsubscribe\s+(?:now|today|for free|here|to (?:our|my|this))\b",
    re.IGNORECASE,
)
_GALLERY = re.compile(r"^\d{1,3}\s*(?:of|von|de|из|sur)\s*\d{1,3}(?!\d)", re.IGNORECASE)
_APP = re.compile(r"\b(?:app[- ]?store|play[- ]?store|google play)", re.IGNORECASE)
_TEMPLATE = re.compile(  # {{ x }}, {% x %}, {* x *} (Jinja/Django/Smarty), URL-encoded runs
    r"\{\{.*?\}\}|\{%.*?%\}|\{\*.*?\*\}|(?:%[0-9A-F]{2}){2}.*?%[0-9A-F]{2}"
)
_RULE = re.compile(r"^[_\-=*~]{3,}$")  # a separator rule ("___" under AP stories): neutral


# each alternative of `_CREDIT` holds (lower case) one of its agencies, or one of its label
# words and what ends a label or an "image copyright" / "image caption"
_CREDIT_LABELS = ("photo", "image", "picture", "foto", "bild", "credit", "source", "фото", "写真")
_CREDIT_LABEL_ENDS = (":", "©", "by", "..", "…")
_CREDIT_IMAGE = ("image copyright", "image caption")
_CREDIT_AGENCIES = ("getty", "shutterstock", "istock", "alamy")
_REPOST_VERBS = ("published", "appeared", "posted")  # in both sentence forms of `_REPOST`
_REPOST_LEADS = ("originally", "first", "this ")  # before the verb in those forms
_REPOST_STARTS = ("source", "quelle", "fonte", "fuente", "sumber", "источник")  # its label form
_COPYRIGHT_STARTS = ("©", "(c)", "copyright", "℗")  # `_COPYRIGHT`'s anchored form
_COMMENT_VERBS = (  # "<name> says:": one of these
    "says", "said", "wrote", "replied", "sagt", "schreibt", "dit", "a écrit", "dice", "escribió",
    "disse", "escreveu", "zegt", "schreef", "говорит", "пишет", "написал", "berkata", "menulis",
)  # fmt: skip
_COMMENT_COUNTS = (  # "12 comments": one of these (stems of the pattern's words)
    "comment", "respons", "replies", "reaction", "thought", "kommentar", "comentario",
    "comentário", "reacties", "komentar", "комментари", "отзыв",
)  # fmt: skip
_NEWSLETTER_NOUNS = ("newsletter", "inbox", "mail updates")  # one in each `_NEWSLETTER` form
_NEWSLETTER_VERBS = ("subscribe", "sign", "register", "join", "inbox")  # with one of these
_TAGS_FIRST = frozenset("tcfrséeтмタ标")  # the lower case of a `_TAGS` label's first letter


def _fold_special() -> frozenset[str]:
    """Characters a case-insensitive regex matches to a letter `str.lower` does not give:
    "İ" (lower() makes two characters) and the variants the regex engine adds ("ſ" for "s",
    "ı" for "i", "ᲀ" for "в", "K" Kelvin, Greek symbol forms): every variant of its table that
    is not the lower case of its own upper case."""
    special = set("ſ\u212aİı")  # ſ, the Kelvin sign, İ, ı
    try:
        from re._casefix import _EXTRA_CASES  # the table the regex compiler itself uses
    except ImportError:  # another Python: the Latin ones above
        return frozenset(special)
    for key, values in _EXTRA_CASES.items():
        special.update(c for c in map(chr, (key, *values)) if c.upper().lower() != c)
    return frozenset(special)


_FOLD_SPECIAL = _fold_special()  # a short line holding one skips the "may contain" tests
_READ_TIME_STARTS = (  # every `_READ_TIME` alternative but the leading count starts with one
    "read",
    "tempo de leitura",
    "tiempo de lectura",
    "temps de lecture",
    "lesezeit",
    "время чтения",
    "読了時間",
    "この記事は約",
    "estimated reading time",
)


def _has_any(text: str, words: tuple[str, ...]) -> bool:
    """Whether any of `words` is a substring of `text` (a substring search per word is
    cheaper than one regex alternation of them, which tries every position; a loop, which
    mypyc compiles without the generator object `any()` would take)."""
    for w in words:  # noqa: SIM110
        if w in text:
            return True
    return False


def _may_be_credit(low: str) -> bool:
    """Precondition of `_CREDIT` on a line's lower case (no character in `_FOLD_SPECIAL`):
    an agency's name, or a label word with what ends a label ("(image:" and "photo by" hold
    one) or "image copyright" / "image caption"."""
    return _has_any(low, _CREDIT_AGENCIES) or (
        _has_any(low, _CREDIT_LABELS)
        and (_has_any(low, _CREDIT_LABEL_ENDS) or _has_any(low, _CREDIT_IMAGE))
    )


def _may_be_copyright(text: str, low: str) -> bool:
    """Precondition of `_COPYRIGHT` (likewise): a leading mark or word, "©" or "all rights
    reserved" anywhere."""
    return low.startswith(_COPYRIGHT_STARTS) or "©" in text or "all rights reserved" in low


def _may_be_newsletter(low: str) -> bool:
    """Precondition of `_NEWSLETTER` (likewise): a noun and a verb of its forms."""
    return _has_any(low, _NEWSLETTER_NOUNS) and _has_any(low, _NEWSLETTER_VERBS)


def _may_be_comment_meta(text: str) -> bool:
    """Precondition of `_COMMENT_META` for a normalised line (no white space at its end):
    "<name> says:" ends in a colon, a count starts with a digit (`isdecimal` is the digit class)."""
    return text.endswith((":", "：")) or text[:1].isdecimal()


def _may_be_comment_words(text: str, low: str) -> bool:
    """`_may_be_comment_meta` with the words each form needs, on a line and its lower case
    (no character in `_FOLD_SPECIAL`)."""
    return (text.endswith((":", "：")) and _has_any(low, _COMMENT_VERBS)) or (
        text[:1].isdecimal() and _has_any(low, _COMMENT_COUNTS)
    )


def _may_be_repost(low: str) -> bool:
    """Precondition of `_REPOST` on a line's lower case: a sentence form needs one of its
    verbs, the label form starts with its label."""
    return _has_any(low, _REPOST_VERBS) or low.startswith(_REPOST_STARTS)


def _may_be_repost_words(text: str, low: str) -> bool:
    """`_may_be_repost` with the words before the verb and the label's colon (likewise)."""
    return (_has_any(low, _REPOST_VERBS) and _has_any(low, _REPOST_LEADS)) or (
        low.startswith(_REPOST_STARTS) and (":" in text or "：" in text)
    )


def _is_inline_link(text: str) -> bool:
    """ "Read more: <headline>", "Lire aussi : <titre>": a related-story phrase, a colon,
    then a headline (no sentence end): an inline link to another story."""
    head, colon, rest = text.partition(":")
    if not colon or not rest.strip() or len(head.split()) > 4:
        return False
    if _EXACT.get(key_of_normalized(head)) != Removed.RELATED_BLOCK:
        return False
    rest = rest.strip()
    return not (rest.endswith(".") and rest.count(" ") >= 3 and not rest.endswith("..."))


def attribution_publisher(text: str) -> str | None:
    """The outlet of a footer such as "This article was published by FPIF", else None."""
    return _attribution(normalize(text))


def _attribution(text: str) -> str | None:
    first = text[:1]
    if (first.isalnum() or first == "_") and first not in "tT":
        # a word character first (\w is exactly isalnum() or "_"): `\W*` takes nothing, and
        # "this" / "the above" would have to start there (no other letter matches t or T)
        return None
    m = _ATTRIBUTION.match(text)
    if not m:
        return None
    pub = m.group("pub").strip(" .:-–—\"'“”")
    return pub or None


def phrase_reason(text: str, words: int, normalized: bool = False) -> Removed | None:
    """The reason code of a short line that is (or starts with) a known UI phrase
    (`normalized`: `text` is a normalised line)."""
    if words > 10:
        return None
    key = key_of_normalized(text) if normalized else phrase_key(text)
    if not key:
        return None
    if key in _EXACT and words <= 8:
        return _EXACT[key]
    toks = key.split()
    # longest multi-word prefix (a key's first word is the line's first word)
    last = min(len(toks) - 1, _PREFIX_MAX) if toks[0] in _PREFIX_FIRST else 1
    for n in range(last, 1, -1):
        reason = _EXACT.get(" ".join(toks[:n]))
        if reason is not None:
            return reason
    if 2 <= len(toks) <= _RUN_MAX and all(t in _SINGLE for t in toks):
        return _SINGLE[toks[0]]  # only interface words: buttons / links glued into one line
    return None


def chrome_reason(f: LineFeatures) -> Removed | None:
    """Reason code if the line is page chrome by itself (phrase or generic shape)."""
    text, units = f.text, f.units  # cheap length tests first: most lines are long prose
    # lower case once for the cheap "may contain" tests of the case-insensitive regexes (all
    # for lines of <= 40 units); a line with a character IGNORECASE maps to another ASCII
    # letter ("ſ", "K") skips those tests
    short = units <= 40
    low = text.lower() if short else ""
    # (every character of `_FOLD_SPECIAL` is outside ASCII, and `isascii` is a flag read)
    special = short and not text.isascii() and not _FOLD_SPECIAL.isdisjoint(text)
    if (
        units <= 12
        and (special or text[:1].isdecimal() or low.startswith(_READ_TIME_STARTS))
        and _READ_TIME.search(text)
    ):
        return Removed.READ_TIME
    if _attribution(text) is not None:
        return Removed.ATTRIBUTION
    if units <= 30 and (special or _may_be_repost_words(text, low)) and _REPOST.search(text):
        return Removed.REPOST_NOTICE
    if units <= 30 and (special or _may_be_copyright(text, low)) and _COPYRIGHT.search(text):
        return Removed.LEGAL
    first = text[:1]
    if (
        (":" in text or "：" in text)
        and (first.lower() in _TAGS_FIRST or first in _FOLD_SPECIAL)
        and _TAGS.match(text)
        and not (f.inner_sentences >= 2 and f.prose_like)
    ):
        return Removed.NAVIGATION  # (a label glued to the story's paragraph is no tag line)
    if units <= 25 and text[:1] in "fFlLjJ" and _SOCIAL_FOLLOW.match(text):
        return Removed.SHARE
    if (
        units <= 20
        and (_may_be_comment_meta(text) if special else _may_be_comment_words(text, low))
        and _COMMENT_META.search(text)
    ):
        return Removed.COMMENTS
    if (
        units <= 25
        and (special or _may_be_newsletter(low) or "subscribe" in low)
        and (
            ((special or _may_be_newsletter(low)) and _NEWSLETTER.search(text))
            or ((special or "subscribe" in low) and _SUBSCRIBE.search(text))
        )
    ):
        return Removed.NEWSLETTER
    if text[:1].isdecimal() and _GALLERY.match(text) and not f.date_like:
        return Removed.CAPTION
    if units <= 12 and (special or "app" in low or "play" in low) and _APP.search(text):
        return Removed.APP_PROMO
    reason = phrase_reason(text, f.words, normalized=True)
    if reason is not None:
        return reason
    if units <= 30 and _is_inline_link(text):
        return Removed.RELATED_BLOCK
    if (
        units <= 40
        and f.inner_sentences <= 1
        and (special or _may_be_credit(low))
        and _CREDIT.search(text)
    ):
        return Removed.CAPTION
    if f.cjk == 0 and f.alpha_words == 0 and f.digit_ratio == 0 and f.chars <= 12:
        if _RULE.match(text):
            return None
        return Removed.UI_CHROME  # "•••", "×", "/ /", "?"
    return None


def is_template_junk(text: str) -> bool:
    """Template placeholders a scraper caught ("{* loginWidget *}", "{{ title }}")."""
    return ("{" in text or "%" in text) and _TEMPLATE.search(text) is not None
