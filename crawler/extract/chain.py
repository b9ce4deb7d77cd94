"""The one chain of steps every document goes through, whatever way it came in.

    raw input -> extract (dump cleaner | HTML extractor) -> normalize -> filters -> Document

Dedup and writing work on whole runs and live in `crawler.run.finish`; they take the Documents this
module makes. The CLI, the Prefect flows and the Scrapy item pipeline all call `process`.
"""

from __future__ import annotations

from operator import attrgetter

from crawler.config import Settings
from crawler.errors import Drop
from crawler.extract.boilerplate import LineStats, clean_text
from crawler.extract.extracted import Extracted
from crawler.extract.limits import check_lines, check_time
from crawler.extract.normalize import (
    content_hash,
    detect_language,
    normalize_line,
    normalize_text,
    parse_date,
    replace_surrogates,
    word_count,
)
from crawler.extract.urls import canonicalize_url
from crawler.filters.registry import apply_filters
from crawler.model import Capture, Document, Meta
from crawler.readers.files import RawInput
from crawler.reasons import Rejected


def extract(raw: RawInput, settings: Settings, stats: LineStats | None = None) -> Extracted:
    """The only stage that differs by way in: page dumps are cleaned, HTML is extracted.

    Raises Drop for an input over the settings' per-document limits or that the extractor
    fails on.
    """
    text = replace_surrogates(raw.text)
    if raw.kind == "text":
        check_lines(text.split("\n"), settings)
        cleaned = clean_text(text, stats, mode="dump")
        return Extracted(cleaned.paragraphs, cleaned.meta, cleaned.removed, cleaned.captions)
    base_url = raw.capture.fetched_url if raw.capture else None
    if base_url is None and raw.source_uri.startswith(("http://", "https://")):
        base_url = raw.source_uri
    # Imported here: a run of page dumps never needs trafilatura, lxml or readability.
    from crawler.extract.html import extract_limited

    try:
        return extract_limited(text, base_url, settings)
    except Drop:
        raise
    except Exception as exc:  # the extractor must not take the run down with it
        raise Drop(Rejected.EXTRACT_ERROR, f"{type(exc).__name__}: {exc}") from exc


def process(raw: RawInput, settings: Settings, stats: LineStats | None = None) -> Document:
    """One raw input -> one clean Document. Raises Drop (with a reason) when nothing usable is
    left or a quality filter (crawler/filters/) rejects it."""
    found = extract(raw, settings, stats)
    check_time()
    text = normalize_text(found.paragraphs)
    words = word_count(text)
    kept_chars = len(text)
    removed_chars = sum(map(len, map(_TEXT, found.removed)))  # (no generator: ~150 lines a page)
    doc = Document(
        source_uri=raw.source_uri,
        source_kind=raw.source_kind,
        text=text,
        meta=_normalized(found.meta, text, raw.capture),
        captions=[c for c in (normalize_line(c) for c in found.captions) if c],
        removed=[*raw.removed, *found.removed],
        removed_ratio=removed_chars / ((kept_chars + removed_chars) or 1),
        content_hash=content_hash(text),
        word_count=words,
        capture=raw.capture or Capture(),
        evidence=found.evidence,
    )
    return apply_filters(doc, settings)


_TEXT = attrgetter("text")


def _normalized(meta: Meta, text: str, capture: Capture | None = None) -> Meta:
    """The metadata as the record keeps it: one-line fields, bare author names, the date
    phrase parsed if no date was, the language of the text (`detect_language`), the URL the
    page was fetched from (canonicalized) when it declares none (an archived page)."""
    fetched = capture.fetched_url if capture else None
    return Meta(
        title=_clean_field(meta.title),
        publisher=_clean_field(meta.publisher),
        authors=[a for a in (_clean_author(a) for a in meta.authors) if a],
        published_at=meta.published_at or parse_date(meta.date_text),
        date_text=_clean_field(meta.date_text),
        language=detect_language(text, meta.language),
        url=meta.url or (canonicalize_url(fetched) if fetched else None),
    )


def _clean_author(value: str) -> str | None:
    """An author name without the byline punctuation around it ("Li Wen ·" -> "Li Wen")."""
    return _clean_field(value.strip(" \t·•|,;:-–—/"))


def _clean_field(value: str | None) -> str | None:
    value = normalize_line(value) if value else None
    return value or None
