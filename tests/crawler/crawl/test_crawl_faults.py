"""A crawl of a misbehaving site (tests/newssite.py, faults=True) and of two sites whose
robots.txt fails: the crawl ends within its limits and names every fault with its reason.
One crawl (~10 s) serves most tests; the rest test the parts without a crawl."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from newssite import SECRET, NewsSite, serve, site_job
from scrapy.exceptions import DownloadFailedError, DownloadTimeoutError, ResponseDataLossError
from scrapy.utils.test import get_crawler
from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseNeverReceived
from twisted.web.client import ResponseFailed
from twisted.web.http import _DataLoss

from crawler.crawl.failures import failure_reason
from crawler.crawl.job import run_crawl_job
from crawler.crawl.report import CrawlReport
from crawler.crawl.sources import Source
from crawler.crawl.spiders.news import NewsSpider
from crawler.readers.decode import page_encoding
from crawler.record import RECORDS_SCHEMA
from crawler.store.dataset import Dataset

TRAP_LIMIT = 5
FAULTY = {
    "DOWNLOAD_TIMEOUT": 5,  # the slow pages wait 30 s; a busy machine may take 2 s to answer
    "RETRY_TIMES": 1,  # each fault is tried twice
    "CORPUS_MAX_PAGES_PER_SHAPE": TRAP_LIMIT,
}
# secrets in the crawl process's environment: never in its log or report
SECRET_ENV = {
    "PREFECT_API_KEY": f"pnu_{SECRET}",
    "http_proxy": f"http://proxyuser:{SECRET}@proxy.invalid:3128",
    "no_proxy": "127.0.0.1,localhost",
}


@dataclass
class FaultCrawl:
    site: NewsSite
    robots_500: NewsSite
    robots_slow: NewsSite
    tmp: Path
    out: Path
    report: CrawlReport


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultCrawl]:
    tmp = tmp_path_factory.mktemp("faults")
    out = tmp / "work" / "corpus"
    with (
        pytest.MonkeyPatch.context() as env,
        serve(4, traps=False, faults=True) as site,
        serve(1, traps=False, robots="error") as robots_500,
        serve(1, traps=False, robots="slow") as robots_slow,
    ):
        for name, value in SECRET_ENV.items():
            env.setenv(name, value)
        job = site_job(
            site,
            out,
            max_depth=40,  # the calendar trap, not the depth limit, must be what stops it
            workers=0,  # no worker start-up holding the reactor past DOWNLOAD_TIMEOUT
            http_cache=str(tmp / "cache"),
            scrapy_settings=FAULTY,
        )
        source = replace(
            job.sources[0],
            name="../../../escape",  # a source name is never a path
            start_urls=(site.url("/"), robots_500.url("/"), robots_slow.url("/")),
            feeds=(site.url(f"/feed.xml?token={SECRET}"),),
        )
        report = run_crawl_job(replace(job, sources=(source,)), capture_log=True, timeout=180)
        yield FaultCrawl(site, robots_500, robots_slow, tmp, out, report)


def records(out: Path) -> dict[str, dict[str, Any]]:
    """The records by the URL they were fetched from."""
    rows = Dataset(out).read("records", RECORDS_SCHEMA).to_pylist()
    return {r["source_uri"]: r for r in rows}


def test_crawl_finishes_within_its_limits(crawl: FaultCrawl) -> None:
    assert crawl.report.finished and crawl.report.finish_reason == "finished"
    # the slow pages would hold a connection for 30 s, 2 tries each; the calendar never ends:
    # what bounds the crawl is counted, in requests (its time is bench/crawl_faults.py's figure):
    # no URL was asked for more than twice (one retry), the calendar only up to its shape limits
    assert max(crawl.site.requests.values()) <= 1 + FAULTY["RETRY_TIMES"]
    assert len(crawl.site.fetched("/calendar/")) <= 2 * TRAP_LIMIT
    assert crawl.report.summary["added"] == len(records(crawl.out)) > 0


def test_failed_downloads_are_errors_with_their_reason(crawl: FaultCrawl) -> None:
    url = crawl.site.url
    assert {k: sorted(v) for k, v in crawl.report.reasons("error").items()} == {
        "timeout": sorted(
            [
                url("/faults/slow.html"),
                url("/faults/slow.html?api_key=REDACTED"),
                url("/faults/drip.html"),
            ]
        ),
        "connection_reset": [url("/faults/reset.html")],
        "truncated": [url("/faults/truncated.html")],
    }
    assert crawl.report.crawl["errors"] == {"timeout": 3, "connection_reset": 1, "truncated": 1}
    # each fault was tried twice (RETRY_TIMES=1), then given up
    for path in ("slow", "drip", "reset", "truncated"):
        assert crawl.site.requests[f"/faults/{path}.html"] == 2


def test_unavailable_robots_txt_disallows_the_site(crawl: FaultCrawl) -> None:
    """RFC 9309: a robots.txt that answers 5xx or cannot be fetched means complete disallow."""
    refused = {e["url"]: e["detail"] for e in crawl.report.events}
    answered_500 = refused[crawl.robots_500.url("/")]
    timed_out = refused[crawl.robots_slow.url("/")]
    assert "robots.txt answered 500" in answered_500
    assert "robots.txt failed (DownloadTimeoutError" in timed_out
    assert sorted(crawl.report.reasons("skipped")["robots_unavailable"]) == sorted(
        [crawl.robots_500.url("/"), crawl.robots_slow.url("/")]
    )
    # robots.txt asked twice (one retry), nothing else fetched
    assert dict(crawl.robots_500.requests) == {"/robots.txt": 2}
    assert dict(crawl.robots_slow.requests) == {"/robots.txt": 2}


def test_wrong_content_types(crawl: FaultCrawl) -> None:
    """HTML under a generic type (application/octet-stream) is sniffed and used; an explicit
    non-HTML type (text/plain) is believed, as browsers do."""
    report, url = crawl.report, crawl.site.url
    assert report.reasons("recovered")["content_type_sniffed"] == [url("/faults/octet-stream")]
    assert report.reasons("skipped")["not_html"] == [url("/faults/plain.html")]
    assert url("/faults/octet-stream") in records(crawl.out)
    assert url("/faults/plain.html") not in records(crawl.out)


def test_charset_contradicting_the_page_is_overruled(crawl: FaultCrawl) -> None:
    report, url = crawl.report, crawl.site.url
    mismatched = [url("/faults/utf8-under-latin1.html"), url("/faults/cp1252-under-utf8.html")]
    assert sorted(report.reasons("recovered")["charset_mismatch"]) == sorted(mismatched)
    rows = records(crawl.out)
    for page in mismatched:
        text = rows[page]["text"]
        assert "Zürich and São Paulo called the café talks “naïve” — but useful." in text
        assert "Ã" not in text and "\ufffd" not in text


def test_calendar_trap_is_cut_at_the_shape_limit(crawl: FaultCrawl) -> None:
    calendar = crawl.site.fetched("/calendar/")
    by_path = [p for p in calendar if "?" not in p]
    by_query = [p for p in calendar if "?" in p]
    assert len(by_path) == len(by_query) == TRAP_LIMIT  # 40 hops deep, it would go on
    assert all(n == 1 for n in calendar.values())
    traps = [e for e in crawl.report.events if e["reason"] == "link_trap"]
    shapes = sorted(e["detail"].rsplit(" ", 1)[1] for e in traps)
    host = crawl.site.base.split("://", 1)[1]
    assert shapes == [f"{host}/calendar/0/0/", f"{host}/calendar/?month&view"]
    assert crawl.report.crawl["skipped"]["link_trap"] >= len(traps)


def test_secrets_are_never_logged_reported_or_stored(crawl: FaultCrawl) -> None:
    report = crawl.report
    texts = [report.log, json.dumps(report.to_dict())]
    texts += [str(pq.read_table(f).to_pylist()) for f in crawl.out.rglob("*.parquet")]
    texts += [p.read_text("utf-8") for p in crawl.out.rglob("*.json")]
    assert not [text[:80] for text in texts if SECRET in text]  # in the URLs and SECRET_ENV
    # the secrets were used (the site saw them) and what carried them is there, masked
    assert crawl.site.requests[f"/feed.xml?token={SECRET}"] == 1
    slow = crawl.site.url("/faults/slow.html?api_key=REDACTED")
    assert f"Gave up retrying <GET {slow}>" in report.log
    uris = {e["url"] for e in report.events} | set(records(crawl.out))
    assert crawl.site.url("/articles/a-0000.html?access_token=REDACTED") in uris


SAFE_NAME = re.compile(r"^[A-Za-z0-9_=.-]+$")


def test_no_output_path_comes_from_names_or_urls(crawl: FaultCrawl) -> None:
    """The source is named ../../../escape and pages link to ../../etc/passwd: files are
    written only in the dataset (fixed names, run ids, dates) and the HTTP cache (hashes)."""
    assert sorted(p.name for p in crawl.tmp.iterdir()) == ["cache", "work"]
    assert [p.name for p in (crawl.tmp / "work").iterdir()] == ["corpus"]
    for path in crawl.out.rglob("*"):
        parts = path.relative_to(crawl.out).parts
        assert all(SAFE_NAME.match(p) and ".." not in p for p in parts), path
        assert "escape" not in str(path) and "passwd" not in str(path)
    cached = [p.relative_to(crawl.tmp / "cache") for p in (crawl.tmp / "cache").rglob("*")]
    files = [p for p in cached if (crawl.tmp / "cache" / p).is_file()]
    assert files and all(
        p.parts[0] == "news" and re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{40}", "/".join(p.parts[1:3]))
        for p in files
    )


# -- the parts, without a crawl -----------------------------------------------------------------


def _wrapped(exc: Exception, *reasons: BaseException) -> Exception:
    """A Scrapy download error as the HTTP/1.1 handler raises it: Twisted's reasons inside."""
    exc.__cause__ = ResponseFailed([Failure(r) for r in reasons])
    return exc


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (DownloadTimeoutError("Getting x took longer than 2 seconds."), "timeout"),
        (_wrapped(ResponseDataLossError(), ConnectionDone(), _DataLoss()), "truncated"),
        (_wrapped(ResponseDataLossError(), ConnectionLost(), _DataLoss()), "connection_reset"),
        (_wrapped(DownloadFailedError(), ConnectionLost()), "connection_reset"),
        (_wrapped(DownloadFailedError(), ConnectionDone()), "connection_closed"),
        (ResponseNeverReceived([Failure(ConnectionDone())]), "connection_closed"),
        (ValueError("anything else"), "ValueError"),
    ],
)
def test_download_failures_are_named(exc: Exception, reason: str) -> None:
    assert failure_reason(exc) == ("error", reason)


