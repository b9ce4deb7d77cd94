"""Re-crawls: a stored article is asked for again only when the sitemap dates it after its last
fetch, and then conditionally (If-None-Match / If-Modified-Since); a 304 costs no extraction,
a changed text becomes the article's next revision."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from dumpsite import paragraph
from newssite import FAST

from crawler.crawl.job import CrawlJob, run_crawl_job
from crawler.crawl.sources import Source
from crawler.record import RECORDS_SCHEMA, REJECTS_SCHEMA, REVISIONS_SCHEMA
from crawler.store.dataset import Dataset
from crawler.store.urlstate import ARTICLE, load_url_states

pytestmark = pytest.mark.slow  # every test here crawls

PAGES = ("/news/harbour-plan.html", "/news/bridge-vote.html", "/news/school-budget.html")


class RevisitSite:
    """Three articles and a sitemap with lastmod; each page has an ETag (its version) and a
    Last-Modified, and answers a matching If-None-Match with 304."""

    def __init__(self) -> None:
        self.version = dict.fromkeys(PAGES, 1)
        self.lastmod = dict.fromkeys(PAGES, "2026-01-01T00:00:00+00:00")
        self.requests: Counter[tuple[str, int]] = Counter()  # (path, status)
        self.conditional: Counter[str] = Counter()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                site.answer(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def page(self, path: str) -> bytes:
        n = PAGES.index(path)
        paragraphs = [paragraph(10 * n + k) for k in (1, 2, 3)]
        if self.version[path] > 1:  # a correction rewrites the last paragraph
            paragraphs[-1] = paragraph(1000 * self.version[path] + n)
        body = "".join(f"<p>{p}</p>" for p in paragraphs)
        title = f"Article {n} of the harbour gazette"
        return (
            f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            f"{body}</article></body></html>"
        ).encode()

    def sitemap(self) -> bytes:
        entries = "".join(
            f"<url><loc>{self.url(p)}</loc><lastmod>{self.lastmod[p]}</lastmod></url>"
            for p in PAGES
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
        ).encode()

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        headers = {"Content-Type": "text/html; charset=utf-8"}
        if path == "/sitemap.xml":
            status, body, headers = 200, self.sitemap(), {"Content-Type": "application/xml"}
        elif path in PAGES:
            etag = f'"v{self.version[path]}"'
            headers.update(ETag=etag, **{"Last-Modified": format_datetime(_when(path), True)})
            if handler.headers.get("If-None-Match") or handler.headers.get("If-Modified-Since"):
                self.conditional[path] += 1
            if handler.headers.get("If-None-Match") == etag:
                status, body = 304, b""
            else:
                status, body = 200, self.page(path)
        else:
            status, body = 404, b"not here"
        self.requests[(path, status)] += 1
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        if status != 304:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if status != 304:
            handler.wfile.write(body)

    def change(self, path: str, lastmod: str) -> None:
        """A new version of the page (new text, new ETag), dated in the sitemap."""
        self.version[path] += 1
        self.lastmod[path] = lastmod


def _when(path: str) -> Any:
    from datetime import UTC, datetime

    return datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def site() -> Iterator[RevisitSite]:
    news = RevisitSite()
    thread = threading.Thread(target=news.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield news
    finally:
        news.server.shutdown()
        news.server.server_close()


def crawl(site: RevisitSite, out: Path) -> Any:
    source = Source(
        name="gazette",
        sitemaps=(site.url("/sitemap.xml"),),
        allowed_domains=("127.0.0.1",),
        article_pattern=r"/news/",
        max_pages=50,
        max_depth=0,
    )
    job = CrawlJob(
        sources=(source,),
        out=str(out),
        scrapy_settings=dict(FAST),
        allowed_networks=("127.0.0.0/8",),
    )
    return run_crawl_job(job, capture_log=True)


def by_url(out: Path, table: str = "records") -> dict[str, list[dict[str, Any]]]:
    schema = RECORDS_SCHEMA if table == "records" else REVISIONS_SCHEMA
    found: dict[str, list[dict[str, Any]]] = {}
    for row in Dataset(out).read(table, schema).to_pylist():
        found.setdefault(row["source_uri"].rsplit("/", 1)[-1], []).append(row)
    return found


def test_a_recrawl_asks_conditionally_and_stores_a_changed_page_as_a_revision(
    site: RevisitSite, tmp_path: Path
) -> None:
    out = tmp_path / "corpus"
    first = crawl(site, out)
    assert first.finished and len(by_url(out)) == 3
    states = load_url_states(Dataset(out))
    assert {s.state for s in states.values()} == {ARTICLE}
    assert {s.etag for s in states.values()} == {'"v1"'}

    # nothing dated after the first crawl: no page is requested again
    crawl(site, out)
    assert sum(n for (path, _), n in site.requests.items() if path in PAGES) == 3

    # one page changed, one was only re-dated (same ETag): both asked for, conditionally
    site.change(PAGES[0], "2099-01-01T00:00:00+00:00")
    site.lastmod[PAGES[1]] = "2099-01-01T00:00:00+00:00"
    old = by_url(out)["harbour-plan.html"][0]
    third = crawl(site, out)

    assert site.conditional == Counter({PAGES[0]: 1, PAGES[1]: 1})
    assert site.requests[(PAGES[1], 304)] == 1 and site.requests[(PAGES[0], 200)] == 2
    assert third.crawl["skipped"]["not_modified"] == 1
    latest = by_url(out)
    assert len(latest) == 3 and len(latest["harbour-plan.html"]) == 1
    revised = latest["harbour-plan.html"][0]
    assert revised["revision"] == 2 and revised["previous_doc_id"] == old["doc_id"]
    assert revised["text"].endswith(paragraph(2000))
    assert [r["doc_id"] for r in by_url(out, "revisions")["harbour-plan.html"]] == [old["doc_id"]]
    assert load_url_states(Dataset(out))[site.url(PAGES[0])].etag == '"v2"'


def test_a_reprocess_reads_the_crawl_archive_again(site: RevisitSite, tmp_path: Path) -> None:
    from crawler.config import FilterSettings, Settings
    from crawler.run.reprocess import reprocess

    out = tmp_path / "corpus"
    crawl(site, out)
    before = by_url(out)
    manifest = (out / "_manifest.json").read_bytes()

    same = reprocess(out, Settings())  # the archive gives back the crawl's records

    assert same.inputs == 3 and same.vanished == 0 and same.unchanged == 3
    assert not same.committed and (out / "_manifest.json").read_bytes() == manifest

    german_only = reprocess(out, Settings(filters=FilterSettings(["de"])))

    assert german_only.committed and german_only.removed == 3 and by_url(out) == {}
    rejects = Dataset(out).read("rejects", REJECTS_SCHEMA).to_pylist()
    assert {r["source_uri"] for r in rejects} == {r[0]["source_uri"] for r in before.values()}
    assert sum(n for (path, _), n in site.requests.items() if path in PAGES) == 3  # no fetch
