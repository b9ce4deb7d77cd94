"""Tests for crawler.extract.html_meta: metadata a page declares (synthetic snippets, offline)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from lxml.html import HtmlElement, document_fromstring

from crawler.crawl.pagetype import page_features
from crawler.extract.html_meta import json_ld_objects, page_meta, split_authors, strip_title_affix
from crawler.extract.normalize import norm_language, parse_date
from crawler.model import Meta


def _meta(
    head: str = "", body: str = "<p>x</p>", html_attrs: str = "", base: str | None = None
) -> Meta:
    """The metadata page_meta finds in a page built from a head and a body snippet."""
    page = f"<html {html_attrs}><head>{head}</head><body>{body}</body></html>"
    tree: HtmlElement = document_fromstring(page)
    return page_meta(tree, base).meta


def _ld(obj: object) -> str:
    """A JSON-LD script element."""
    return f'<script type="application/ld+json">{json.dumps(obj)}</script>'


# -- JSON-LD --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("author", "expected"),
    [
        ("Jane Doe", ["Jane Doe"]),
        ("By Jane Doe", ["Jane Doe"]),
        ({"@type": "Person", "name": "Jane Doe"}, ["Jane Doe"]),
        ([{"name": "Jane Doe"}, {"name": "John Roe"}], ["Jane Doe", "John Roe"]),
        (["Jane Doe", "John Roe"], ["Jane Doe", "John Roe"]),
        ("Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
        ({"name": "https://www.facebook.com/janedoe"}, []),
    ],
)
def test_json_ld_author_forms(author: object, expected: list[str]) -> None:
    head = _ld({"@context": "https://schema.org", "@type": "NewsArticle", "author": author})
    assert _meta(head).authors == expected


def test_json_ld_graph_with_id_references() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "@id": "https://ex.com/#site", "name": "Example Times"},
            {"@type": "Person", "@id": "https://ex.com/#jane", "name": "Jane Doe"},
            {
                "@type": ["Article", "NewsArticle"],
                "headline": "Council approves new bridge",
                "author": {"@id": "https://ex.com/#jane"},
                "publisher": {"@id": "https://ex.com/#org"},
                "datePublished": "2021-03-04T10:00:00+02:00",
                "inLanguage": "fr-FR",
            },
            {"@type": "Organization", "@id": "https://ex.com/#org", "name": "Example Media"},
        ],
    }
    meta = _meta(_ld(graph))
    assert meta.title == "Council approves new bridge"
    assert meta.authors == ["Jane Doe"]
    assert meta.publisher == "Example Media"
    assert meta.published_at == datetime(2021, 3, 4, 8, 0, tzinfo=UTC)
    assert meta.language == "fr"


def test_broken_json_ld_is_ignored() -> None:
    head = '<script type="application/ld+json">{"@type": "NewsArticle", "author": </script>'
    head += '<meta name="author" content="Jane Doe">'
    assert _meta(head).authors == ["Jane Doe"]


def test_non_article_json_ld_gives_no_headline() -> None:
    head = _ld({"@type": "BreadcrumbList", "name": "Home"}) + "<title>Real headline here</title>"
    assert _meta(head).title == "Real headline here"


# -- OpenGraph, meta, title -------------------------------------------------------------


def test_og_title_and_site_name() -> None:
    head = (
        "<title>Storm closes schools across the region | The Daily Planet</title>"
        '<meta property="og:title" content="Storm closes schools across the region">'
        '<meta property="og:site_name" content="The Daily Planet">'
    )
    meta = _meta(head)
    assert meta.title == "Storm closes schools across the region"
    assert meta.publisher == "The Daily Planet"


def test_title_suffix_matching_site_name_is_stripped() -> None:
    head = (
        "<title>Storm closes schools - Daily Planet</title>"
        '<meta property="og:site_name" content="The Daily Planet">'
    )
    assert _meta(head).title == "Storm closes schools"


def test_title_prefix_matching_site_name_is_stripped() -> None:
    head = (
        "<title>Daily Planet :: Storm closes schools across the region</title>"
        '<meta property="og:site_name" content="Daily Planet">'
    )
    assert _meta(head).title == "Storm closes schools across the region"


def test_title_suffix_without_site_name_becomes_publisher() -> None:
    meta = _meta("<title>Storm closes schools across the region – Metro Courier</title>")
    assert meta.title == "Storm closes schools across the region"
    assert meta.publisher == "Metro Courier"


def test_h1_preferred_over_title_when_they_agree() -> None:
    meta = _meta("<title>Storm closes schools | Courier</title>", "<h1>Storm closes schools</h1>")
    assert meta.title == "Storm closes schools"
    logo = _meta("<title>Storm closes schools | Courier</title>", "<h1>Courier</h1>")
    assert logo.title == "Storm closes schools"


@pytest.mark.parametrize(
    ("title", "names", "expected"),
    [
        ("Headline | Outlet", [], ("Headline", "Outlet")),
        ("A longer headline – Outlet", [], ("A longer headline", "Outlet")),
        ("A longer headline — The Outlet Name", [], ("A longer headline", "The Outlet Name")),
        ("Outlet | A longer headline", ["Outlet"], ("A longer headline", "Outlet")),
        ("A longer headline - NEWS.COM", ["news"], ("A longer headline", "NEWS.COM")),
        # a lower-case continuation is part of the headline, not an outlet
        (
            "Game review - shoots for the moon, lands among the stars",
            [],
            ("Game review - shoots for the moon, lands among the stars", None),
        ),
        ("No separator here", [], ("No separator here", None)),
        ("Cats-and-dogs rain", [], ("Cats-and-dogs rain", None)),
    ],
)
def test_strip_title_affix(title: str, names: list[str], expected: tuple[str, str | None]) -> None:
    assert strip_title_affix(title, names) == expected


def test_meta_author_and_url_author_skipped() -> None:
    head = (
        '<meta property="article:author" content="https://www.facebook.com/someone">'
        '<meta name="author" content="Jane Doe, John Roe">'
    )
    assert _meta(head).authors == ["Jane Doe", "John Roe"]


def test_last_first_author_is_one_person() -> None:
    assert split_authors(["Doe, Jane"]) == ["Doe, Jane"]
    assert split_authors(["Jane Doe; jane doe", "  "]) == ["Jane Doe"]


# -- dates ------------------------------------------------------------------------------


def test_article_published_time() -> None:
    head = '<meta property="article:published_time" content="2019-11-19T10:00:00-05:00">'
    meta = _meta(head)
    assert meta.published_at == datetime(2019, 11, 19, 15, 0, tzinfo=UTC)
    assert meta.date_text is None


def test_unparseable_date_is_kept_as_text() -> None:
    meta = _meta('<meta property="article:published_time" content="sometime last week">')
    assert meta.published_at is None
    assert meta.date_text == "sometime last week"


def test_placeholder_date_is_skipped() -> None:
    head = (
        '<meta property="article:published_time" content="0001-01-01T00:00:00Z">'
        '<meta name="date" content="2020-02-03">'
    )
    meta = _meta(head)
    assert meta.published_at == datetime(2020, 2, 3, tzinfo=UTC)
    assert meta.date_text is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-11-19T10:00:00Z", datetime(2019, 11, 19, 10, tzinfo=UTC)),
        ("2019-11-19T10:00:00.000+0000", datetime(2019, 11, 19, 10, tzinfo=UTC)),
        ("2019-11-19 10:00:00", datetime(2019, 11, 19, 10, tzinfo=UTC)),
        ("Tue, 19 Nov 2019 10:00:00 GMT", datetime(2019, 11, 19, 10, tzinfo=UTC)),
        ("November 19, 2019", datetime(2019, 11, 19, tzinfo=UTC)),
        ("19 Nov 2019", datetime(2019, 11, 19, tzinfo=UTC)),
        ("2019/11/19", datetime(2019, 11, 19, tzinfo=UTC)),
        ("not a date", None),
        ("", None),
    ],
)
def test_parse_date(text: str, expected: datetime | None) -> None:
    assert parse_date(text) == expected


# -- language, URL -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("en-US", "en"), ("pt_BR", "pt"), ("DE", "de"), ("jp", "ja"), ("", None), ("x-klingon", None)],
)
def test_norm_language(value: str, expected: str | None) -> None:
    assert norm_language(value) == expected


def test_language_sources() -> None:
    assert _meta(html_attrs='lang="en-GB"').language == "en"
    assert _meta(html_attrs='xml:lang="es"').language == "es"
    assert _meta('<meta property="og:locale" content="pt_BR">').language == "pt"
    head = '<meta http-equiv="Content-Language" content="ru">'
    assert _meta(head).language == "ru"
    assert _meta().language is None


def test_canonical_resolved_against_base_url() -> None:
    head = '<link rel="canonical" href="/news/story-1.html">'
    assert _meta(head, base="https://ex.com/a/b?x=1").url == "https://ex.com/news/story-1.html"
    assert _meta(head).url is None  # relative, nothing to resolve it against


def test_og_url_fallback_and_base_href() -> None:
    assert _meta('<meta property="og:url" content="https://ex.com/s">').url == "https://ex.com/s"
    head = '<base href="https://cdn.ex.com/site/"><link rel="canonical" href="story">'
    assert _meta(head).url == "https://cdn.ex.com/site/story"


def test_empty_page_has_no_metadata() -> None:
    meta = _meta()
    assert meta == Meta()


def test_one_json_ld_walker_for_metadata_and_page_type() -> None:
    """JSON-LD with a raw line break in a string, wrapped in an HTML comment (as CMSs write
    it): the page-type features read the article type the metadata reader reads."""
    script = (
        '<script type="application/ld+json"><!--\n{"@graph": [{"@type": "NewsArticle", '
        '"headline": "Bridge\nreopens", "datePublished": "2024-03-12"}]}\n--></script>'
    )
    tree = document_fromstring(f"<html><head>{script}</head><body><p>x</p></body></html>")
    assert [o.get("@type") for o in json_ld_objects(tree)] == [None, "NewsArticle"]
    assert page_meta(tree).meta.published_at == datetime(2024, 3, 12, tzinfo=UTC)
    assert "newsarticle" in page_features(tree, "https://x.test/a", None).ld_types


_BYLINE_PAGES = [  # each rule of trafilatura's byline search, and what it skips
    '<a rel="author" href="/x">Jane Roe</a>',
    '<span class="author">Jane Roe</span>',
    '<div class="post-author-name">Jane Roe</div>',
    '<p>By <strong itemprop="author name">Jane Roe</strong></p>',
    "<span><rel>me</rel>Jane Roe</span>",
    "<author>Jane Roe</author>",
    '<div data-testid="AuthorCard">Jane Roe</div>',
    '<h4 class="byline">Jane Roe and John Doe</h4>',
    '<span id="zuozhe">王小明</span>',
    '<span class="posted-by">Jane Roe</span>',
    '<li class="ArticleAuthor">Jane Roe</li>',
    '<section data-component="Byline">Jane Roe</section>',
    '<b class="writer">Jane Roe</b>',
    '<div class="comments"><span class="author">A Commenter</span></div><p>Text only.</p>',
    '<aside class="sidebar"><a rel="author">Other Person</a></aside><p class="author">Jo</p>',
    '<figure><span class="author">Photo Credit</span></figure><b class="Byline">Jane Roe</b>',
    '<time class="author">2024-01-02</time><span class="author">Jane Roe</span>',
    '<div id="comments-1"><span class="author">Commenter</span></div>',
    '<span class="author">ab</span><span class="author">Jane Roe</span>',
    "<p>No byline on this page at all.</p>",
    # deleted sections inside the byline: their tails join the text before them, unbroken
    '<span class="author">By<time>today</time>Jane Roe</span>',
    '<div class="author">Jane<figure>x</figure> Roe<time>t</time>, editor</div>',
    '<span class="author">Jane<span class="comments">c</span>Roe</span>',
    '<span class="author"><time>t</time><time>u</time>Jane<b>Roe</b><time>v</time>Smith</span>',
    '<span class="author"><b>Jane</b><figure><time>t</time></figure>Roe</span>',
    "<span><rel>m<time>t</time>e</rel>Jane Roe</span>",
    '<div class="comments">c<time>t</time>d</div><span class="author">Jo Lee</span>',
]


@pytest.mark.parametrize("body", _BYLINE_PAGES)
def test_byline_author_finds_what_trafilaturas_search_finds(body: str) -> None:
    # the walk stands in for trafilatura's XPath search: same answer, the tree left alone
    from trafilatura.metadata import extract_author

    from crawler.extract.html_meta import byline_author

    page = f"<html><head><title>t</title></head><body><article>{body}</article></body></html>"
    tree: HtmlElement = document_fromstring(page)
    before = len(list(tree.iter()))
    assert byline_author(tree) == extract_author(document_fromstring(page))
    assert len(list(tree.iter())) == before


def test_byline_author_copies_no_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    # the sections trafilatura deletes from a deep copy are skipped instead: no copy of the page
    import copy

    from crawler.extract.html_meta import byline_author

    copies = []
    real = copy.deepcopy
    monkeypatch.setattr(copy, "deepcopy", lambda *a, **k: copies.append(1) or real(*a, **k))
    body = '<div class="comments"><span class="author">X Y</span></div><span class="author">Jo Lee</span>'
    tree = document_fromstring(f"<html><body><article>{body}</article></body></html>")
    assert byline_author(tree) == "Jo Lee"
    assert copies == []
