"""Tests for crawler.extract.html: HTML -> article paragraphs + metadata (synthetic pages, offline)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from helpers import ARTICLE_PARAGRAPHS

from crawler.extract.html import Extracted, extract_html

PROSE = ARTICLE_PARAGRAPHS
COMMENT = "I think this bridge is a complete waste of taxpayer money and nobody will ever use it."


def _page(
    head: str = "",
    body: str | None = None,
    *,
    html_attrs: str = 'lang="en"',
    before: str = "",
    after: str = "",
) -> str:
    """A news page: head snippet, an <article> of PROSE (or `body`), extra markup around it."""
    article = body if body is not None else "".join(f"<p>{p}</p>" for p in PROSE)
    return (
        f"<!DOCTYPE html><html {html_attrs}><head><meta charset='utf-8'>{head}</head><body>"
        f"<header><nav><a href='/'>Home</a> <a href='/news'>News</a></nav></header>"
        f"<main>{before}<article>{article}</article>{after}</main>"
        f"<footer><p>Contact us</p></footer></body></html>"
    )


def _ld(obj: object) -> str:
    """A JSON-LD script element."""
    return f'<script type="application/ld+json">{json.dumps(obj)}</script>'


def test_body_paragraphs_one_per_element() -> None:
    result = extract_html(_page())
    assert result.paragraphs == PROSE
    assert result.text == "\n".join(PROSE)
    assert result.meta.language == "en"


def test_metadata_from_json_ld_og_and_canonical() -> None:
    head = (
        "<title>Council approves river bridge | The Riverside Gazette</title>"
        '<meta property="og:title" content="Council approves river bridge | Riverside Gazette">'
        '<meta property="og:site_name" content="Riverside Gazette">'
        '<link rel="canonical" href="/2021/03/bridge.html">'
        + _ld(
            {
                "@context": "https://schema.org",
                "@type": "NewsArticle",
                "headline": "Council approves river bridge",
                "author": [{"@type": "Person", "name": "Jane Doe"}, "John Roe"],
                "datePublished": "2021-03-04T10:15:00Z",
            }
        )
    )
    result = extract_html(_page(head), base_url="https://gazette.example/news/x")
    assert result.meta.title == "Council approves river bridge"
    assert result.meta.publisher == "Riverside Gazette"
    assert result.meta.authors == ["Jane Doe", "John Roe"]
    assert result.meta.published_at == datetime(2021, 3, 4, 10, 15, tzinfo=UTC)
    assert result.meta.url == "https://gazette.example/2021/03/bridge.html"
    assert result.meta.date_text is None


def test_headline_repeated_in_body_is_removed() -> None:
    head = "<title>Council approves river bridge - Gazette</title>"
    body = "<h1>Council approves river bridge</h1>" + "".join(f"<p>{p}</p>" for p in PROSE)
    result = extract_html(_page(head, body))
    assert result.meta.title == "Council approves river bridge"
    assert "Council approves river bridge" not in result.paragraphs
    assert result.paragraphs == PROSE
    titles = [r for r in result.removed if r.reason == "title"]
    assert titles and titles[0].text == "Council approves river bridge"


def test_reader_comments_excluded() -> None:
    comments = (
        '<section id="comments" class="comments-area"><h3>3 Comments</h3>'
        f'<ol class="comment-list"><li class="comment"><p>{COMMENT}</p></li></ol></section>'
    )
    result = extract_html(_page(after=comments))
    assert result.paragraphs[: len(PROSE)] == PROSE
    assert not any("waste of taxpayer money" in p for p in result.paragraphs)


def test_lists_and_tables_as_plain_lines() -> None:
    body = (
        "".join(f"<p>{p}</p>" for p in PROSE[:2])
        + "<ul><li>Length: 120 metres</li><li>Width: 6 metres</li></ul>"
        + "<table><thead><tr><th>Year</th><th>Cost</th></tr></thead>"
        + "<tfoot><tr><th>Year</th><th>Cost</th></tr></tfoot>"
        + "<tbody><tr><td>2022</td><td>4.1m</td></tr><tr><td>2023</td><td>2.3m</td></tr></tbody>"
        + "</table>"
        + "".join(f"<p>{p}</p>" for p in PROSE[2:])
    )
    paragraphs = extract_html(_page(body=body)).paragraphs
    assert "Length: 120 metres" in paragraphs
    assert "Width: 6 metres" in paragraphs
    assert "2022 4.1m" in paragraphs
    assert paragraphs.count("Year Cost") == 1  # footer repeating the header is dropped
    assert not any(p.startswith(("- ", "|")) for p in paragraphs)


def test_source_line_breaks_inside_a_paragraph_are_joined() -> None:
    wrapped = [p.replace(", ", ",\n    ") for p in PROSE]
    body = "".join(f"<p>{p}</p>" for p in wrapped)
    assert extract_html(_page(body=body)).paragraphs == PROSE


def test_hover_card_inside_a_paragraph_is_dropped_but_name_kept() -> None:
    card = (
        '<span class="person"><a href="/p/jane">Jane Doe</a><span class="card">'
        '<img src="jane.jpg"><a href="/a/1">Another story about something else entirely</a>'
        '<a href="/a/2">Yet another unrelated story</a><a href="/p/jane">MORE</a></span></span>'
    )
    first = f"<p>The mayor, {card} said on Tuesday that the vote was a turning point.</p>"
    expected = "The mayor, Jane Doe said on Tuesday that the vote was a turning point."
    body = first + "".join(f"<p>{p}</p>" for p in PROSE)
    paragraphs = extract_html(_page(body=body)).paragraphs
    assert paragraphs[0] == expected
    assert not any("unrelated story" in p for p in paragraphs)


def test_bytes_with_cp1252_meta_charset() -> None:
    text = "Caf\u00e9 owners said the \u201cnew\u201d bridge would help \u2013 a lot."
    prose = [*PROSE, text]
    page = _page(body="".join(f"<p>{p}</p>" for p in prose)).replace(
        "<meta charset='utf-8'>",
        '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">',
    )
    result = extract_html(page.encode("cp1252"))
    assert result.paragraphs[-1] == text


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "   \n ",
        b"",
        b"\x00\x01\x02\xff\xfe\x00" * 200,
        bytes(range(256)) * 50,
        "just some plain text, no markup at all",
        "<html></html>",
        "<html><head><title>Only a title</title></head><body></body></html>",
        "<div>" * 5000 + "deep" + "</div>" * 5000,
        "<html><body>" + "<p>unclosed <b>tags <i>everywhere" * 300,
        "<?xml version='1.0' encoding='utf-8'?><rss><channel><item>x</item></channel></rss>",
        "\x00<html>\x00<body><p>nul bytes</p></body></html>",
    ],
)
def test_junk_input_never_raises(junk: str | bytes) -> None:
    result = extract_html(junk)
    assert isinstance(result, Extracted)
    assert isinstance(result.paragraphs, list)


def test_empty_input_has_no_paragraphs() -> None:
    assert extract_html("").paragraphs == []
    assert extract_html(b"").paragraphs == []
    assert extract_html("<html><body></body></html>").paragraphs == []


def test_post_clean_can_be_skipped() -> None:
    result = extract_html(_page(), post_clean=False)
    assert result.paragraphs == PROSE
    assert result.removed == []


def test_embedded_tweet_kept_as_quote() -> None:
    tweet = (
        '<div class="article-widget embed-tweet"><div class="tweet-inner">'
        '<blockquote class="twitter-tweet"><p lang="en">The bridge vote passed tonight, '
        "thank you to everyone who came out to speak at the council meeting.</p>"
        "&mdash; City Council (@council) March 4, 2021</blockquote></div></div>"
    )
    body = "".join(f"<p>{p}</p>" for p in PROSE[:2]) + tweet
    body += "".join(f"<p>{p}</p>" for p in PROSE[2:])
    text = extract_html(_page(body=body)).text
    assert "The bridge vote passed tonight" in text
    assert text.index(PROSE[1]) < text.index("The bridge vote") < text.index(PROSE[2])


@pytest.mark.slow
def test_a_page_over_the_parsers_10_mb_buffer_is_parsed_whole() -> None:
    """libxml2 drops everything after 10 MB of text without enough markup between, unless
    the tree may be huge: two 6 MB scripts, then the article."""
    script = "<script>" + "var a = 1;" * 600_000 + "</script>"
    page = _page(head=script * 2)
    assert extract_html(page).paragraphs[-len(PROSE) :] == PROSE


SENTENCE = "The council voted on Tuesday to expand the bus network across the northern districts."


def test_an_html_fragment_gives_its_text() -> None:
    one_paragraph = f"<p>{' '.join([SENTENCE] * 6)}</p>"  # trafilatura alone returns nothing
    assert extract_html(one_paragraph).paragraphs == [" ".join([SENTENCE] * 6)]
    several = f"<h2>Bus plan</h2><p>{SENTENCE}</p><ul><li>Route 4 <b>extended</b></li></ul>"
    text = " ".join(extract_html(several).paragraphs)
    assert SENTENCE in text and "Route 4 extended" in text


def test_only_fragments_fall_back_to_their_whole_text() -> None:
    from crawler.extract.html import _is_fragment

    assert _is_fragment(f"<p>{SENTENCE}</p>") and _is_fragment(b"<div>x</div>")
    assert not _is_fragment("<!doctype html><HTML lang=en><p>x</p>")
    assert not _is_fragment("<head><title>t</title></head><p>x</p>")
    empty_page = "<html><body><div class='ad'></div><script>var a = 1;</script></body></html>"
    assert extract_html(empty_page).paragraphs == []


def _old_char_ref(ref: re.Match[str]) -> str:
    """The reference filter as first written: the code read, then judged."""
    code = int(ref[1], 16) if ref[1] else int(ref[2])
    refused = (code < 0x20 and code not in (0x09, 0x0A, 0x0D)) or code in (0xFFFE, 0xFFFF)
    return "" if refused else ref[0]


_REFS = [
    *(f"&#{n}" for n in (*range(0, 40), 65533, 65534, 65535, 65536, 165534, 655340)),
    *(f"&#x{n:x}" for n in (*range(0, 40), 0xFFFD, 0xFFFE, 0xFFFF, 0x10000, 0xFFFFE)),
    *(f"&#X{n:X}" for n in (0x0B, 0x1F, 0xFFFE)),
    "&#0000;",
    "&#x0000b",
    "&#00065535;",
    "&#x;",
    "&#;",
    "&#xg",
    "&#12a",
    "&#x1fg",
    "&#&#1;",
    "&#" + "9" * 30,
]


def test_refused_character_references_go_as_before() -> None:
    from crawler.extract.html import _REFUSED_CHAR_REF

    old = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));?")
    for ref in _REFS:
        for text in (ref, ref + ";", f"a{ref} b", f"{ref}{ref};x", ref + "0"):
            assert _REFUSED_CHAR_REF.sub("", text) == old.sub(_old_char_ref, text), text


@pytest.mark.parametrize(
    "page",
    [
        "<html><body><p>plain</p></body></html>",
        "<!DOCTYPE html PUBLIC '-//W3C//DTD XHTML 1.0//EN' 'x/y.dtd'>\n<html><p>x</p></html>",
        "<!doctype html/>",  # no newline: the fix adds one
        "<!DOCTYPE html>\n<html lang='en'/>\n<body><p>x</p></body>",
        "<html>\x01<p>a\x0bb\x1f</p>\ufffe\uffff</html>",
        "<!DOC\x01TYPE html/>\n<html/>\n<p>x\x0c</p>",
        "<html><p>caf\u00e9 \ud800 lone surrogate</p></html>",
        # the doctype fix spliced into the page's bytes: one line, or more, with a slash or not
        "<!DOCTYPE html PUBLIC 'a' 'b/c.dtd'><html><body><p>caf\u00e9 on one line</p></body></html>",
        "<!DOCTYPE html SYSTEM 'x/y.dtd'>\r\n<html>\n<p>\u00e9t\u00e9</p></html>",
        "<!DOCTYPE html>\n<html/>",
        "<!DOCTYPE html>" + "<p>x</p>" * 700 + "\n<html/>",  # the fix looks at 4,096 characters
    ],
)
def test_repaired_page_bytes_are_trafilaturas_repair(page: str) -> None:
    from trafilatura.utils import repair_faulty_html

    from crawler.extract.html import _repaired_utf8

    beginning = page[:50].lower()
    expected = repair_faulty_html(page, beginning).encode("utf-8", "surrogatepass")
    assert _repaired_utf8(page, beginning) == expected


def _fragment_by_bytes(html: str) -> bool:
    """`_is_fragment` as it was: the document tag looked for in the page's UTF-8 bytes."""
    import re

    source = html[:65536].encode("utf-8", "replace")[:65536]
    return re.search(rb"<(html|body|head)[\s>]", source, re.I) is None


@pytest.mark.parametrize(
    "before",
    [
        "",
        "x" * 65530,  # a six-character tag ending at the 65,536th byte, or past it
        "x" * 65531,
        "é" * 32765,  # two bytes a character: the tag within 65,536 characters, past the bytes
        "é" * 32766,
        "€" * 21843 + "x",  # three bytes
        "€" * 21844,
        "\ud800" * 65530,  # a lone surrogate: one byte ("?") once encoded
        "𝕏" * 16382 + "xx",  # four bytes
        "𝕏" * 16383,
    ],
)
@pytest.mark.parametrize(
    "tag", ["<html>", "<BODY\n", "<Head class='x'>", "<html\u00a0", "<html\u2003>", "<htmlx>"]
)
def test_fragments_are_told_as_by_the_page_s_bytes(before: str, tag: str) -> None:
    from crawler.extract.html import _is_fragment

    page = f"{before}{tag}<p>x</p>"
    assert _is_fragment(page) == _fragment_by_bytes(page)
    assert _is_fragment(page.encode("utf-8", "replace")) == _fragment_by_bytes(page)