def spider_for(source: Source, **settings: Any) -> NewsSpider:
    values = {
        "CORPUS_SOURCES": [source.to_dict()],
        "EXTENSIONS": {"crawler.crawl.log.CrawlLog": 0},
        **settings,
    }
    crawler = get_crawler(NewsSpider, values)
    crawler._apply_settings()  # builds the extensions (CrawlLog) as a crawl would
    spider = NewsSpider.from_crawler(crawler)
    spider.state = {}  # what Scrapy's SpiderState gives a fresh job
    return spider


def test_page_limit_holds_on_a_fresh_job() -> None:
    source = Source(name="s", start_urls=("http://x.test/",), max_pages=5)
    spider = spider_for(source)
    requested = [spider.page_request(source, f"http://x.test/{n}.html", hops=0) for n in range(9)]
    assert sum(r is not None for r in requested) == 5


def test_link_trap_spares_articles_sitemaps_and_the_article_pattern() -> None:
    source = Source(name="s", start_urls=("http://x.test/",), article_pattern=r"/story/")
    spider = spider_for(source, CORPUS_MAX_PAGES_PER_SHAPE=3)

    def allowed(urls: list[str], hops: int = 1) -> int:
        return sum(spider.page_request(source, u, hops=hops) is not None for u in urls)

    assert allowed([f"http://x.test/cal/{m}/" for m in range(8)]) == 3
    assert allowed([f"http://x.test/cal/?day={m}" for m in range(8)]) == 3  # another shape
    assert allowed([f"http://x.test/cal/{m}/" for m in range(10, 18)], hops=0) == 8  # listed
    assert allowed([f"http://x.test/story/{n}" for n in range(8)]) == 8  # the pattern
    spider._state("article_shapes")["x.test/a/0.html"] = True  # an article had that shape
    assert allowed([f"http://x.test/a/{n}.html" for n in range(8)]) == 8


@pytest.mark.parametrize(
    ("body", "scrapy_encoding", "expected"),
    [
        ("café".encode(), "cp1252", "utf-8"),  # a latin-1 header over UTF-8
        ("<meta charset='windows-1252'>café".encode("cp1252"), "utf-8", "cp1252"),
        ("café".encode("cp1252"), "cp1252", "cp1252"),  # header right, nothing to fix
        (b"plain ascii", "cp1252", "cp1252"),
    ],
)
def test_page_encoding_follows_the_body(body: bytes, scrapy_encoding: str, expected: str) -> None:
    assert page_encoding(body, scrapy_encoding) == expected
