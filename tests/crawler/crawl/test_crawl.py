"""Crawls of the fixture news site (tests/newssite.py) on 127.0.0.1: what is stored, what is
skipped and why, re-crawls, pause and resume. Each crawl runs in a child process (~4-7 s)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from helpers import EVAL
from newssite import FAST, NewsSite, serve, site_job, static_site

from crawler.crawl.job import CrawlJob, run_crawl_job
from crawler.crawl.report import CrawlReport
from crawler.crawl.sources import Source
from crawler.dedup.index import INDEX_INPUTS_SCHEMA
from crawler.record import RECORDS_SCHEMA, REJECTS_SCHEMA
from crawler.store.dataset import Dataset

pytestmark = pytest.mark.slow  # every test here crawls

N_ARTICLES = 32
DEV_HTML = EVAL / "dev" / "html"


@pytest.fixture(scope="module")
def site() -> Iterator[NewsSite]:
    with serve(N_ARTICLES) as news:
        yield news


@pytest.fixture(scope="module")
def first(site: NewsSite, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CrawlReport]:
    out = tmp_path_factory.mktemp("crawl") / "corpus"
    return out, run_crawl_job(site_job(site, out), capture_log=True)


LISTINGS = ["/", "/page/2/", "/page/3/", "/section/asia/", "/section/europe/", "/section/world/"]
LISTINGS += ["/tag/taliban/"]


def article_urls(site: NewsSite) -> set[str]:
    regular = {site.url(f"/articles/a-{i:04d}.html") for i in range(N_ARTICLES)}
    return regular | {site.url("/articles/flaky.html")}


def records(out: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = Dataset(out).read("records", RECORDS_SCHEMA).to_pylist()
    return rows


def test_stores_exactly_the_articles(site: NewsSite, first: tuple[Path, CrawlReport]) -> None:
    out, report = first
    rows = records(out)
    assert report.finished and report.finish_reason == "finished"
    # the paywalled stub declares an article: the chain judges it (it is not a listing)
    paywall = site.url("/articles/paywall.html")
    assert sorted(r["url"] for r in rows if r["url"] != paywall) == sorted(article_urls(site))
    assert {r["source_kind"] for r in rows} == {"crawl"}
    assert report.summary["added"] == len(rows) >= N_ARTICLES + 1
    assert report.crawl["stored"] == len(rows)
    # listing pages (home, 2 more pages, 3 sections, the tag page that claims og:type article)
    # are followed but not stored; the about page shows no list: the chain rejects it
    assert report.crawl["listings"] == 7
    assert report.reasons("dropped")["too_short"] == [site.url("/about.html")]
    assert not any("/section/" in r["url"] or "/tag/" in r["url"] for r in rows)
    # the article without any metadata (a-0005) is recognised by its prose
    assert site.url("/articles/a-0005.html") in {r["url"] for r in rows}
    assert "paywall.html" not in str(report.reasons("skipped"))
    # every listing page is in the report by URL
    listed = sorted(u.removeprefix(site.base) for u in report.reasons("skipped")["listing"])
    assert listed == LISTINGS and len(listed) == report.crawl["listings"]


def test_one_article_under_several_urls_is_one_record(
    site: NewsSite, first: tuple[Path, CrawlReport]
) -> None:
    out, report = first
    rows = {r["url"]: r for r in records(out)}
    # linked as ?utm_source=home&utm_medium=web&fbclid=XYZ from the home page, and as
    # ?utm_source=rss from the feed: requested once, under its canonical URL
    assert site.fetched("/articles/a-0007.html") == {"/articles/a-0007.html": 1}
    tracked = rows[site.url("/articles/a-0007.html")]
    assert tracked["source_uri"] == site.url("/articles/a-0007.html")
    assert site.fetched(f"/articles/a-{N_ARTICLES - 10:04d}") == {
        f"/articles/a-{N_ARTICLES - 10:04d}.html": 1
    }
    # the AMP copy declares rel=canonical to the article: one record, the other URL dropped
    amp, plain = site.url("/amp/articles/a-0003.html"), site.url("/articles/a-0003.html")
    record = rows[plain]
    dropped = report.reasons("dropped")["duplicate_url"]
    assert {record["source_uri"], *dropped} == {amp, plain} and len(dropped) == 1


def test_skips_are_reported_with_their_reason(
    site: NewsSite, first: tuple[Path, CrawlReport]
) -> None:
    _, report = first
    skipped = {k: sorted(v) for k, v in report.reasons("skipped").items()}
    chrome_404 = ["/contact", "/login", "/missing.html", "/privacy", "/subscribe", "/terms"]
    assert skipped == {
        "robots_disallowed": [site.url("/private/a-0033.html")],
        "private_address": [
            "http://10.0.0.1/admin.html",
            "http://169.254.169.254/latest/meta-data/",
        ],
        "redirect_loop": [site.url("/loop/a")],
        "too_large": [site.url("/big.html")],
        "binary": [site.url("/files/report.html")],
        "http_404": sorted(site.url(p) for p in chrome_404),
        "listing": sorted(site.url(p) for p in LISTINGS),
    }
    assert report.crawl["skipped"] == {k: len(v) for k, v in skipped.items()}
    assert report.crawl["errors"] == {} and report.reasons("error") == {}
    assert report.crawl["dropped"] == {"duplicate_url": 1, "too_short": 1}


def test_private_redirects_are_refused_before_connecting(first: tuple[Path, CrawlReport]) -> None:
    _, report = first
    refused = [e for e in report.events if e["reason"] == "private_address"]
    details = sorted(e["detail"] for e in refused)
    assert details[0].startswith("private_address: 10.0.0.1 -> 10.0.0.1 (redirected from")
    assert details[1].startswith("private_address: 169.254.169.254 -> 169.254.169.254")
    # the guard raised before the download: no download error, nothing else was attempted
    assert (
        "downloader/exception_type_count/twisted.internet.error.TCPTimedOutError" not in report.log
    )
    assert report.crawl["errors"] == {}


def test_retries_a_server_error_then_stores_the_page(
    site: NewsSite, first: tuple[Path, CrawlReport]
) -> None:
    out, report = first
    assert site.fetched("/articles/flaky.html") == {"/articles/flaky.html": 2}
    assert report.crawl["retries"] == 1 and report.crawl["status"]["500"] == 1
    assert site.url("/articles/flaky.html") in {r["url"] for r in records(out)}


def test_robots_txt_is_obeyed(site: NewsSite, first: tuple[Path, CrawlReport]) -> None:
    assert site.fetched("/robots.txt") == {"/robots.txt": 1}
    assert site.fetched("/private/") == {}


def test_job_dir_removed_after_a_finished_crawl(first: tuple[Path, CrawlReport]) -> None:
    out, report = first
    assert not Path(report.job_dir).exists()
    assert not (out / "_staging").exists()


def test_second_crawl_fetches_only_the_entry_points(
    site: NewsSite, first: tuple[Path, CrawlReport]
) -> None:
    """A re-crawl of the unchanged site: stored articles, URLs that answered 404 and listing
    pages seen lately are neither fetched nor counted against max_pages."""
    out, _ = first
    before = dict(site.requests)
    again = run_crawl_job(site_job(site, out, max_pages=10), capture_log=True)
    assert again.summary["added"] == 0 and again.crawl["stored"] == 0
    fetched = {p: n - before.get(p, 0) for p, n in site.requests.items() if n > before.get(p, 0)}
    # the entry points, and the pages no table remembers: redirects and refused downloads
    never_stored = ["/big.html", "/files/report.html", "/go/intranet", "/go/metadata"]
    never_stored += ["/loop/a", "/loop/b"]
    entry = ["/", "/feed.xml", "/robots.txt", "/sitemap.xml"]
    assert fetched == dict.fromkeys(entry + never_stored, 1)
    skipped = again.crawl["skipped"]
    assert skipped["already_in_dataset"] >= N_ARTICLES
    assert skipped["known_gone"] == 6 and "http_404" not in skipped
    # linked from the home page (/page/3/ is linked from /page/2/ only, not fetched now)
    assert sorted(again.reasons("skipped")["listing_not_due"]) == sorted(
        site.url(p) for p in LISTINGS if p not in ("/", "/page/3/")
    )
    assert "max_pages" not in skipped  # 10 pages were enough: nothing known used them up
    assert again.summary["unchanged"] == skipped["already_in_dataset"]


# Few requests in flight, so the page limit stops the crawl well before the end even on a
# loaded machine.
STOP_EARLY = {
    "CLOSESPIDER_PAGECOUNT": 12,
    "CONCURRENT_REQUESTS": 2,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
}


def test_requests_waiting_for_robots_txt_are_all_checked(tmp_path: Path) -> None:
    """Many requests arrive before robots.txt does (start URLs, a resumed queue): every one
    of them is checked (Scrapy 2.19 let all but the first through)."""
    with serve(4, traps=False) as site:
        private = [site.url(f"/private/p{i}.html") for i in range(6)]
        job = site_job(site, tmp_path / "corpus")
        source = replace(job.sources[0], start_urls=tuple(private), sitemaps=(), feeds=())
        report = run_crawl_job(replace(job, sources=(source,)), capture_log=True)
        assert site.fetched("/private/") == {}
        assert report.crawl["skipped"]["robots_disallowed"] == len(private)


def test_stopped_crawl_resumes_without_refetching(tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    with serve(N_ARTICLES) as site:
        stopped = run_crawl_job(site_job(site, out, scrapy_settings=STOP_EARLY), capture_log=True)
        assert stopped.finish_reason == "closespider_pagecount" and not stopped.finished
        assert Path(stopped.job_dir, "scrapy", "requests.seen").exists()
        kept = stopped.summary["total_records"]
        assert 0 < kept < N_ARTICLES  # what it had stored is committed

        resumed = run_crawl_job(site_job(site, out), capture_log=True)
        assert resumed.finished and not Path(resumed.job_dir).exists()
        stored = N_ARTICLES + 2  # with the flaky page and the paywalled stub
        assert resumed.summary["total_records"] == stored
        assert resumed.summary["added"] == stored - kept
        fetched_twice = {
            p: n
            for p, n in site.requests.items()
            if n > 1 and p not in ("/articles/flaky.html", "/robots.txt")  # 500, then 200
        }
        assert fetched_twice == {}


def test_chain_rejects_are_dropped_items_and_rejects_rows(tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    with serve(3, traps=False) as site:
        job = site_job(
            site, out, corpus_settings={"min_words": 5000, "min_article_words": 5000}, workers=0
        )
        report = run_crawl_job(job, capture_log=True)
    # the three articles, and the about page (no sign of a list: the chain judges it)
    assert report.crawl["dropped"] == {"too_short": 4}
    assert sorted(report.reasons("dropped")["too_short"]) == [site.url("/about.html")] + [
        site.url(f"/articles/a-{i:04d}.html") for i in range(3)
    ]
    rejects = Dataset(out).read("rejects", REJECTS_SCHEMA).to_pylist()
    assert sorted(r["reason"] for r in rejects) == ["too_short"] * 4
    assert records(out) == []


def dev_site() -> tuple[NewsSite, list[str]]:
    """The 63 eval/dev pages (real articles no one here wrote) under /news/, behind an index
    page that links to each by its title."""
    pages = {f"/news/{p.name}": p.read_bytes() for p in sorted(DEV_HTML.glob("*.html"))}
    links = "".join(
        f"<li><a href='{path}'>{html.escape(_title(body))}</a></li>" for path, body in pages.items()
    )
    pages["/"] = (
        "<!doctype html><html><head><title>Dev pages</title></head><body><h1>All stories</h1>"
        f"<ul>{links}</ul></body></html>"
    ).encode()
    return static_site(pages), sorted(p for p in pages if p != "/")


def _title(body: bytes) -> str:
    found = re.search(rb"<title[^>]*>(.*?)</title>", body, re.S | re.I)
    words = found.group(1).decode("utf-8", "replace").split() if found else []
    return " ".join(words) or "Untitled story"


@pytest.mark.slow
def test_every_real_dev_article_is_stored(tmp_path: Path) -> None:
    """Real pages crawled: every one is stored (19 were judged listings and lost before), and
    every page not stored is in the report with its reason."""
    site, articles = dev_site()
    site.start()
    try:
        out = tmp_path / "corpus"
        # depth 1: the pages' own site-relative links point to pages of their original sites,
        # absent here (404s, which bench/pagetype_real.py counts)
        source = Source(name="dev", start_urls=(site.url("/"),), max_depth=1)
        job = CrawlJob(
            sources=(source,),
            out=str(out),
            scrapy_settings={**FAST, "CONCURRENT_REQUESTS": 16},
            allowed_networks=("127.0.0.0/8",),
        )
        report = run_crawl_job(job, capture_log=True)
    finally:
        site.stop()
    inputs = Dataset(out).read("_index/inputs", INDEX_INPUTS_SCHEMA).to_pylist()
    stored = {r["source_uri"] for r in inputs if r["outcome"] in ("record", "merged")}
    missing = [site.url(p) for p in articles if site.url(p) not in stored]
    not_stored = {e["url"]: e["reason"] for e in report.not_stored()}
    assert missing == [], {u: not_stored.get(u, "?") for u in missing}
    assert not_stored[site.url("/")] == "listing"


def test_the_report_gives_the_crawl_processs_cpu_in_the_crawl_and_in_its_finish(
    first: tuple[Path, CrawlReport],
) -> None:
    """What the benches weigh against the extraction: the crawl process's CPU while crawling
    and in the dedup and commit after it (its workers' not included)."""
    _, report = first
    assert report.summary["added"] > 0
    assert report.crawl["cpu_seconds"] > 0 and report.crawl["finish_cpu_seconds"] > 0
