"""`html_content`'s walks stand for trafilatura's `BODY_XPATH` and `OVERALL_DISCARD_XPATH`:
compared with those XPaths on the cleaned trees of the dev pages (and of dragnet's training
pages, when ../shared has them) and on hand-made pages, and `extract_content` with the
library's on the dev pages."""

from __future__ import annotations

import ast
import inspect
import textwrap
from copy import copy
from pathlib import Path

import pytest
from helpers import DRAGNET_HTML, EVAL
from lxml.etree import XPath, tostring
from lxml.html import HtmlElement, document_fromstring
from trafilatura import main_extractor
from trafilatura.htmlprocessing import convert_tags, tree_cleaning
from trafilatura.main_extractor import extract_content as library_extract_content
from trafilatura.xpaths import (
    BODY_XPATH,
    DISCARD_IMAGE_ELEMENTS,
    OVERALL_DISCARD_XPATH,
    TEASER_DISCARD_XPATH,
)

from crawler.extract import html_content
from crawler.extract.html import _parse, _prepare
from crawler.extract.html_trafilatura import _page_options

DEV_PAGES = sorted((EVAL / "dev" / "html").glob("*.html"))
DRAGNET = DRAGNET_HTML
DRAGNET_PAGES = sorted(DRAGNET.glob("*.html"))[:150] if DRAGNET is not None else []


def _cleaned(tree: HtmlElement) -> HtmlElement:
    """The tree `extract_content` is given (trafilatura's cleaning of a copy)."""
    options = _page_options(None)
    return convert_tags(tree_cleaning(copy(tree), options), options, None)  # type: ignore[no-any-return]


def _page(path: Path) -> HtmlElement:
    tree = _parse(path.read_bytes())
    assert tree is not None
    _prepare(tree)
    return tree


def _same_as_xpaths(tree: HtmlElement) -> None:
    for walks, xpaths in (
        (html_content._OVERALL, OVERALL_DISCARD_XPATH),
        (html_content._TEASER, TEASER_DISCARD_XPATH),
        (html_content._IMAGE, DISCARD_IMAGE_ELEMENTS),
    ):
        for walk, xpath in zip(walks, xpaths, strict=True):
            assert list(walk(tree)) == xpath(tree)
    for walk, xpath in zip(html_content._BODY, BODY_XPATH, strict=True):
        expected = xpath(tree)
        assert list(walk(tree)) == (expected[:1] if walk is not xpath else expected)


def test_every_expression_is_read_by_a_walk() -> None:
    # this trafilatura's XPaths are the ones the walks are written for (else they stand in)
    for walks in (html_content._OVERALL, html_content._TEASER, html_content._IMAGE):
        assert not any(isinstance(f, XPath) for f in walks)
    assert [isinstance(f, XPath) for f in html_content._BODY] == [False, True, False, False, True]


def test_a_changed_expression_is_not_lifted() -> None:
    template = ".//*[re:test(@id, {})]"
    assert html_content._lifted(XPath(".//*[re:test(@id, 'a|b')]"), template) is not None
    assert html_content._lifted(XPath(".//*[re:test(@class, 'a|b')]"), template) is None
    # a pattern matching "" would select elements without the attribute: not lifted
    assert html_content._lifted(XPath(".//*[re:test(@id, 'a|')]"), template) is None


def _code(function: object, renamed: dict[str, str]) -> str:
    """A function's code without its docstrings and debug logging, names renamed."""

    class Strip(ast.NodeTransformer):
        def visit_Expr(self, node: ast.Expr) -> ast.AST | None:
            value = node.value
            if isinstance(value, ast.Constant) or (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Attribute)
                and isinstance(value.func.value, ast.Name)
                and value.func.value.id == "LOGGER"
            ):
                return None
            return node

        def visit_Name(self, node: ast.Name) -> ast.AST:
            node.id = renamed.get(node.id, node.id)
            return node

    return ast.dump(Strip().visit(ast.parse(textwrap.dedent(inspect.getsource(function)))))


@pytest.mark.parametrize("name", ["prune_unwanted_sections", "_extract"])
def test_the_librarys_steps_are_copied_word_for_word(name: str) -> None:
    # but for the expressions they are given (and their debug logging)
    renamed = {
        "BODY_XPATH": "_BODY",
        "OVERALL_DISCARD_XPATH": "_OVERALL",
        "TEASER_DISCARD_XPATH": "_TEASER",
        "DISCARD_IMAGE_ELEMENTS": "_IMAGE",
    }
    ours = getattr(html_content, name)
    assert _code(getattr(main_extractor, name), renamed) == _code(ours, {})


