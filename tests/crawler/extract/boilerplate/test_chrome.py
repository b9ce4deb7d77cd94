"""Interface lines: phrases (multi-language, short lines only) and generic shapes."""

from __future__ import annotations

import pytest

from crawler.extract.boilerplate.chrome import attribution_publisher, chrome_reason, phrase_key
from crawler.extract.boilerplate.lines import features
from crawler.reasons import Removed


def reason(line: str) -> Removed | None:
    return chrome_reason(features(line))


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Share this article", Removed.SHARE),
        ("Auf Facebook teilen", None),  # not a known phrase shape; left to block features
        ("Teilen", Removed.SHARE),
        ("Compartilhar", Removed.SHARE),
        ("Поделиться", Removed.SHARE),
        ("Follow us on Twitter and Instagram", Removed.SHARE),
        ("Sign up for our daily newsletter", Removed.NEWSLETTER),
        ("Stay up to date: subscribe to our newsletter.", Removed.NEWSLETTER),
        ("We use cookies", Removed.COOKIE_NOTICE),
        ("Download the App", Removed.APP_PROMO),
        ("app-storeplay-store", Removed.APP_PROMO),
        ("No comments yet...", Removed.COMMENTS),
        ("34 responses to “A headline”", Removed.COMMENTS),
        ("jbaxt says:", Removed.COMMENTS),
        ("Комментарии", Removed.COMMENTS),
        ("Related Articles", Removed.RELATED_BLOCK),
        ("Leia também", Removed.RELATED_BLOCK),
        ("Baca juga", Removed.RELATED_BLOCK),
        ("関連記事", Removed.RELATED_BLOCK),
        ("Read more: Alibaba poised to launch listing", Removed.RELATED_BLOCK),
        ("Advertisement", Removed.UI_CHROME),
        ("Publicidade", Removed.UI_CHROME),
        ("Facebook Twitter Email Print", Removed.SHARE),  # a share bar on one line
        ("Lire aussi : Le prix du lait atteint un niveau record", Removed.RELATED_BLOCK),
        (
            "Read more: How a disease changed an entire coastline of the Pacific Northwest",
            Removed.RELATED_BLOCK,
        ),
        (
            "Thanks for reading! Subscribe for free to receive new posts and support my work.",
            Removed.NEWSLETTER,
        ),
        ("Protesters at the rally.Credit...Jane Doe/Agency", Removed.CAPTION),
        ("4 minutes, 45 seconds Read", Removed.READ_TIME),
        ("5 min read", Removed.READ_TIME),
        ("Tempo de leitura: 1 minuto", Removed.READ_TIME),
        ("© 2019 News Nation. All rights reserved.", Removed.LEGAL),
        ("Todos os direitos reservados", Removed.LEGAL),
        ("This post was originally published on 3rd party site", Removed.REPOST_NOTICE),
        ("Originally published on Live Science.", Removed.REPOST_NOTICE),
        ("This article was published by FPIF", Removed.ATTRIBUTION),
        ("Image copyright Getty Images", Removed.CAPTION),
        ("Protesters wore masks (Image: GETTY )", Removed.CAPTION),
        ("1of4 A shopper looks at extension cords", Removed.CAPTION),
        ("Tags: Alibaba, Hong Kong", Removed.NAVIGATION),
        (
            "Filed under: Politics, Elections 2012, Congress, Budget, Taxes, White House",
            Removed.NAVIGATION,
        ),
        ("•••", Removed.UI_CHROME),
    ],
)
def test_chrome_lines(line: str, expected: Removed | None) -> None:
    assert reason(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "Shares of the company fell 5% after it said it would share more data with regulators.",
        "The comments by the minister drew criticism from the opposition on Tuesday evening.",
        "Netflix raised its subscription price by $2 a month for most of its customers.",
        "1/2 tsp ground cloves",
        "Photos which were released online show the actress at a party in Lagos last week.",
        "Search and rescue teams worked through the night to reach the village.",
        "More than two million people subscribe to the service, the company said.",
        "Read more: the report, published on Monday, runs to four hundred pages and is dense.",
        "Share Price",
        "___",
        "85%",
        # a blog's category label glued to the story's one paragraph (a real post lost its body)
        "Filed under: Latest News The production of the two electric cars has been suspended "
        "for lack of demand, according to a business daily. The two models are made in Japan "
        "and sold under two French badges. A recent price cut does not seem to have helped.",
    ],
)
def test_prose_and_content_are_not_chrome(line: str) -> None:
    assert reason(line) is None


def test_phrase_lists_have_no_fragments() -> None:
    """Phrases wrapped over two lines in phrases.py stay one phrase."""
    from crawler.extract.boilerplate.phrases import PHRASES

    flat = {p for ps in PHRASES.values() for p in ps}
    assert "share this story" in flat and "story" not in flat and "wir" not in flat


def test_phrase_key_drops_digits_and_punctuation() -> None:
    assert phrase_key("858 Shares!") == "shares"
    assert phrase_key("Don't Miss") == "don t miss"


@pytest.mark.parametrize(
    ("line", "publisher"),
    [
        ("- This article was published by FPIF", "FPIF"),
        ("✍️ This article is written by the team of The Defense News.", "The Defense News"),
        ("This story was produced by Grist.", "Grist"),
        ("The article was published by nobody in particular yesterday and then some more", None),
    ],
)
def test_attribution_publisher(line: str, publisher: str | None) -> None:
    assert attribution_publisher(line) == publisher
