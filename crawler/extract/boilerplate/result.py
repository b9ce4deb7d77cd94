"""Result types of the cleaner."""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.model import Meta, Removal

__all__ = ["CleanResult", "Removal"]


@dataclass(frozen=True)
class CleanResult:
    """The article body of one page, its metadata, and an audit of removed lines."""

    paragraphs: list[str]  # kept body, one paragraph per element, in order
    removed: list[Removal]  # every non-blank input line not in paragraphs, with why
    # title (headline without outlet suffix), publisher (title suffix, byline or attribution
    # footer), authors and date_text (the raw date phrase of a byline / dateline)
    meta: Meta = field(default_factory=Meta)
    captions: list[str] = field(default_factory=list)  # image captions, one copy each

    @property
    def text(self) -> str:
        """The body as one string, one paragraph per line."""
        return "\n".join(self.paragraphs)
