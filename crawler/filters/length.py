"""Filters on how much text the cleaning left: nothing at all, or fewer words than the minimum."""

from __future__ import annotations

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
    """Rejects a document with fewer words left than `settings.min_words`."""

    reason = Rejected.TOO_SHORT
    min_words: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Self | None:
        return cls(settings.min_words)

    def check(self, doc: Document) -> str | None:
        if doc.word_count >= self.min_words:
            return None
        return f"{doc.word_count} words left after cleaning (min {self.min_words})"
