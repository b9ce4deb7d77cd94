"""The values one document becomes on its way to a record: its metadata (`Meta`, the one type
every step fills), the lines removed from it (`Removal`) and the cleaned `Document`."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Meta:
    """What is known about a document besides its text; every field may be missing.

    The page-dump cleaner, the HTML metadata reader and the extractor each fill one, the chain
    normalizes it, and a record's metadata columns are its fields, under the same names.
    """

    title: str | None = None  # headline, outlet affix stripped
    publisher: str | None = None  # the outlet's name
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None  # UTC
    date_text: str | None = None  # the raw date phrase, when it could not be parsed
    language: str | None = None  # ISO 639-1
    url: str | None = None  # the canonical URL the page declares (or the crawl fetched)


@dataclass(frozen=True)
class Capture:
    """Where a page was fetched and where its raw response is archived, when known: a record
    of a web archive (WARC/ARC) that was ingested, or a crawled page in the crawl's own
    archive (`_warc/`). Every field may be missing; a record's columns of the same names."""

    fetched_url: str | None = None  # the URL the response came from (WARC-Target-URI)
    fetched_at: datetime | None = None  # when it was fetched (WARC-Date), UTC
    http_content_type: str | None = None  # the response's Content-Type header
    http_charset: str | None = None  # the charset that header declares
    warc_file: str | None = None  # the archive holding the response (a URI, or a dataset path)
    warc_offset: int | None = None  # the byte offset of its record in that file
    warc_record_id: str | None = None  # its WARC-Record-ID


@dataclass(frozen=True)
class PageEvidence:
    """What an HTML page shows about itself besides its text, for the record rule
    (crawler/filters/): is it an article, is it an error page. Page dumps have none."""

    declared_article: bool = False  # og:type article, or a schema.org Article type declared
    headings: tuple[str, ...] = ()  # the page's <title> and <h1> texts, as written
    leads: tuple[str, ...] = ()  # the prose paragraph right under each headline candidate


@dataclass(frozen=True)
class Removal:
    """One input line that is not in the kept text, and why (a row of the `audit` table)."""

    line_no: int  # 0-based index into the input's lines
    text: str  # the line as it was (stripped of surrounding white space)
    reason: str  # a value of crawler.reasons.Removed


@dataclass
class Document:
    """A cleaned input, before dedup: what the chain makes of one file or page."""

    source_uri: str
    source_kind: str
    text: str
    meta: Meta = field(default_factory=Meta)
    captions: list[str] = field(default_factory=list)
    removed: list[Removal] = field(default_factory=list)
    removed_ratio: float = 0.0
    content_hash: str = ""
    word_count: int = 0
    capture: Capture = field(default_factory=Capture)
    evidence: PageEvidence | None = None  # HTML only; read by the filters, not stored

    def to_row(self) -> dict[str, Any]:
        """The document as a plain dict (for staging between steps): the metadata fields are
        columns of their own."""
        # by hand, not `dataclasses.asdict`: that deep-copies every removed line and list
        row: dict[str, Any] = {
            "source_uri": self.source_uri,
            "source_kind": self.source_kind,
            "text": self.text,
            "captions": self.captions,
            "removed": [
                {"line_no": r.line_no, "line": r.text, "reason": r.reason} for r in self.removed
            ],
            "removed_ratio": self.removed_ratio,
            "content_hash": self.content_hash,
            "word_count": self.word_count,
        }
        row.update((name, getattr(self.meta, name)) for name in _META_FIELDS)
        row.update((name, getattr(self.capture, name)) for name in _CAPTURE_FIELDS)
        return row


_META_FIELDS = tuple(f.name for f in fields(Meta))
_CAPTURE_FIELDS = tuple(f.name for f in fields(Capture))
