"""What the spider hands to the item pipeline: one fetched page judged to be an article."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PageItem:
    url: str  # the URL fetched (after redirects): the record's `source_uri`
    canonical_url: str  # rel=canonical or the canonicalized fetched URL: the record's `url`
    body: bytes = field(repr=False)  # Scrapy logs items: not megabytes of HTML
    charset: str | None  # the Content-Type header's; crawler.readers.decode.decode_bytes weighs it
    source: str  # the source's name
    revisit: bool = False  # a stored article fetched again (its changed text: a revision)
