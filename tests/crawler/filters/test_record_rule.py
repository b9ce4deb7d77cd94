"""What a record needs (docs/quality.md): an error page served as a page is rejected as
`soft_404` whatever its length; a text under `min_words` is kept only when its page shows it is
an article (a declared article type, or the prose under the page's headline), down to
`min_article_words`; page dumps show nothing beyond their text, so the floor holds for them.
The pages here are written for these tests, on the pattern of real blogs and news sites."""

from __future__ import annotations

import pytest

from crawler.config import Settings
from crawler.errors import Drop
from crawler.extract.chain import process
from crawler.filters.error_page import ErrorPage
from crawler.filters.length import TooShort
from crawler.model import Document, Meta, PageEvidence, Removal
from crawler.readers.files import RawInput
from crawler.reasons import Rejected

MENU = "".join(
    f"<li><a href='/{w.lower()}/'>{w}</a></li>"
    for w in ("News", "Sport", "Business", "Culture", "Travel", "Podcasts", "Weather", "Shop")
)
SIDEBAR = (
    "<aside class='widget'><h3>About this blog</h3><p>Notes on bikes, bread and the harbour "
    "town I live in. Written on slow mornings since 2009, with coffee and too many photos of "
    "the same lighthouse.</p><h3>Archives</h3><ul><li><a href='/2012/10/'>October 2012</a></li>"
    "<li><a href='/2012/09/'>September 2012</a></li><li><a href='/2012/08/'>August 2012</a></li>"
    "</ul></aside>"
)
FOOTER = (
    "<footer><p>Copyright 2012 Harbour Notes. All rights reserved. Powered by a blog engine "
    "and a lot of tea.</p><a href='/privacy/'>Privacy</a> <a href='/contact/'>Contact</a></footer>"
)
SHORT_POST = (
    "Fog rolled in before noon and the ferry stayed in port. Photos of the empty quay below."
)


def page(title: str, main: str, head: str = "") -> str:
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>{head}"
        f"</head><body><header><a href='/'>Harbour Notes</a><nav><ul>{MENU}</ul></nav></header>"
        f"<div id='content'>{main}</div>{SIDEBAR}{FOOTER}</body></html>"
    )


def run(text: str, kind: str = "html", settings: Settings | None = None) -> Document:
    uri = "http://blog.test/2012/11/fog.html" if kind == "html" else "file:///fog.txt"
    return process(RawInput(uri, kind, text, len(text)), settings or Settings())


def rejected(text: str, kind: str = "html", settings: Settings | None = None) -> Drop:
    with pytest.raises(Drop) as caught:
        run(text, kind, settings)
    return caught.value


POST = (
    "<h2 class='post-title'>Fog over the harbour</h2><p class='byline'>by Ana Reyes on "
    "November 3, 2012</p><div class='entry'><p>{body}</p><img src='/quay.jpg' alt=''></div>"
)


def test_a_short_post_under_its_headline_is_a_record() -> None:
    doc = run(page("Fog over the harbour | Harbour Notes", POST.format(body=SHORT_POST)))
    assert doc.word_count < 30 and "ferry stayed in port" in doc.text
    assert doc.evidence is not None and any("ferry" in lead for lead in doc.evidence.leads)


def test_a_short_post_of_a_page_that_declares_an_article_is_a_record() -> None:
    main = "<h1>Quay</h1><div class='entry'><p>Wow. Just wow.</p><p>[via a friend]</p></div>"
    head = "<meta property='og:type' content='article'>"
    doc = run(page("Quay | Harbour Notes", main, head))
    assert doc.evidence is not None and doc.evidence.declared_article
    assert doc.word_count >= 5


def test_the_same_short_text_without_article_evidence_is_too_short() -> None:
    # the sentence sits under no headline: a site's motto or a widget's blurb, not a post
    main = f"<div class='promo'><p>{SHORT_POST}</p></div>"
    drop = rejected(page("Harbour Notes", main))
    assert drop.reason == Rejected.TOO_SHORT
    assert "no article evidence" in drop.detail
    # a byline under the headline is no evidence: chrome-only pages of article sites have one
    main = (
        "<h2>Fog over the harbour</h2><p>By Ana Reyes on November 3, 2012. Filed under "
        "Weather.</p><div class='entry'><img src='/quay.jpg' alt=''></div>"
    )
    drop = rejected(page("Fog over the harbour | Harbour Notes", main))
    assert "no article evidence" in drop.detail
    # nor is a listing's title followed by its list, with prose further down
    items = "".join(
        f"<li><a href='/2012/11/p{i}.html'>Post number {i} about the harbour</a></li>"
        for i in range(4)
    )
    main = f"<h1>Tagged: harbour</h1><ul>{items}</ul><p>{SHORT_POST}</p>"
    drop = rejected(page("Tagged: harbour | Harbour Notes", main))
    assert "no article evidence" in drop.detail


