"""Filters on how much text the cleaning left: nothing at all, or fewer words than the minimum."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Self

from crawler.config import Settings
from crawler.filters.base import Filter
from crawler.model import Document
from crawler.reasons import Rejected, Removed


@dataclass(frozen=True)
class OnlyBoilerplate(Filter):
    """Rejects a document with no text left: every line was removed as chrome."""

    reason = Rejected.ONLY_BOILERPLATE

    @classmethod
    def from_settings(cls, settings: Settings) -> Self | None:
        return cls()

    def check(self, doc: Document) -> str | None:
        if doc.text:
            return None
        # Lines whose control characters were taken out while reading were kept, not removed.
        removed = sum(r.reason != Removed.CONTROL_CHARS for r in doc.removed)
        return f"all {removed} lines removed as chrome"


@dataclass(frozen=True)
class TooShort(Filter):
    """Rejects a document with fewer words left than `settings.min_words`, unless its page
    shows it is an article (`article_evidence`): a short post then needs only
    `settings.min_article_words`. Page dumps show nothing beyond their text: the floor holds."""

    reason = Rejected.TOO_SHORT
    min_words: int
    min_article_words: int = 5

    @classmethod
    def from_settings(cls, settings: Settings) -> Self | None:
        return cls(settings.min_words, min(settings.min_article_words, settings.min_words))

    def check(self, doc: Document) -> str | None:
        if doc.word_count >= self.min_words:
            return None
        left = f"{doc.word_count} words left after cleaning (min {self.min_words}"
        evidence = article_evidence(doc)
        if evidence is None:
            return f"{left}; no article evidence)"
        if doc.word_count >= self.min_article_words:
            return None
        return f"{left}; {self.min_article_words} for an article: {evidence})"


def article_evidence(doc: Document) -> str | None:
    """What shows that a short text is an article's, or None: the page declares an article
    type (og:type article, a schema.org Article), or the text holds the prose paragraph right
    under the page's headline. A date or an author alone is no evidence: the chrome of
    an article site carries them on every page."""
    found = doc.evidence
    if found is None:
        return None
    if found.declared_article:
        return "declared article"
    text = " ".join(_folded_words(doc.text))
    for lead in found.leads:
        if " ".join(_folded_words(lead)[:_LEAD_WORDS]) in text:
            return "headline over its prose"
    return None


_LEAD_WORDS = 8  # words of the lead paragraph the text must hold, in order
_WORD = re.compile(r"\w+")


def _folded_words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())
