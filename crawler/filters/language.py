"""Keeps only documents in the languages `[filters] languages` lists (off when it is empty)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from crawler.config import Settings
from crawler.filters.base import Filter
from crawler.model import Document
from crawler.reasons import Rejected


@dataclass(frozen=True)
class Language(Filter):
    """Rejects a document whose detected language (ISO 639-1) is not one of `languages`, or
    whose language could not be told at all."""

    reason = Rejected.LANGUAGE
    languages: frozenset[str]

    @classmethod
    def from_settings(cls, settings: Settings) -> Self | None:
        wanted = settings.filters.languages
        return cls(frozenset(wanted)) if wanted else None

    def check(self, doc: Document) -> str | None:
        if doc.meta.language in self.languages:
            return None
        wanted = ", ".join(sorted(self.languages))
        found = doc.meta.language or "not detected"
        return f"language {found} (keeping {wanted})"