def test_evidence_lowers_the_floor_to_min_article_words_only() -> None:
    main = POST.format(body="Fog again. Ferry late.")  # 11 words with the byline
    html = page("Fog over the harbour | Harbour Notes", main)
    assert run(html).word_count == 11
    drop = rejected(html, settings=Settings(min_words=30, min_article_words=12))
    assert drop.reason == Rejected.TOO_SHORT
    assert drop.detail == (
        "11 words left after cleaning (min 30; 12 for an article: headline over its prose)"
    )
    settings = Settings(min_words=30, min_article_words=30)  # evidence switched off
    post = page("Fog over the harbour | Harbour Notes", POST.format(body=SHORT_POST))
    assert "no article evidence" not in rejected(post, settings=settings).detail
    assert TooShort(10, 50).min_article_words == 50  # from_settings caps it at min_words
    assert TooShort.from_settings(Settings(min_words=10, min_article_words=50)) == TooShort(10, 10)


def test_a_page_dump_keeps_the_floor() -> None:
    dump = f"Fog over the harbour\nby Ana Reyes on November 3, 2012\n{SHORT_POST}\n"
    drop = rejected(dump, kind="text")
    assert drop.reason == Rejected.TOO_SHORT and "no article evidence" in drop.detail


SORRY = (
    "<h1>{h1}</h1><p>Sorry, the page you are looking for could not be found. It may have been "
    "moved or deleted, or the address may be mistyped.</p><p><a href='/'>Back to the home "
    "page</a> or try a search.</p>"
)


@pytest.mark.parametrize(
    ("title", "h1"),
    [
        ("Page not found | Harbour Notes", "Page not found"),
        ("Harbour Notes", "Oops! That page can't be found."),
        ("404 | Harbour Notes", "Nothing here"),
        ("Seite nicht gefunden - Hafenblog", "Fehler 404"),
        ("Página no encontrada", "Lo sentimos"),
    ],
)
def test_an_error_page_is_a_soft_404_whatever_its_length(title: str, h1: str) -> None:
    html = page(title, SORRY.format(h1=h1))
    drop = rejected(html, settings=Settings(min_words=0))
    assert drop.reason == Rejected.SOFT_404 and "error page" in drop.detail


def test_an_error_message_alone_is_a_soft_404_in_a_dump_too() -> None:
    dump = "Harbour Notes\nHome\nSorry, the page you are looking for could not be found.\n"
    assert rejected(dump, kind="text", settings=Settings(min_words=0)).reason == "soft_404"


def test_stories_about_missing_things_or_errors_are_not_error_pages() -> None:
    check = ErrorPage().check
    for title in (
        "Missing hiker not found after storm",
        "Flight 404 lands safely in Lisbon",
        "Oops! Apple did it again",
        "The page that changed the web",
    ):
        doc = Document("u", "html", SHORT_POST, meta=Meta(title=title), word_count=15)
        assert check(doc) is None, title
    long_text = " ".join(["The error page is as old as the web itself."] * 25)
    about_404 = Document(
        "u", "html", long_text, meta=Meta(title="404: Page not found, a history"), word_count=250
    )
    assert check(about_404) is None  # an article about the error, not one
    geo_blocked = Document(  # a video player's message in an article's chrome
        "u",
        "html",
        SHORT_POST,
        meta=Meta(title="Fog over the harbour"),
        removed=[Removal(3, "Sorry, this content is not available in your country.", "ui_chrome")],
        word_count=15,
    )
    assert check(geo_blocked) is None


def test_an_error_h1_among_the_page_headings_is_read() -> None:
    evidence = PageEvidence(headings=("Harbour Notes", "Harbour Notes", "Page not found"))
    doc = Document("u", "html", "Home News", meta=Meta(title="Harbour Notes"), word_count=2)
    doc.evidence = evidence
    assert ErrorPage().check(doc) == "error page: headline 'Page not found'"


def test_an_error_message_the_cleaner_took_out_still_makes_a_soft_404() -> None:
    # a page dump: the cleaner removes the short message as chrome and keeps the sidebar's prose
    dump = "\n".join(
        [
            "Home",
            "News",
            "Archives",
            "Page not found",
            "Sorry, the page you are looking for could not be found.",
            "Go to the home page",
            "About this blog",
            "Notes on bikes, bread and the harbour town I live in, written on slow mornings "
            "since 2009 with coffee and too many photos of the same lighthouse at dawn.",
            "Copyright 2012 Harbour Notes. All rights reserved.",
        ]
    )
    drop = rejected(dump, kind="text", settings=Settings(min_words=0))
    assert drop.reason == Rejected.SOFT_404
