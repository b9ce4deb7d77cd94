"""Rejects error pages served as pages ("soft 404s"): a headline saying the page was not found
or is no longer available, or a text that is only such a message, whatever its length."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Self

from crawler.config import Settings
from crawler.filters.base import Filter
from crawler.model import Document
from crawler.reasons import Rejected

# A headline of an error page, in the languages news sites are most often in. Anchored on
# "page"/"404"/"error" words, so that a story headlined "Missing hiker not found" is not one.
_ERROR_HEADING = re.compile(
    r"""
    \b(?:error|erreur|fehler|errore|erro|fout|błąd|hata|chyba)\s*:?\s*40[34]\b
    | ^\s*40[34]\s*(?:$|[|:–—!.-]) | [|:–—-]\s*40[34]\s*$
    | \b(?:page|file|article|story|content|post)s?\s+(?:was\s+|is\s+|has\s+been\s+)?
      (?:not\s+found|no\s+longer\s+(?:available|exists?)|(?:is\s+)?(?:unavailable|removed))
    | \b(?:page|file|article|story|content|post)\s+
      (?:you\s+(?:are|were)\s+looking\s+for\s+|you\s+requested\s+)?
      (?:could\s+not|couldn'?t|can'?not|can'?t|does\s+not|doesn'?t)\s+(?:be\s+found|exist)
    | ^\s*nothing\s+(?:was\s+)?found\s*$ | ^\s*(?:not\s+found|page\s+unavailable)\s*$
    | ^\s*(?:oops|whoops)\b.{0,40}?(?:not\s+(?:be\s+)?found|doesn'?t\s+exist|went\s+wrong)
    | seite\s+(?:wurde\s+)?nicht\s+gefunden | seite\s+existiert\s+nicht
    | page\s+(?:introuvable|non\s+trouvée|inexistante)
    | p[áa]gina\s+(?:no\s+encontrada|não\s+encontrada|nao\s+encontrada|inexistente)
    | pagina\s+(?:non\s+trovata|niet\s+gevonden|inesistente)
    | strona\s+nie\s+(?:została\s+)?(?:znaleziona|istnieje) | nie\s+znaleziono\s+strony
    | страница\s+не\s+найдена | sayfa\s+bulunamad | sidan\s+(?:hittades|finns)\s+inte
    | 页面不存在 | 找不到(?:该|此)?页面 | 页面未找到 | ページが見つかりません
    | 페이지를\s*찾을\s*수\s*없
    """,
    re.IGNORECASE | re.VERBOSE,
)
# A line of an error page's own message ("Sorry, the page you are looking for could not be
# found", "This article is no longer available"; not a video player's "this content is not
# available in your country", which stands in articles' chrome).
_ERROR_TEXT = re.compile(
    r"""
    \b(?:page|url|link|file|article|story|content)\s+(?:that\s+)?you\s+
      (?:are|were|'re)?\s*(?:looking\s+for|requested|tried\s+to\s+(?:reach|access|open)|followed)
      .{0,40}?\b(?:not|no\s+longer|n't|may\s+have\s+been|has\s+been|was)\b
    | \b(?:this|the|that)\s+(?:page|article|story|post)\s+(?:is\s+|has\s+been\s+)?
      (?:(?:no\s+longer|not)\s+available(?!\s+(?:in|to|for|on)\b)|unavailable(?!\s+(?:in|to|for)\b)
         |removed|could\s+not\s+be\s+found|cannot\s+be\s+found|can'?t\s+be\s+found
         |does\s+not\s+exist|doesn'?t\s+exist)
    | \b(?:error|erreur|fehler|errore|erro)\s*:?\s*40[34]\b
    | \b40[34]\s*[-:–—]?\s*(?:page\s+)?not\s+found
    | die\s+(?:angeforderte|gesuchte)\s+seite
    | la\s+page\s+que\s+vous\s+(?:cherchez|recherchez|demandez)
    | la\s+p[áa]gina\s+que\s+(?:buscas|busca|estás\s+buscando|procura|você\s+procura)
    | la\s+pagina\s+che\s+(?:stai\s+cercando|cerchi|hai\s+richiesto)
    | de\s+pagina\s+die\s+(?:je|u)\s+(?:zoekt|zocht)
    """,
    re.IGNORECASE | re.VERBOSE,
)
# An error page carries little text of its own; a long text under such a headline is an
# article about the error (the chrome the extractor may keep is well under this).
MAX_ERROR_PAGE_WORDS = 200
_MESSAGE_LINES = 6  # where an error page's message stands: its first lines
_HEADING_WORDS = 8  # a removed line this short that reads as an error headline is one


@dataclass(frozen=True)
class ErrorPage(Filter):
    """Rejects a document whose headline (record title, the page's <title> or <h1>), first
    lines or removed lines say the page is not found / not available, when it has fewer than
    MAX_ERROR_PAGE_WORDS words. The removed lines count because the cleaner takes a short
    error message out as chrome and keeps the menus around it (page dumps especially)."""

    reason = Rejected.SOFT_404

    @classmethod
    def from_settings(cls, settings: Settings) -> Self | None:
        return cls()

    def check(self, doc: Document) -> str | None:
        if doc.word_count >= MAX_ERROR_PAGE_WORDS:
            return None
        headings = [doc.meta.title or "", *(doc.evidence.headings if doc.evidence else ())]
        for heading in headings:
            if heading and _ERROR_HEADING.search(heading):
                return f"error page: headline {heading[:80]!r}"
        for line in doc.text.split("\n")[:_MESSAGE_LINES]:
            if _ERROR_TEXT.search(line):
                return f"error page: text {line[:80]!r}"
        for line in _candidates([r.text for r in doc.removed]):
            short = len(line.split()) <= _HEADING_WORDS
            if _ERROR_TEXT.search(line) or (short and _ERROR_HEADING.search(line)):
                return f"error page: removed line {line[:80]!r}"
        return None


# Every match of _ERROR_TEXT or _ERROR_HEADING holds one of these words (each alternative of
# both names one), as `_folded` writes them: a line holding none cannot match.
_NEEDED = (
    *("403", "404", "page", "file", "article", "story", "content", "post", "url", "link"),
    *("found", "oops", "seite", "página", "pagina", "strona", "znaleziono", "страница"),
    *("sayfa", "sidan", "页面", "找不到", "ページ", "페이지"),
)


def _folded(text: str) -> str:
    """`text` as _NEEDED's words are looked for in it: casefolded (a character re.IGNORECASE
    matches to one of theirs folds as that one does, but for "İ" and "ı", which match "i":
    both are made "i"; tests/crawler/filters/test_error_page.py checks every code point)."""
    return text.casefold().replace("i\u0307", "i").replace("\u0131", "i")


def _candidates(lines: list[str]) -> list[str]:
    """Those of `lines` that hold one of _NEEDED's words, in order: the lines the regular
    expressions need to read (a page's chrome has a hundred or more, which they took ~1 ms to
    read one by one; the words are looked for in all of them at once first)."""
    folded = _folded("\n".join(lines))
    present = [word for word in _NEEDED if word in folded]
    if not present:
        return []
    parts = folded.split("\n")
    if len(parts) != len(lines):  # a line holding a line break: read every line
        return lines
    return [line for line, low in zip(lines, parts, strict=True) if any(w in low for w in present)]
