"""What an HTML page shows about being an article, besides the text extracted from it: a
declared article type, its headline right above a prose paragraph, its headings (which say
"page not found" on an error page). The record rule (crawler/filters/) reads it: a short text
is kept as a record on such evidence, an error page is not kept however long.
"""

from __future__ import annotations

import re

from lxml.etree import XPath
from lxml.html import HtmlElement

from crawler.extract.html_meta import json_ld_objects
from crawler.model import PageEvidence

# schema.org types of one article (NewsArticle, BlogPosting, ReportageNewsArticle...)
_ARTICLE_TYPE = re.compile(r"(?:Article|BlogPosting|Posting|Report)$")
_HEADINGS = 5  # <h1>s read (a page has one; templates add the site name's, widgets their own)
_HEADING_CHARS = 200
_AFTER_HEADLINE = XPath("following::*[position() <= 60]")  # where the body must start
_STOP = frozenset({"h1", "h2", "h3", "h4", "nav", "form", "footer", "aside"})
_LISTS = frozenset({"ul", "ol"})
_LIST_LINKS = 3  # a list of this many links after the headline: a listing's, or a menu
_BLOCK_TAGS = frozenset({"p", "div", "ul", "ol", "table", "section", "article", "blockquote"})
_SUBHEADS = XPath("//h2|//h3")
_TITLE_WORDS = 2  # words an h2/h3 repeating the <title> needs to count as the headline
_NON_WORD = re.compile(r"[\W_]+")
_LEAD_WORDS = 4  # a paragraph under the headline has at least this many words
_LEADS = 3  # paragraphs under each headline kept as its leads
_LEAD_CHARS = 300
_SENTENCE = re.compile(r"[\w)\]][.!?…。！？]['\"”’»)]*(?:\s|$)")  # a word ending a sentence
_BYLINE = re.compile(r"(?:by|von|par|por|di|door)\s", re.IGNORECASE)


def page_evidence(tree: HtmlElement) -> PageEvidence:
    """The article evidence of a parsed page (nothing raises on odd markup)."""
    title = " ".join((tree.findtext(".//title") or "").split())
    h1s = [h for h in tree.iter("h1") if h.text_content().strip()][:_HEADINGS]
    headings = tuple(
        t[:_HEADING_CHARS] for t in (title, *(" ".join(h.text_content().split()) for h in h1s)) if t
    )
    return PageEvidence(
        declared_article=_declares_article(tree),
        headings=headings,
        leads=tuple(lead for h in _headlines(tree, title, h1s) for lead in _leads(h)),
    )


def _declares_article(tree: HtmlElement) -> bool:
    for meta in tree.iter("meta"):
        name = (meta.get("property") or meta.get("name") or "").lower()
        if name == "og:type" and (meta.get("content") or "").strip().lower() == "article":
            return True
    for node in json_ld_objects(tree):
        types = node.get("@type")
        for name in types if isinstance(types, list) else [types]:
            if isinstance(name, str) and _ARTICLE_TYPE.search(name.strip()):
                return True
    itemtypes = " ".join(str(t) for t in tree.xpath("//*[@itemscope]/@itemtype"))
    return any(_ARTICLE_TYPE.search(t) for t in itemtypes.split())


def _headlines(tree: HtmlElement, title: str, h1s: list[HtmlElement]) -> list[HtmlElement]:
    """The page's headline candidates: its <h1>s, and the <h2>/<h3>s that repeat words of its
    <title> (blogs title a post with an h2 under the site name's h1)."""
    folded = f" {_fold(title)} "
    subheads = [
        h
        for h in _SUBHEADS(tree)
        if len((words := _fold(h.text_content())).split()) >= _TITLE_WORDS
        and f" {words} " in folded
    ]
    return [*h1s, *subheads[:_HEADINGS]]


def _fold(text: str) -> str:
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())


def _leads(heading: HtmlElement) -> list[str]:
    """The first paragraphs of sentences after the headline (a byline or a site's motto is
    none), up to the first menu, link list or other heading (none on a listing: its title is
    followed by its list)."""
    found: list[str] = []
    for elem in _AFTER_HEADLINE(heading):
        if not isinstance(elem, HtmlElement):
            continue
        if elem.tag in _STOP or (elem.tag in _LISTS and len(elem.findall(".//a")) >= _LIST_LINKS):
            break
        if elem.tag != "p" and not (elem.tag == "div" and _is_leaf(elem)):
            continue
        text = " ".join(elem.text_content().split())
        if len(text.split()) >= _LEAD_WORDS and _SENTENCE.search(text) and not _BYLINE.match(text):
            found.append(text[:_LEAD_CHARS])
            if len(found) == _LEADS:
                break
    return found


def _is_leaf(elem: HtmlElement) -> bool:
    """A block with no block inside it (its text is one paragraph)."""
    return not any(child.tag in _BLOCK_TAGS for child in elem.iterdescendants())
