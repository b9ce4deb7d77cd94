"""The fetch loop's own work per page (issue 15): what it no longer does for every request, and
that the cheaper ways keep the crawl's behaviour (queue order, pause and resume files)."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.settings import Settings as ScrapySettings
from scrapy.squeues import PickleFifoDiskQueue
from scrapy.utils.misc import is_generator_with_return_value, load_object
from scrapy.utils.test import get_crawler

from crawler.crawl.queues import MemoryFirstDiskQueue
from crawler.crawl.spiders.news import NewsSpider


class _Spider(Spider):
    name = "queue-test"

    def parse(self, response: Any) -> None:
        return None


@pytest.fixture
def crawler() -> Iterator[Crawler]:
    crawler = get_crawler(_Spider)
    crawler.spider = crawler._create_spider()
    yield crawler


def _settings() -> ScrapySettings:
    settings = ScrapySettings()
    settings.setmodule("crawler.crawl.settings", priority="project")
    return settings


def _requests(spider: Spider, n: int, start: int = 0) -> list[Request]:
    return [Request(f"http://example.com/{i}", callback=spider.parse) for i in range(start, n)]


def _scrapy_queue(crawler: Crawler, key: str) -> Any:
    """Scrapy's own PickleFifoDiskQueue at key (what a resumed crawl reads)."""
    return cast(Any, PickleFifoDiskQueue).from_crawler(crawler, key)


def _drain(queue: Any) -> list[str]:
    urls = []
    while (request := queue.pop()) is not None:
        urls.append(request.url)
    return urls


