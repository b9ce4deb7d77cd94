"""The character encoding of a fetched HTML page, when the HTTP header and the page disagree."""

from __future__ import annotations

import codecs

from crawler.readers import bomless_unicode, declared_charset


def _decodes(body: bytes, codec: str) -> bool:
    try:
        body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def page_encoding(body: bytes, scrapy_encoding: str) -> str:
    """The codec to decode a page with.

    Scrapy trusts the Content-Type charset first, and that header is often a server default
    that contradicts the page. The body's own evidence wins: UTF-16/32 without a byte-order
    mark (`readers.bomless_unicode`, as for files); non-ASCII bytes that are valid
    UTF-8 are UTF-8 (text in a legacy codec almost never is); then the page's <meta> charset
    when it decodes the body; then Scrapy's choice (the header, or its guess).
    """
    chosen = codecs.lookup(scrapy_encoding).name
    if (wide := bomless_unicode(body)) is not None:  # the NULs of UTF-16/32 decide
        return wide
    if body.isascii():
        return chosen
    if _decodes(body, "utf-8"):
        return "utf-8"
    declared = declared_charset(body)
    if declared and _decodes(body, declared):
        return declared
    return chosen
