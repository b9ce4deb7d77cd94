"""Crawls of the fixture news site (tests/newssite.py) on 127.0.0.1: what is stored, what is
skipped and why, re-crawls, pause and resume. Each crawl runs in a child process (~4-7 s)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from newssite import NewsSite, serve, site_job

from crawler.crawljob import run_crawl_job
from crawler.crawlreport import CrawlReport
from crawler.dataset import Dataset
from crawler.record import RECORDS_SCHEMA, REJECTS_SCHEMA

N_ARTICLES = 32


@pytest.fixture(scope="module")
def site() -> Iterator[NewsSite]:
    with serve(N_ARTICLES) as news:
        yield news


@pytest.fixture(scope="module")
def first(site: NewsSite, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CrawlReport]:
    out = tmp_path_factory.mktemp("crawl") / "corpus"
    return out, run_crawl_job(site_job(site, out), capture_log=True)


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
    assert sorted(r["url"] for r in rows) == sorted(article_urls(site))
    assert {r["source_kind"] for r in rows} == {"crawl"}
    assert report.summary["added"] == len(rows) == N_ARTICLES + 1
    assert report.crawl["stored"] == N_ARTICLES + 1
    # listing pages (home, 2 more pages, 3 sections, the tag page that claims og:type article)
    # are followed but not stored; nor are the about page and the paywalled stub (no prose)
    assert report.crawl["listings"] == 9
    assert not any("/section/" in r["url"] or "/tag/" in r["url"] for r in rows)
    # the article without any metadata (a-0005) is recognised by its prose
    assert site.url("/articles/a-0005.html") in {r["url"] for r in rows}
    # the paywalled stub has too little prose to be an article page
    assert site.url("/articles/paywall.html") not in {r["url"] for r in rows}


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
    }
    assert report.crawl["skipped"] == {k: len(v) for k, v in skipped.items()}
    assert report.crawl["errors"] == {} and report.reasons("error") == {}
    assert report.crawl["dropped"] == {"duplicate_url": 1}


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


def test_second_crawl_adds_nothing_and_refetches_no_article(
    site: NewsSite, first: tuple[Path, CrawlReport]
) -> None:
    out, _ = first
    before = site.fetched("/articles/")
    again = run_crawl_job(site_job(site, out), capture_log=True)
    assert again.summary["added"] == 0 and again.summary["total_records"] == N_ARTICLES + 1
    assert again.crawl["stored"] == 0
    # known articles are skipped before fetching; pages never stored are fetched again
    after = site.fetched("/articles/")
    assert {p: n - before[p] for p, n in after.items()} == {
        **{p: 0 for p in before},
        "/articles/paywall.html": 1,
    }
    assert again.crawl["skipped"]["already_in_dataset"] >= N_ARTICLES
    assert again.summary["unchanged"] == again.crawl["skipped"]["already_in_dataset"]


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
        assert resumed.summary["total_records"] == N_ARTICLES + 1
        assert resumed.summary["added"] == N_ARTICLES + 1 - kept
        fetched_twice = {
            p: n
            for p, n in site.requests.items()
            if n > 1 and p not in ("/articles/flaky.html", "/robots.txt")  # 500, then 200
        }
        assert fetched_twice == {}


def test_chain_rejects_are_dropped_items_and_rejects_rows(tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    with serve(3, traps=False) as site:
        job = site_job(site, out, corpus_settings={"min_words": 5000}, workers=0)
        report = run_crawl_job(job, capture_log=True)
    assert report.crawl["dropped"] == {"too_short": 3}
    assert sorted(report.reasons("dropped")["too_short"]) == [
        site.url(f"/articles/a-{i:04d}.html") for i in range(3)
    ]
    rejects = Dataset(out).read("rejects", REJECTS_SCHEMA).to_pylist()
    assert sorted(r["reason"] for r in rejects) == ["too_short"] * 3
    assert records(out) == []
