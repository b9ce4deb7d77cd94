"""trafilatura's article body for the project's options, without the work those options waste.

`article_body(tree, url)` gives what `trafilatura.bare_extraction(tree, url=url,
include_comments=False, include_tables=True, output_format="txt", fast=True).body` gives (None
where that gives no document), by trafilatura's own steps (`tree_cleaning`, `convert_tags`,
`extract_content`, `baseline`), in the order of its `trafilatura_sequence` (2.3.1), less three
costs that change nothing with these options:

- the backup copy of the cleaned tree (`_prepare_tree`): only read without `fast`, or with
  comments on a forum page;
- the raw tree's prunes (`RAW_TREE_PRUNE_XPATH`, `REMOVE_COMMENTS_AND_LISTS_XPATH`) test
  ids and classes with EXSLT regular expressions, a call from libxml2 into Python for every
  `<div>`, and evaluate `.//*` over the whole page: the same tests on the same elements, as
  walks over those tags;
- the page text its recall escalation measures (`baseline.html2txt`: a copy of the tree, an
  EXSLT-regex XPath over it, then its text) is read from the tree as those steps would leave
  it, without changing it (`page_text`).

These are private steps of the library: `tests/crawler/extract/test_html_trafilatura.py`
compares with `bare_extraction` and `html2txt` on real pages, so a version that changes them
fails there.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from copy import copy
from typing import Any

from lxml.etree import _Element, strip_tags
from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.baseline import _BLOCK_ELEMS, baseline, html2txt
from trafilatura.core import (
    ESCALATION_ACCEPT_RATIO,
    ESCALATION_MAX_LENGTH,
    ESCALATION_PAGE_SHARE,
    _forum_thread_page,
)
from trafilatura.htmlprocessing import convert_tags, tree_cleaning
from trafilatura.settings import _COOKIE_CONSENT_RE, DEFAULT_CONFIG, Extractor
from trafilatura.utils import remove_control_characters
from trafilatura.xml import delete_element
from trafilatura.xpaths import _COMMENTS_CLASS, _COMMENTS_ID

from crawler.extract.html_content import extract_content, remembered_search

LOGGER = logging.getLogger(__name__)

# RAW_TREE_PRUNE_XPATH[0]: infinite-scroll containers (without the page's <h1>)
_SCROLL_TAGS = ("div", "section", "aside")
_SCROLL = re.compile(r"mvp-post-add-(?:box|wrap)|infinite-?scroll")
_SCROLL_BOX = re.compile(r"mvp-post-add-(?:box|wrap)")
# REMOVE_COMMENTS_AND_LISTS_XPATH: comment sections, and ol/ul comment lists
_COMMENT_TAGS = ("div", "list", "section", "details", "ol", "ul")
_COMMENT_ID = re.compile(f"^(?:{_COMMENTS_ID}|disqus_thread|dsq-comments)")
_COMMENT_LIST_ID = re.compile(f"^(?:{_COMMENTS_ID})")
_COMMENT_CLASS = re.compile(_COMMENTS_CLASS)
# BASIC_CLEAN_XPATH (html2txt's cleaning)
_BASIC_TAGS = frozenset(("aside", "fencedframe", "footer", "script", "style", "svg", "template"))
_CONSENT = remembered_search(re.compile(_COOKIE_CONSENT_RE, re.IGNORECASE))  # EXSLT's "i"


# the options of every page but its URL, made once: `Extractor(...)` reads seven numbers from
# trafilatura's ConfigParser and formats today's date (unused here) on each call, 0.18 ms
_OPTIONS = Extractor(
    config=DEFAULT_CONFIG,
    output_format="txt",
    fast=True,
    comments=False,
    tables=True,
)


def _page_options(url: str | None) -> Extractor:
    """`Extractor(config=DEFAULT_CONFIG, output_format="txt", fast=True, comments=False,
    tables=True, url=url)`: the options made once, with the page's URL (and source) set as
    its constructor sets them."""
    options = copy(_OPTIONS)
    options.url = url
    options.source = url.encode("utf-8", "replace").decode("utf-8") if url else None
    return options


def article_body(tree: HtmlElement, url: str | None) -> _Element | None:
    """trafilatura's article body of the page at `tree` (left as it was), or None."""
    options = _page_options(url)
    try:
        postbody, text = _sequence(copy(tree), options, options.url)
        if options.max_tree_size and len(postbody) > options.max_tree_size:
            strip_tags(postbody, "hi")
            if len(postbody) > options.max_tree_size:
                return None
        # its size check, with no comments extracted (length 0)
        if len(text) < options.min_output_size and options.min_output_comm_size > 0:
            return None
    except (TypeError, ValueError):
        return None
    return postbody


OPTIONS = {"include_comments": False, "include_tables": True, "output_format": "txt", "fast": True}
"""The options `article_body` stands for, as `bare_extraction` takes them."""


def library_body(tree: HtmlElement, url: str | None, **overrides: Any) -> _Element | None:
    """The body `bare_extraction` itself gives, with `OPTIONS` (and `overrides`): for tests,
    and for measuring other options in place of `article_body`."""
    document = bare_extraction(tree, url=url, **{**OPTIONS, **overrides})
    body = getattr(document, "body", None)
    return body if isinstance(body, _Element) else None


