"""Sitemaps and RSS/Atom feeds -> URLs, parsed without entity expansion or network access."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from crawler.extract.normalize import parse_date
from crawler.readers.files import gunzip_limited

_GZIP_MAGIC = b"\x1f\x8b"


def _parser() -> etree.XMLParser:
    # No entity expansion (billion laughs, XXE), no DTD or network fetches, bounded trees.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        recover=True,
    )


@dataclass
class UrlList:
    """What one sitemap or feed points to."""

    kind: str  # "urlset", "sitemapindex", "rss", "atom" or "unknown"
    pages: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    dates: dict[str, datetime] = field(default_factory=dict)  # sitemap lastmod, feed item date


def _child_text(node: etree._Element, *names: str) -> str | None:
    for child in node:
        if _local(child.tag) in names and child.text:
            return str(child.text)
    return None


def _local(tag: object) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def parse_url_list(body: bytes, max_bytes: int) -> UrlList:
    """The page and sitemap URLs listed in a sitemap (gzip allowed), RSS or Atom document.

    Raises `crawler.errors.Drop` when a gzip body inflates past max_bytes.
    """
    if body.startswith(_GZIP_MAGIC):
        body = gunzip_limited(body, max_bytes)
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError:
        return UrlList("unknown")
    if root is None:
        return UrlList("unknown")
    kind = _local(root.tag)
    if kind in ("urlset", "sitemapindex"):
        found = UrlList(kind)
        target = found.pages if kind == "urlset" else found.sitemaps
        for loc in root.iter():
            if _local(loc.tag) == "loc" and loc.text and loc.text.strip():
                target.append(loc.text.strip())
                parent = loc.getparent()
                when = parse_date(_child_text(parent, "lastmod")) if parent is not None else None
                if when is not None:
                    found.dates[loc.text.strip()] = when
        return found
    if kind in ("rss", "rdf"):
        found = UrlList("rss")
        for item in root.iter():
            if _local(item.tag) == "item":
                link = next((c for c in item if _local(c.tag) == "link"), None)
                if link is not None and link.text and link.text.strip():
                    found.pages.append(link.text.strip())
                    when = parse_date(_child_text(item, "pubdate", "date", "updated"))
                    if when is not None:
                        found.dates[link.text.strip()] = when
        return found
    if kind == "feed":
        found = UrlList("atom")
        for entry in root.iter():
            if _local(entry.tag) != "entry":
                continue
            links = [c for c in entry if _local(c.tag) == "link" and c.get("href")]
            best = next((c for c in links if c.get("rel", "alternate") == "alternate"), None)
            if best is not None:
                found.pages.append(str(best.get("href")).strip())
                when = parse_date(_child_text(entry, "updated", "published"))
                if when is not None:
                    found.dates[str(best.get("href")).strip()] = when
        return found
    return UrlList("unknown")
