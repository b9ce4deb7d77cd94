"""The filter interface: one keep-or-reject step on a cleaned Document.

A filter owns its reject reason and reads its own settings. `check` returns None to keep the
document, or the detail line of the reject (the chain raises `Drop(filter.reason, detail)`), so
a filter is pure and the chain does the reject bookkeeping (datatrove's
`filter(doc) -> bool | (bool, reason)`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Self

from crawler.config import Settings
from crawler.model import Document
from crawler.reasons import Rejected


class Filter(ABC):
    """One quality filter. Subclasses set `reason` and implement `from_settings` and `check`."""

    reason: ClassVar[Rejected]

    @classmethod
    @abstractmethod
    def from_settings(cls, settings: Settings) -> Self | None:
        """The filter as the settings configure it, or None when they switch it off."""

    @abstractmethod
    def check(self, doc: Document) -> str | None:
        """None to keep `doc`; else why it is rejected (the reject's `detail`)."""