def test_the_scheduler_queue_pickles_no_request_while_the_crawl_runs(
    crawler: Crawler, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    to_dict = Request.to_dict

    def counted(self: Request, *args: Any, **kwargs: Any) -> Any:
        calls.append(self.url)
        return to_dict(self, *args, **kwargs)

    monkeypatch.setattr(Request, "to_dict", counted)
    queue_class = load_object(_settings()["SCHEDULER_DISK_QUEUE"])
    queue = queue_class.from_crawler(crawler, str(tmp_path / "q" / "0"))
    assert crawler.spider is not None
    sent = _requests(crawler.spider, 50)
    for request in sent:
        queue.push(request)
    assert len(queue) == 50
    assert _drain(queue) == [r.url for r in sent]  # first in, first out
    queue.close()
    assert calls == []  # (Scrapy's PickleFifoDiskQueue serialized all 50)


def test_a_stopped_crawls_queue_is_scrapys_disk_queue_in_order(
    crawler: Crawler, tmp_path: Path
) -> None:
    assert crawler.spider is not None
    key = str(tmp_path / "q" / "0")
    queue = MemoryFirstDiskQueue(crawler, key)
    for request in _requests(crawler.spider, 6):
        queue.push(request)
    assert queue.pop() is not None and len(queue) == 5
    queue.close()
    saved = _scrapy_queue(crawler, key)  # what Scrapy's own would read
    assert len(saved) == 5
    saved.close()
    resumed = MemoryFirstDiskQueue(crawler, key)  # a resumed crawl: the saved ones first
    for request in _requests(crawler.spider, 8, start=6):
        resumed.push(request)
    assert resumed.peek() is not None
    assert _drain(resumed) == [f"http://example.com/{i}" for i in range(1, 8)]
    resumed.close()
    assert not Path(key).exists() or len(_scrapy_queue(crawler, key)) == 0


def test_past_its_memory_bound_the_queue_goes_on_on_disk_in_order(
    crawler: Crawler, tmp_path: Path
) -> None:
    assert crawler.spider is not None
    key = tmp_path / "q" / "0"
    queue = MemoryFirstDiskQueue(crawler, str(key), limit=3)
    sent = _requests(crawler.spider, 10)
    for request in sent[:5]:
        queue.push(request)
    assert key.exists()  # the bound was passed: on disk
    assert [queue.pop().url for _ in range(2)] == [r.url for r in sent[:2]]  # type: ignore[union-attr]
    for request in sent[5:]:
        queue.push(request)
    assert _drain(queue) == [r.url for r in sent[2:]]
    for request in sent[:2]:  # the disk part is empty again: memory again
        queue.push(request)
    assert queue._on_disk() == 0 and len(queue) == 2
    queue.close()


def test_scrapy_does_not_reparse_the_callbacks_source_for_every_response() -> None:
    """Scrapy's check for generators that return a value reads and parses the callback's
    source with `ast` nearly every response (its cache dies with each bound method): off. The
    check would find nothing in the spider's callbacks."""
    assert _settings().getbool("WARN_ON_GENERATOR_RETURN_VALUE") is False
    for callback in (NewsSpider.parse_page, NewsSpider.parse_url_list, NewsSpider.failed):
        assert not is_generator_with_return_value(callback)


BASES = [
    "http://h.test/a/b/c.html",
    "https://h.test:8080/x/?q=1#f",
    "http://u:p@h.test/a;p?q",
    "HTTP://H.test/a/",
    "http://h.test",
    "http://h.test?x=1",
    "https://h.test/a/b/../c/",
    "http://[::1]:80/x/y",
    "mailto:x@y",
    "http://h.test/a;x/b;y",
    "http://h.test//a//b",
    "http://h.test/a/b?x=/y/z",
    "http://h.test/a/b#/c/d",
    "http://h.test/a/b\tc/d",
]
HREFS = [
    "/",
    "/a",
    "/a/./b/../c",
    "/a?x=1#y",
    "//other.test/x",
    "http://other.test/x",
    "https://h.test/y?#",
    "HTTP://H.test/Z",
    "http:rel",
    "http:///abs",
    "http://?q",
    "https://#f",
    "rel/x",
    "../up",
    "?q=2",
    "#frag",
    "",
    " /sp",
    "/a b",
    "javascript:void(0)",
    "/%7Euser",
    "ftp://x/y",
    "http://h.test:80/p",
    "../../../../x",
    "./a",
    "..",
    "a;p/b",
    ";p",
    "a?x=1#f",
    "a:b",
    "a/b:c",
    "x/?q=/y",
    "\ta",
    "a\nb",
    "/\n/other.test/x",
]


def test_links_are_joined_as_urljoin_joins_them() -> None:
    """The fetch loop's remembered joins give urljoin's answer, whatever the base's path, and
    for links holding tabs or line ends (urljoin drops them before it reads the link)."""
    from urllib.parse import urljoin

    from crawler.crawl.links import join_url

    for _ in range(2):  # the second time from what was remembered
        for base in BASES:
            for href in HREFS:
                assert join_url(base, href) == urljoin(base, href), (base, href)
    rng = random.Random(15)
    chars = "ab/.:?#;% \t\n-_~=&@[]\u00e9\x00"
    for _ in range(20_000):
        base = rng.choice(BASES[:7]) + "".join(rng.choices(chars, k=rng.randint(0, 4)))
        href = rng.choice(["", "/", "//", "http://"]) + "".join(
            rng.choices(chars, k=rng.randint(0, 8))
        )
        with contextlib.suppress(ValueError):  # (urljoin refuses some: so does join_url)
            assert join_url(base, href) == urljoin(base, href), (base, href)


def test_warc_records_are_those_warcio_writes(tmp_path: Path) -> None:
    """The archive's records, written without warcio's writer, are byte for byte what warcio's
    `WARCWriter` makes of the same request and response (ids and date aside: taken over)."""
    import gzip
    import io
    from datetime import UTC, datetime

    from scrapy.http import HtmlResponse
    from warcio.archiveiterator import ArchiveIterator
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from crawler.crawl.warc_archive import WarcFiles, _headers, _status_line

    body = "<html><body><p>caf\u00e9 \u2013 page</p></body></html>".encode()
    request = Request(
        "http://example.test/a/1.html?x=1", headers={"User-Agent": "corpus", "Accept": "*/*"}
    )
    headers = {"Content-Type": "text/html; charset=UTF-8", "X-Name": "caf\u00e9".encode()}
    response = HtmlResponse(
        request.url, status=404, body=body, request=request, headers=headers, ip_address=None
    )
    files = WarcFiles(tmp_path, "crawl-test", 10**9)
    where = files.write(request, response, datetime(2026, 12, 1, 8, 0, 0, tzinfo=UTC))
    (path,) = files.files()
    ours = gzip.decompress(path.read_bytes())
    assert where.warc_offset == 0 and where.http_charset == "utf-8"

    with open(path, "rb") as stream:
        records = [(r.rec_headers, r.content_stream().read()) for r in ArchiveIterator(stream)]
    (resp_headers, payload), (req_headers, _) = records
    assert payload == body and resp_headers.get_header("WARC-Record-ID").strip("<>") == (
        where.warc_record_id
    )
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False)
    http = StatusAndHeaders(
        _status_line(404), _headers(response.headers.items()), protocol="HTTP/1.1"
    )
    made = writer.create_warc_record(
        response.url,
        "response",
        payload=io.BytesIO(body),
        http_headers=http,
        warc_headers_dict={
            "WARC-Date": "2026-12-01T08:00:00Z",
            "WARC-Record-ID": resp_headers.get_header("WARC-Record-ID"),
        },
    )
    sent = StatusAndHeaders(
        "GET /a/1.html?x=1 HTTP/1.1", _headers(request.headers.items()), is_http_request=True
    )
    asked = writer.create_warc_record(
        request.url,
        "request",
        payload=io.BytesIO(b""),
        http_headers=sent,
        warc_headers_dict={
            "WARC-Date": "2026-12-01T08:00:00Z",
            "WARC-Concurrent-To": resp_headers.get_header("WARC-Record-ID"),
            "WARC-Record-ID": req_headers.get_header("WARC-Record-ID"),
        },
    )
    writer.write_record(made)
    writer.write_record(asked)
    # warcio puts a record id it is given before WARC-Date; ours follow its own order
    expected = out.getvalue().decode("utf-8").split("\r\n")
    got = ours.decode("utf-8").split("\r\n")
    assert sorted(got) == sorted(expected) and len(got) == len(expected)
    assert [line for line in got if not line.startswith("WARC-Record-ID")] == [
        line for line in expected if not line.startswith("WARC-Record-ID")
    ]


