"""What an extractor returns for one page: the article's paragraphs and what was found with them.

Its own module so that a run of page dumps never imports the HTML extractor (trafilatura, lxml,
readability: ~0.25 s of a worker process's start-up) just to name its result type.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.model import Meta, PageEvidence, Removal


@dataclass(frozen=True)
class Extracted:
    """An article's body paragraphs and the metadata found for it."""

    paragraphs: list[str]
    meta: Meta = field(default_factory=Meta)
    removed: list[Removal] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    evidence: PageEvidence | None = None  # HTML only: what the page shows besides its text

    @property
    def text(self) -> str:
        """The body as one string, one paragraph per line."""
        return "\n".join(self.paragraphs)
