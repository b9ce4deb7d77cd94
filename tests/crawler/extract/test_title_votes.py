"""Tests for the headline reconciled from every title signal of an HTML page
(crawler.extract.title_votes through crawler.extract.html_meta.page_meta; synthetic pages)."""

from __future__ import annotations

from lxml.html import HtmlElement, document_fromstring

from crawler.extract.html_meta import headings, page_meta
from crawler.extract.title_votes import agreed_title, outlet_around, segment_runs

_BODY_TEXT = "<p>" + "The article body says something of substance here. " * 6 + "</p>"


def _title(head: str, body: str) -> str | None:
    page = f"<html><head>{head}</head><body>{body}{_BODY_TEXT}</body></html>"
    tree: HtmlElement = document_fromstring(page)
    return page_meta(tree).meta.title


def test_blog_name_prefix_and_logo_heading_are_not_the_headline() -> None:
    # Blogger / TypePad: "<blog>: <post>" in <title>, the blog's name as the page's <h1>
    head = "<title>Field Notes: The false choice of mediocrity</title>"
    body = (
        '<h1><a href="/">Field Notes</a></h1><h2>Riffs on marketing</h2>'
        '<h3 class="entry-header">The false choice of mediocrity</h3>'
    )
    assert _title(head, body) == "The false choice of mediocrity"


def test_outlet_repeated_twice_and_separator_inside_the_headline() -> None:
    declared = "High Scale - High Scale - Not All Regions are Equal - South America Es Bueno"
    head = f"<title>{declared}</title><meta property='og:title' content='{declared}'>"
    body = '<h2 class="title">Not All Regions are Equal - South America Es Bueno</h2>'
    assert _title(head, body) == "Not All Regions are Equal - South America Es Bueno"


def test_site_wide_og_title_loses_to_title_and_heading_agreeing() -> None:
    head = (
        "<title>Vick remains the starter for Sunday - Gridiron.com</title>"
        '<meta property="og:title" content="Official Blog of the Gridiron League">'
        '<meta property="og:site_name" content="Gridiron.com">'
    )
    body = "<h2>Vick remains the starter for Sunday</h2>"
    assert _title(head, body) == "Vick remains the starter for Sunday"


def test_headline_is_returned_as_the_page_shows_it() -> None:
    # <title> lost the ellipsis and has straight quotes; the heading is what readers see
    head = '<title>Stats  Impressive! And "fast" - Virtual Geek</title>'
    body = "<h1>Virtual Geek</h1><h3>Stats… Impressive! And “fast”</h3>"
    assert _title(head, body) == "Stats… Impressive! And “fast”"


def test_category_label_inside_the_heading_is_left_out() -> None:
    head = (
        "<title>Madden curse watch week 9: Lions at Jaguars - Gridiron.com</title>"
        '<meta property="og:title" content="Official Blog of the Gridiron League">'
    )
    body = (
        "<h1>Official Blog of the Gridiron League</h1>"
        "<h2><span>Sidelines</span> Madden curse watch week 9: Lions at Jaguars</h2>"
    )
    assert _title(head, body) == "Madden curse watch week 9: Lions at Jaguars"


def test_a_date_heading_never_wins() -> None:
    head = "<title>Storm hits | Monday, November 5, 2012 10:38 AM</title>"
    body = (
        "<h1>Courier</h1><h2 class='date-header'>Monday, November 5, 2012 10:38 AM</h2>"
        "<h3>Storm hits</h3>"
    )
    assert _title(head, body) == "Storm hits"


def test_agreed_title_needs_two_signals() -> None:
    assert agreed_title(["Storm closes schools | Courier"], []) is None
    assert agreed_title(["Storm closes schools | Courier"], ["Storm closes schools"]) == (
        "Storm closes schools"
    )
    # the site's name never wins, even when it is shown and declared
    assert agreed_title(["Courier: Storm"], ["Courier"], site_names=["Courier.com"]) is None


def test_segment_runs_and_nested_headings() -> None:
    assert segment_runs("A b | C d - E") == [
        "A b",
        "A b | C d",
        "A b | C d - E",
        "C d",
        "C d - E",
        "E",
    ]
    tree = document_fromstring(
        '<html><body><h1 class="title"><span class="headline">Big news</span></h1></body></html>'
    )
    assert headings(tree) == ["Big news"]


def test_the_only_h1_beats_a_differing_seo_title() -> None:
    head = "<title>Cranberry pear stuffing with citrus sauce | How Does She</title>"
    body = "<h1>Turn savory stuffing into bread pudding</h1><h4>Follow us</h4>"
    assert _title(head, body) == "Turn savory stuffing into bread pudding"
    # a lone <h1> that names the site is its logo, not the headline
    head += '<meta property="og:site_name" content="How Does She Blog">'
    assert _title(head, "<h1>How Does She Blog</h1>") == "Cranberry pear stuffing with citrus sauce"


def test_publisher_is_the_declared_title_around_the_agreed_headline() -> None:
    page = (
        "<html><head><title>Field Notes: The false choice of mediocrity</title></head><body>"
        '<h1><a href="/">Field Notes</a></h1><h3>The false choice of mediocrity</h3>'
        f"{_BODY_TEXT}</body></html>"
    )
    meta = page_meta(document_fromstring(page)).meta
    assert (meta.title, meta.publisher) == ("The false choice of mediocrity", "Field Notes")
    assert outlet_around("Post title here | Section | The Site", "Post title here") == "The Site"
    assert outlet_around("Something else | The Site", "Post title here") is None