def test_walks_find_what_the_xpaths_find_on_the_dev_pages() -> None:
    assert len(DEV_PAGES) > 50
    for path in DEV_PAGES:
        tree = _cleaned(_page(path))
        _same_as_xpaths(tree)
        for frame in tree.iter("article", "div", "main", "section"):  # (as a pruned frame)
            if frame.get("id") or frame.get("class"):
                _same_as_xpaths(frame)
                break


@pytest.mark.skipif(DRAGNET is None, reason="no ../shared/eval/dragnet-train")
def test_walks_find_what_the_xpaths_find_on_dragnet_pages() -> None:
    for path in DRAGNET_PAGES:
        _same_as_xpaths(_cleaned(_page(path)))


HAND_MADE = [
    # @id|@class: the first of the two in the tag decides
    '<div class="x" id="cookie-box">a</div><div id="cookie-box" class="x">b</div>',
    '<div id="x" class="cookie">a</div><div class="cookie" id="x">b</div>',
    '<span id="reply-1" class="x">a</span><span class="x" id="reply-1">b</span>',
    '<p style="hidden" id="x">a</p><p id="x" style="hidden">b</p><p style="x:hidden">c</p>',
    # case, empty and odd values
    '<div data-lp-replacement-content="">a</div><div role="NavBar">b</div><div role="Nav">c</div>',
    '<div data-component="xMostPopularStoriesx">a</div><p aria-hidden="true">b</p>',
    '<div data-component="MostPopularStorie">a</div><div role="xnaV">b</div>',
    '<p aria-hidden="TRUE">a</p><div style="display: none">b</div><div style="DISPLAY:none">c</div>',
    '<div class="comments-title">a</div><div class=" comments-title">b</div><b class="x hide">c</b>',
    '<ul><li class="sidebar">a</li></ul><list class="share-x">b</list><item id="nav">c</item>',
    '<div id="">a</div><div class="">b</div><div id="ad-1">c</div><div id="x-ad-1">d</div>',
    '<div class="Sidebar">a</div><div class="SHARE-x">b</div><section class="tag-list">c</section>',
    # teasers and captions
    '<div id="Teaser">a</div><div class="xteaserx">b</div><p class="TEASER">c</p>',
    '<span id="TeAser">a</span><section class="caption">b</section><div id="Caption">c</div>',
    # frames
    '<div class="x"><div class="post">a</div></div><article class="post">b</article>',
    '<section itemprop="articleBody">a</section><div id="articleContent">b</div>',
    '<main class="post-body">a</main><div id="article-content">b</div>',
    '<div class="FullText">a</div><div class="fulltext">b</div><div role="article">c</div>',
    '<div id="primary-x">a</div><div id="x-primary">b</div><div class="article x">c</div>',
    '<div class="x article y">a</div><div class="cell">b</div><div id="story">c</div>',
    '<div id="Main-Content">a</div><div class="xPage-Content">b</div><div class="content">c</div>',
    '<div id="content-main">a</div><div class="content__body">b</div><div id="CONTENT">c</div>',
    '<span class="post">a</span><p id="article-body">b</p><div class="main">c</div><main>d</main>',
]


@pytest.mark.parametrize("body", HAND_MADE)
def test_walks_find_what_the_xpaths_find_on_hand_made_pages(body: str) -> None:
    tree = document_fromstring(f"<html><body>{body}</body></html>")
    _same_as_xpaths(tree)
    for elem in tree.iter():
        _same_as_xpaths(elem)


def test_extract_content_is_the_librarys_on_the_dev_pages() -> None:
    recovered = 0  # pages whose main pass finds too little: the backup is made and read
    for path in DEV_PAGES:
        page = _page(path)
        ours, theirs = _cleaned(page), _cleaned(page)
        options = _page_options(None)
        made: list[HtmlElement] = []

        def again(page: HtmlElement = page, made: list[HtmlElement] = made) -> HtmlElement:
            made.append(_cleaned(page))
            return made[-1]

        body, text = html_content.extract_content(ours, options, again)
        lib_body, lib_text = library_extract_content(theirs, options)
        assert (tostring(body), text) == (tostring(lib_body), lib_text), path
        assert tostring(ours) == tostring(theirs)
        recovered += len(made)
    assert 0 < recovered < len(DEV_PAGES) / 4
