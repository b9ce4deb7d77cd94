"""Is a fetched page one article (store it) or an index / tag / listing page (only follow it)?

Decided from page features, not URL patterns alone: the page's declared type (og:type, JSON-LD
@type), how much prose it has and whether one block holds most of it (a single dominant
article), how many headline-like links it carries compared with its paragraphs, whether its
prose sits in teaser cards under linked headlines, and link density.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from lxml.html import HtmlElement

from crawler.urls import host_of

ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "reviewnewsarticle",
        "askpublicnewsarticle",
        "blogposting",
        "liveblogposting",
        "report",
        "scholarlyarticle",
        "techarticle",
    }
)
LISTING_TYPES = frozenset(
    {"collectionpage", "itemlist", "searchresultspage", "blog", "profilepage"}
)
_CHROME_TAGS = frozenset({"nav", "header", "footer", "aside", "form"})
_CHROME_CLASS = re.compile(r"comment|related|promo|sidebar|newsletter|share|menu", re.IGNORECASE)
_PROSE_MIN_CHARS = 80  # a paragraph shorter than this is not prose
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class PageFeatures:
    """What the classifier looks at (kept whole so tests and logs can show why)."""

    og_type: str | None
    ld_types: frozenset[str]
    prose_chars: int  # text in prose paragraphs outside the chrome
    prose_paragraphs: int
    dominant_share: float  # share of prose held by the block with the most of it
    article_links: int  # distinct same-site links that look like headlines (or match a pattern)
    teasers: int  # linked headings with one or two prose paragraphs of their own (cards)
    teaser_share: float  # share of the prose that sits in such teaser cards
    cards: int  # repeated teaser blocks: <article> elements and headings that are links
    link_density: float  # link text / all visible text


@dataclass(frozen=True)
class PageKind:
    kind: str  # "article" or "listing"
    score: int
    features: PageFeatures


def _in_chrome(elem: HtmlElement) -> bool:
    for anc in elem.iterancestors():
        if anc.tag in _CHROME_TAGS:
            return True
        marker = f"{anc.get('class', '')} {anc.get('id', '')}"
        if marker.strip() and _CHROME_CLASS.search(marker):
            return True
    return False


def _ld_types(root: HtmlElement) -> frozenset[str]:
    found: set[str] = set()

    def walk(node: Any, depth: int) -> None:
        if depth > 4:
            return
        if isinstance(node, list):
            for child in node:
                walk(child, depth + 1)
        elif isinstance(node, dict):
            types = node.get("@type")
            for t in types if isinstance(types, list) else [types]:
                if isinstance(t, str):
                    found.add(t.lower())
            walk(node.get("@graph"), depth + 1)

    for script in root.xpath("//script[@type='application/ld+json']"):
        try:
            walk(json.loads(script.text or ""), 0)
        except ValueError:
            continue
    return frozenset(found)


def page_features(
    root: HtmlElement, url: str, article_pattern: re.Pattern[str] | None
) -> PageFeatures:
    """Measure the page (root: the lxml tree of the whole document)."""
    og = root.xpath("string(//meta[@property='og:type']/@content)").strip().lower() or None
    per_block: Counter[int] = Counter()
    prose: dict[HtmlElement, int] = {}
    for p in root.iter("p"):
        text = " ".join(p.text_content().split())
        if len(text) < _PROSE_MIN_CHARS or _in_chrome(p):
            continue
        linked = sum(len(a.text_content().strip()) for a in p.iter("a"))
        if linked > 0.3 * len(text):
            continue
        prose[p] = len(text)
        parent = p.getparent()
        per_block[id(parent) if parent is not None else 0] += len(text)
    dominant = max(per_block.values(), default=0)
    prose_chars = sum(prose.values())

    teasers = teaser_chars = 0
    for heading in root.xpath("//*[self::h2 or self::h3 or self::h4][.//a]"):
        card = heading.getparent()
        own = [prose[p] for p in card.iter("p") if p in prose] if card is not None else []
        if 1 <= len(own) <= 2:
            teasers += 1
            teaser_chars += sum(own)

    host = host_of(url)
    links: set[str] = set()
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        target = urljoin(url, href).split("#", 1)[0]
        if host_of(target) != host or target == url:
            continue
        words = len(_WORD.findall(a.text_content()))
        matches = bool(article_pattern and article_pattern.search(target))
        if matches or (words >= 4 and not _in_chrome(a)):
            links.add(target)
    cards = len(root.xpath("//article")) + len(root.xpath("//*[self::h2 or self::h3][.//a]"))
    visible = root.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]")
    total = sum(len(t.strip()) for t in visible)
    link_text = sum(len(t.strip()) for t in root.xpath("//body//a//text()"))
    return PageFeatures(
        og_type=og,
        ld_types=_ld_types(root),
        prose_chars=prose_chars,
        prose_paragraphs=len(prose),
        dominant_share=dominant / prose_chars if prose_chars else 0.0,
        article_links=len(links),
        teasers=teasers,
        teaser_share=teaser_chars / prose_chars if prose_chars else 0.0,
        cards=cards,
        link_density=link_text / total if total else 1.0,
    )


def score(f: PageFeatures) -> int:
    """> 0: one article; <= 0: a page of links to articles (or nothing worth storing)."""
    points = 0
    if f.og_type == "article" or f.ld_types & ARTICLE_TYPES:
        points += 2
    if f.ld_types & LISTING_TYPES:
        points -= 2
    if f.og_type == "website":
        points -= 1
    if f.prose_chars >= 1500 and f.dominant_share >= 0.6:
        points += 2
    elif f.prose_chars >= 600 and f.dominant_share >= 0.5:
        points += 1
    if f.prose_chars < 400:
        points -= 3
    if f.teasers >= 3 and f.teaser_share >= 0.5:
        points -= 3  # the prose is teasers under linked headlines
    if f.article_links >= 6 and f.article_links >= 0.8 * f.prose_paragraphs:
        points -= 2
    if f.cards > max(6, f.prose_paragraphs // 2):
        points -= 1
    if f.link_density > 0.5:
        points -= 1
    return points


def classify(
    root: HtmlElement, url: str, article_pattern: re.Pattern[str] | None = None
) -> PageKind:
    """Article or listing, with the score and the features behind it."""
    features = page_features(root, url, article_pattern)
    points = score(features)
    return PageKind("article" if points > 0 else "listing", points, features)
