"""The quality filters every document passes, in order. Adding a filter: one module with a
`Filter` subclass, and one line in FILTERS."""

from __future__ import annotations

from crawler.config import Settings
from crawler.errors import Drop
from crawler.filters.base import Filter
from crawler.filters.error_page import ErrorPage
from crawler.filters.language import Language
from crawler.filters.length import OnlyBoilerplate, TooShort
from crawler.model import Document

FILTERS: tuple[type[Filter], ...] = (
    OnlyBoilerplate,
    ErrorPage,
    TooShort,
    Language,
)


def active_filters(settings: Settings) -> list[Filter]:
    """The filters the settings switch on, in FILTERS order."""
    return [f for f in (kind.from_settings(settings) for kind in FILTERS) if f is not None]


def apply_filters(doc: Document, settings: Settings) -> Document:
    """`doc` if every active filter keeps it; else Drop with the first rejecting filter's
    reason and detail."""
    for step in active_filters(settings):
        if (detail := step.check(doc)) is not None:
            raise Drop(step.reason, detail)
    return doc