LONG_ARTICLE = (
    "<html><head><title>A story</title><meta property='og:type' content='article'>"
    '<script type=\'application/ld+json\'>{"@type": "NewsArticle"}</script></head><body>'
    "<nav><a href='/'>Home</a> <a href='/world/'>World</a></nav><article><h1>A story</h1>"
    + "".join(
        f"<p>Paragraph {i} of the story, long enough to be prose of its own here, with a clause or two more to make sure.</p>"
        for i in range(30)
    )
    + "</article><aside><h2><a href='/articles/other.html'>Another story of the day</a></h2>"
    "</aside></body></html>"
)


def test_the_page_type_reads_only_what_its_score_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A long article is an article by its text alone: its declared types (a JSON-LD parse)
    and the headline above its text are not measured for the score, only when its features
    are asked for, and then they are those `page_features` measures."""
    from crawler.crawl import pagetype

    calls: list[str] = []

    def counted(name: str) -> Any:
        real = getattr(pagetype, name)

        def call(*args: Any) -> Any:
            calls.append(name)
            return real(*args)

        return call

    for name in ("_ld_types", "_headed"):
        monkeypatch.setattr(pagetype, name, counted(name))
    url = "http://x.test/articles/story.html"
    kind = pagetype.classify(pagetype.page_tree(LONG_ARTICLE, url), url)
    assert (kind.kind, kind.score) == ("article", 3)
    assert calls == []  # (the old classifier measured every feature of every page)
    full = pagetype.page_features(pagetype.page_tree(LONG_ARTICLE, url), url, None)
    assert kind.features == full and "newsarticle" in full.ld_types and full.headed_chars > 0


def test_linked_headings_are_those_the_xpath_finds() -> None:
    from lxml import etree

    from crawler.crawl.pagetype import _linked, page_tree

    html = (
        "<html><body><h2><a href='/a'>x</a></h2><h3>no link</h3><div><h4><span><a>y</a>"
        "</span></h4><h2>plain</h2><!-- c --><h3><b><a href='/b'>z</a></b></h3></div></body></html>"
    )
    root = page_tree(html, "http://x.test/")
    for tags, xpath in (
        (("h2", "h3", "h4"), "//*[self::h2 or self::h3 or self::h4][.//a]"),
        (("h2", "h3"), "//*[self::h2 or self::h3][.//a]"),
    ):
        assert _linked(root, *tags) == etree.XPath(xpath)(root)
        assert len(_linked(root, *tags)) >= 2


HIDDEN_TEXT_PAGE = (
    "<html><head><title>t</title><style>p {}</style></head><body><nav class='menu'>Home"
    "<script>var a = 1;</script> <a href='/'>Top <noscript>no js <b>bold</b></noscript></a>"
    "</nav><div><p>Some <span>inline <script>x()</script>text</span> and <em>more "
    "<style>.x {}</style><i>nested</i></em> tail.</p><noscript><div class='share'>Share "
    "<p>inside noscript <script>y()</script></p></div></noscript>after</div>"
    "<footer>  Footer <!-- c --> text </footer></body></html>"
)


def test_visible_text_is_what_the_xpath_finds() -> None:
    """The page type's visible text (cheaper: every text less that of the outermost script,
    style and noscript) is what the XPath `_VISIBLE_TEXT` finds, for every element of a page
    with scripts in inline elements, a noscript holding elements, and elements in them."""
    from newssite import build_site

    from crawler.crawl.pagetype import _VISIBLE_TEXT, _blocks, _text_len, page_tree

    pages = [HIDDEN_TEXT_PAGE, next(iter(build_site("http://x.test", 12).values())).body.decode()]
    for html in pages:
        root = page_tree(html, "http://x.test/")
        for elem in root.iter():
            if isinstance(elem.tag, str):
                expected = sum(len(t.strip()) for t in _VISIBLE_TEXT(elem))
                assert _text_len(elem) == expected, elem.tag
    root = page_tree(HIDDEN_TEXT_PAGE, "http://x.test/")
    texts = {elem.tag: text for elem, text, _ in _blocks(root.find("body"))}
    assert texts["p"] == "Some inline text and more nested tail."
    assert texts["div"] == "after" and texts["footer"] == "Footer text"


OWN_URLS_PAGE = (
    "<html><head><link rel='canonical' href=' /a/story.html#top '><link rel='Canonical' "
    "href='/not-exact.html'><link rel='canonical alternate' href='/two-words.html'>"
    "<link rel='canonical'><meta property='og:url' content='http://x.test/og.html'>"
    "<meta name='og:url' content='/by-name.html'><meta property='og:url'></head><body>"
    "<link rel='canonical' href=''><meta property='og:url' content='../up.html'>"
    "<svg><link rel='canonical' href='/in-svg.html'/></svg></body></html>"
)


def test_a_pages_own_urls_are_those_the_xpath_finds() -> None:
    """The page's declared addresses, found by lxml's tag filter, are those of the XPath
    `//link[@rel='canonical']/@href|//meta[@property='og:url']/@content` (exact values only,
    in the body too, attributes missing or empty), joined as before."""
    from lxml import etree

    from crawler.crawl.links import join_url
    from crawler.crawl.pagetype import _canonical, page_tree

    xpath = etree.XPath(
        "//link[@rel='canonical']/@href|//meta[@property='og:url']/@content", smart_strings=False
    )
    url = "http://x.test/dir/page.html#frag"
    for html in (OWN_URLS_PAGE, LONG_ARTICLE, HIDDEN_TEXT_PAGE):
        root = page_tree(html, url)
        expected = {url.split("#", 1)[0]}
        expected |= {join_url(url, str(h).strip()).split("#", 1)[0] for h in xpath(root)}
        assert _canonical(root, url) == expected
    assert len(_canonical(page_tree(OWN_URLS_PAGE, url), url)) == 5


def test_furniture_is_measured_whole_before_its_visible_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A furniture element whose whole text (hidden and spaces included: one C call) is
    already under half the page's is not walked for its visible text; the verdicts are those
    the visible text gives."""
    from crawler.crawl import pagetype

    url = "http://x.test/articles/story.html"
    measured: list[Any] = []
    real = pagetype._text_len

    def counted(elem: Any) -> int:
        measured.append(elem.tag)
        return real(elem)

    monkeypatch.setattr(pagetype, "_text_len", counted)
    page = (
        "<html><body><nav class='menu'>Home <script>var a = 1;</script><a href='/'>Top</a></nav>"
        f"<p>{'Some words of the article. ' * 20}</p><footer>Footer <b>text</b></footer>"
        "</body></html>"
    )
    root = pagetype.page_tree(page, url)
    layout = pagetype._Layout(root)
    assert measured == ["body"]  # the page's own text, once
    footer, nav = root.find(".//footer"), root.find(".//nav")
    assert layout._furniture(footer) and layout._furniture(nav)
    assert measured == ["body"]  # (the old classifier walked each for its visible text)
    for elem in (footer, nav):
        assert real(elem) < pagetype._WRAPPER_SHARE * layout.page_chars
    # a wrapper holding most of the page is measured, and is no furniture
    wrapper = pagetype.page_tree(
        f"<html><body><div class='sidebar'>{'word ' * 50}</div><p>x</p></body></html>", url
    )
    layout = pagetype._Layout(wrapper)
    assert not layout._furniture(wrapper.find(".//div"))
    assert measured == ["body", "body", "div"]


def test_blocks_inside_the_furniture_are_not_walked() -> None:
    """The page type does not walk the blocks inside furniture (never prose): the furniture
    element's own text is still read; the page's features are unchanged."""
    from crawler.crawl import pagetype

    url = "http://x.test/articles/story.html"
    para = "Some words of a sidebar story that is long enough to be prose. " * 3
    page = (
        f"<html><body><aside class='sidebar'>Own text<div><p>{para}</p></div></aside>"
        f"<article><p>{'Words of the article itself, a sentence. ' * 60}</p></article>"
        "</body></html>"
    )
    root = pagetype.page_tree(page, url)
    layout = pagetype._Layout(root)
    walked = [e.tag for e, _, _ in pagetype._blocks(root.find("body"), layout.encloses_chrome)]
    assert sorted(walked) == ["aside", "p"]  # the article's paragraph, the aside's own text
    every = [e.tag for e, _, _ in pagetype._blocks(root.find("body"))]
    assert every.count("p") == 2 and walked.count("p") == 1
    assert "aside" in walked  # (its own text is read)
    kind = pagetype.classify(root, url)
    assert kind.features == pagetype.page_features(pagetype.page_tree(page, url), url, None)
    assert kind.features.prose_paragraphs == 1