def _sequence(tree: HtmlElement, options: Extractor, url: str | None) -> tuple[_Element, str]:
    """`trafilatura_sequence` with comments off, fast on, focus balanced."""
    is_forum = _forum_thread_page(tree)
    _delete(_scroll_containers(tree))
    _delete(_share_buttons(tree))
    if not is_forum:
        _delete(_comment_sections(tree))
    postbody, text = _extract(tree, options, url)
    # rescue: baseline on the pruned raw tree, if it has more
    if len(text) < options.min_extracted_size:
        b_body, b_text, b_len = baseline(tree)
        if b_len > len(text):
            postbody, text = b_body, b_text
    # recall escalation: a short text, little of the page's
    if 0 < len(text) < ESCALATION_MAX_LENGTH and len(text) < ESCALATION_PAGE_SHARE * len(
        page_text(tree)
    ):
        r_options = copy(options)
        r_options.focus = "recall"
        r_text = ""
        try:
            r_body, r_text = _extract(tree, r_options, url)
        except Exception as err:  # as trafilatura: a failed retry keeps the first result
            LOGGER.warning("recall retry failed: %s %s", err, url)
        if len(r_text) >= options.min_extracted_size and len(
            r_text
        ) > ESCALATION_ACCEPT_RATIO * len(text):
            postbody, text = r_body, r_text
    return postbody, text


def _extract(tree: HtmlElement, options: Extractor, url: str | None) -> tuple[_Element, str]:
    """`_prepare_tree` (no backup copy) and `extract_content` on a copy of `tree` (its
    backup made anew from `tree`, left as it is, should it be read)."""

    def cleaned() -> HtmlElement:
        return convert_tags(tree_cleaning(copy(tree), options), options, url)  # type: ignore[no-any-return]

    return extract_content(cleaned(), options, cleaned)


def _delete(found: list[_Element]) -> None:
    """`prune_unwanted_nodes`' deletion: in document order, tails kept."""
    for elem in found:
        delete_element(elem)


def _scroll_containers(tree: _Element) -> list[_Element]:
    """`RAW_TREE_PRUNE_XPATH[0]`'s elements, in document order."""
    found = []
    for elem in tree.iterdescendants(*_SCROLL_TAGS):
        ident, cls = elem.get("id") or "", elem.get("class") or ""
        if (_SCROLL.search(ident) or _SCROLL.search(cls)) and (
            elem.find(".//h1") is None or _SCROLL_BOX.search(ident) or _SCROLL_BOX.search(cls)
        ):
            found.append(elem)
    return found


def _share_buttons(tree: _Element) -> list[_Element]:
    """`RAW_TREE_PRUNE_XPATH[1]`'s elements, in document order."""
    return [
        elem
        for elem in tree.iterdescendants(*_SCROLL_TAGS)
        if "elementor-share-buttons" in (elem.get("class") or "")
    ]


def _comment_sections(tree: _Element) -> list[_Element]:
    """`REMOVE_COMMENTS_AND_LISTS_XPATH`'s elements, in document order."""
    found = []
    for elem in tree.iterdescendants(*_COMMENT_TAGS):
        ident, cls = elem.get("id") or "", elem.get("class") or ""
        if (_COMMENT_ID.search(ident) or _COMMENT_CLASS.search(cls)) and (
            elem.tag not in ("ol", "ul")
            or _COMMENT_LIST_ID.search(ident)
            # the class test again, as the XPath's second predicate has it
            or _COMMENT_CLASS.search(cls)
        ):
            found.append(elem)
    return found


def _basic_cleaned(elem: _Element) -> bool:
    """Whether `BASIC_CLEAN_XPATH` selects `elem` (a descendant of the body), tags aside."""
    cls, ident = elem.get("class"), elem.get("id")
    if cls is None and ident is None:
        return False
    if elem.tag == "div":
        # contains(@class|@id, 'footer'): the first of the two in the tag's attribute order
        for name, value in elem.items():
            if name in ("class", "id"):
                if "footer" in value:
                    return True
                break
    return bool(cls and _CONSENT(cls)) or bool(ident and _CONSENT(ident))


def page_text(tree: HtmlElement) -> str:
    """`trafilatura.baseline.html2txt(tree)`, read without copying or changing the tree: the
    body's text with `BASIC_CLEAN_XPATH`'s elements left out (their tails kept, glued where
    `delete_element` glues them) and a space at each block element's text and tail."""
    body = tree.find(".//body")
    if body is None:
        body = tree
    pieces: list[str] = []
    try:
        _text_of(body, pieces.append)
    except RecursionError:  # a page deeper than Python's stack: the library's way
        return html2txt(tree)
    return " ".join("".join(pieces).split())


def _text_of(elem: _Element, out: Callable[[str], None]) -> None:
    """Append the text of `elem`'s content (its text, its children's, their tails) as html2txt
    reads it after the basic cleaning: the text of a node (or the tail of a kept child)
    gathers the tails of the cleaned children after it, then is spaced as a whole, with a
    space in front at a block element (`_spaced_text` runs after the cleaning)."""
    held = elem.text or ""
    held_block = elem.tag in _BLOCK_ELEMS
    for child in elem:
        tag = child.tag
        if tag in _BASIC_TAGS or (isinstance(tag, str) and _basic_cleaned(child)):
            if child.tail:
                held += child.tail
            continue
        if not held_block:
            out(held)
        else:
            out(f" {remove_control_characters(held)}" if held else " ")
        if isinstance(tag, str):
            _text_of(child, out)
        held = child.tail or ""
        held_block = tag in _BLOCK_ELEMS
    if not held_block:
        out(held)
    else:
        out(f" {remove_control_characters(held)}" if held else " ")
