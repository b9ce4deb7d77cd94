"""The news spider: from start pages, sitemaps and feeds to article pages.

Every HTML page is classified (`crawler.crawl.pagetype`): articles become items for the pipeline,
listing pages are only followed (and reported by URL). Links are canonicalized before they are
requested, so one article under several tracking-decorated URLs is fetched once. What the
dataset already knows is not requested and not counted against `max_pages`: stored URLs, URLs
that answered 404/410 lately and listing pages seen lately (`crawler.store.urlstate`); the URLs
found gone or listing are handed to the commit (`url_states`).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.response import get_base_url
from twisted.python.failure import Failure
from w3lib.encoding import http_content_type_encoding

from crawler.crawl.failures import failure_reason
from crawler.crawl.feeds import parse_url_list
from crawler.crawl.items import PageItem
from crawler.crawl.links import host, join_url, not_a_page
from crawler.crawl.log import CrawlLog
from crawler.crawl.middlewares import PAGE_META, REVISIT_META
from crawler.crawl.pagetype import classify, page_tree
from crawler.crawl.redact import redact
from crawler.crawl.sources import Source
from crawler.dedup.index import load_seen_urls
from crawler.errors import Drop
from crawler.extract.urls import canonicalize_url, host_of, in_domains, url_shape
from crawler.readers.decode import codec_name, page_encoding, sniff_bytes
from crawler.run_types import RunContext
from crawler.store.dataset import Dataset
from crawler.store.urlstate import (
    ARTICLE,
    GONE,
    LISTING,
    RevisitPolicy,
    UrlState,
    load_url_states,
    state_rows,
    utcnow,
)

_IGNORED_SUFFIXES = tuple(f".{ext}" for ext in IGNORED_EXTENSIONS)
_PRIORITY_ARTICLE = 10  # links matching the source's article pattern go first
_HTML_TYPES = ("text/html", "application/xhtml+xml", "application/vnd.wap.xhtml+xml")


class NewsSpider(Spider):
    """Crawls the configured sources (CORPUS_SOURCES: a list of `Source.to_dict()`)."""

    name = "news"

    def __init__(self, sources: list[Source], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sources = {s.name: s for s in sources}
        self.patterns = {
            s.name: re.compile(s.article_pattern) for s in sources if s.article_pattern
        }
        self.allowed_domains = sorted({d for s in sources for d in s.allowed_domains})
        self._requested: set[str] = set()
        self._max_bytes = 10 * 1024 * 1024
        self._max_per_shape = 50
        self._seen: set[str] = set()  # canonical URLs already in the dataset
        self._states: dict[
            str, UrlState
        ] = {}  # what earlier crawls learnt (crawler.store.urlstate)
        self._policy = RevisitPolicy.of(30.0, 12.0)
        self._now = utcnow()
        # url -> (state, status, etag, last_modified) found this crawl
        self._found: dict[str, tuple[str, int, str | None, str | None]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        sources = [Source.from_dict(d) for d in crawler.settings.getlist("CORPUS_SOURCES")]
        spider = super().from_crawler(crawler, *args, sources=sources, **kwargs)
        spider._max_bytes = crawler.settings.getint("DOWNLOAD_MAXSIZE") or spider._max_bytes
        spider._max_per_shape = crawler.settings.getint("CORPUS_MAX_PAGES_PER_SHAPE", 50)
        ctx = crawler.settings.get("CORPUS_RUN_CONTEXT")
        if isinstance(ctx, RunContext):
            spider._policy = RevisitPolicy.of(
                ctx.settings.gone_retry_days, ctx.settings.listing_revisit_hours
            )
        root = crawler.settings.get("CORPUS_DATASET")
        if root:
            dataset = Dataset(root)
            spider._seen = load_seen_urls(dataset)
            spider._states = load_url_states(dataset)
        return spider

    def url_states(self, run_id: str) -> Any:
        """The `_index/urls` rows of this crawl (a pyarrow Table), for the run's commit."""
        return state_rows(self._found, run_id, self._now)

    @property
    def log_(self) -> CrawlLog:
        return CrawlLog.of(self.crawler)

    def _state(self, key: str) -> dict[str, Any]:
        """One of the counters kept in spider.state (saved in JOBDIR by Scrapy), so a resumed
        job goes on counting."""
        if getattr(self, "state", None) is None:
            self.state: dict[str, Any] = {}
        counters: dict[str, Any] = self.state.setdefault(key, {})
        return counters

    async def start(self) -> AsyncIterator[Any]:
        for source in self.sources.values():
            for url in (*source.sitemaps, *source.feeds):
                yield Request(
                    url,
                    callback=self.parse_url_list,
                    errback=self.failed,
                    meta={"source": source.name},
                )
            for url in source.start_urls:  # entry points: fetched whatever was seen before
                request = self.page_request(source, url, hops=0, always=True)
                if request is not None:
                    yield request

    def page_request(
        self,
        source: Source,
        url: str,
        hops: int,
        *,
        dated: datetime | None = None,
        always: bool = False,
    ) -> Request | None:
        """A request for an HTML page of this source, or None (off-site, seen, over limits).

        `dated`: when a sitemap or feed says the page last changed; `always`: a start URL."""
        canonical = canonicalize_url(url)
        if canonical is None or canonical in self._requested:
            return None
        if not in_domains(host(canonical), source.allowed_domains):
            return None
        if canonical.split("?", 1)[0].lower().endswith(_IGNORED_SUFFIXES):
            return None
        known = redact(canonical)  # the dataset keeps URLs redacted
        state = self._states.get(known)
        stored = known in self._seen
        revisit = stored and self._policy.recheck(state, dated)  # dated after its last fetch
        skip = "already_in_dataset" if stored and not revisit else None
        if skip is None and not always and not revisit:
            skip = self._policy.skip_reason(state, self._now, dated)
        if skip is not None:  # neither fetched nor counted against max_pages
            self._requested.add(canonical)
            self.log_.note(canonical, "skipped", skip)
            return None
        if hops > 0 and self._in_link_trap(source, canonical):
            return None
        counts: dict[str, int] = self._state("requested")
        if counts.get(source.name, 0) >= source.max_pages:
            self.crawler.stats.inc_value("corpus/skipped/max_pages")
            return None
        counts[source.name] = counts.get(source.name, 0) + 1
        self._requested.add(canonical)
        pattern = self.patterns.get(source.name)
        meta: dict[str, Any] = {"source": source.name, "hops": hops, PAGE_META: True}
        headers = {}
        if revisit:  # ask for it only if it changed: an unchanged page answers 304, no body
            meta.update({REVISIT_META: True, "handle_httpstatus_list": [304]})
            headers = state.validators() if state is not None else {}
        return Request(
            canonical,
            callback=self.parse_page,
            errback=self.failed,
            priority=_PRIORITY_ARTICLE if pattern and pattern.search(canonical) else 0,
            meta=meta,
            headers=headers,
        )

    def _in_link_trap(self, source: Source, url: str) -> bool:
        """True for a followed link past CORPUS_MAX_PAGES_PER_SHAPE pages of one URL shape
        (`crawler.extract.urls.url_shape`) that has given no article: an endless calendar, or a page
        under endless parameter variants. Shapes of article pages, and links matching the
        source's article pattern, are never limited; sitemap and feed entries are not links."""
        pattern = self.patterns.get(source.name)
        shape = url_shape(url)
        if (pattern and pattern.search(url)) or shape in self._state("article_shapes"):
            return False
        counts: dict[str, int] = self._state("shapes").setdefault(source.name, {})
        seen = counts.get(shape, 0)
        counts[shape] = seen + 1
        if seen < self._max_per_shape:
            return False
        if seen == self._max_per_shape:  # one event per shape; the others are counted
            limit = f"more than {self._max_per_shape} pages shaped {shape}"
            self.log_.note(url, "skipped", "link_trap", limit)
        else:
            self.crawler.stats.inc_value("corpus/skipped/link_trap")
        return True

    def parse_url_list(self, response: Response) -> Iterator[Request]:
        """A sitemap (index) or an RSS/Atom feed: request what it lists."""
        source = self.sources[response.meta["source"]]
        try:
            listed = parse_url_list(response.body, self._max_bytes)
        except Drop as drop:
            self.log_.note(response.url, "skipped", str(drop.reason), drop.detail)
            return
        if listed.kind == "unknown":
            self.log_.note(response.url, "skipped", "not_a_sitemap_or_feed")
            return
        self.crawler.stats.inc_value(f"corpus/pages/{listed.kind}")
        for url in listed.sitemaps:
            canonical = canonicalize_url(url)
            if canonical and in_domains(host_of(canonical), source.allowed_domains):
                yield Request(
                    canonical,
                    callback=self.parse_url_list,
                    errback=self.failed,
                    meta={"source": source.name},
                )
        for url in listed.pages:
            request = self.page_request(source, url, hops=0, dated=listed.dates.get(url))
            if request is not None:
                yield request

    def parse_page(self, response: Response) -> Iterator[PageItem | Request]:
        """An HTML page: an item when it is an article; its links followed either way."""
        source = self.sources[response.meta["source"]]
        if response.status == 304:  # a revisit of a stored article that has not changed
            self.crawler.stats.inc_value("corpus/not_modified")
            self.log_.note(response.url, "skipped", "not_modified", "304 to a conditional request")
            known = self._states.get(redact(canonicalize_url(response.url) or response.url))
            etag, modified = _validators(response)
            if known is not None:
                etag, modified = etag or known.etag, modified or known.last_modified
            self._remember(response.url, ARTICLE, 304, etag, modified)
            return
        ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        if not isinstance(response, TextResponse):
            self.log_.note(response.url, "skipped", "not_html", ctype)
            return
        junk = sniff_bytes(response.body)
        if junk:
            self.log_.note(response.url, "skipped", junk, response.body[:16].hex())
            return
        if not isinstance(response, HtmlResponse):  # an explicit non-HTML type: text/plain...
            self.log_.note(response.url, "skipped", "not_html", ctype)
            return
        if ctype.split(";", 1)[0].strip().lower() not in _HTML_TYPES:
            # a generic type (application/octet-stream, none): Scrapy saw HTML in the URL or body
            sniffed = ctype or "no Content-Type"
            self.log_.note(response.url, "recovered", "content_type_sniffed", sniffed)
        # one parse for the page type, the canonical URL and the links (not parsel's selector)
        root = page_tree(response.text, get_base_url(response))
        kind = classify(root, response.url, self.patterns.get(source.name))
        self.crawler.stats.inc_value(f"corpus/pages/{kind.kind}")
        if kind.kind == "listing":
            self.log_.note(response.url, "skipped", "listing", f"page type score {kind.score}")
            self._remember(response.url, LISTING, response.status)
        else:
            self._state("article_shapes")[url_shape(response.url)] = True
            self._remember(response.url, ARTICLE, response.status, *_validators(response))
            yield PageItem(
                url=redact(response.url),
                canonical_url=redact(self._canonical(response, root)),
                body=response.body,
                charset=self._charset(response, ctype),
                source=source.name,
                revisit=bool(response.meta.get(REVISIT_META)),
            )
        hops = int(response.meta.get("hops", 0))
        if hops >= source.max_depth:
            self.crawler.stats.inc_value("corpus/skipped/max_depth")
            return
        base = get_base_url(response)  # (Scrapy's `response.urljoin`, once per distinct href)
        joined: dict[str, str] = {}
        for link in root.iter("a"):  # (as `//a[@href]`: lxml's C filter, no XPath)
            if link.get("href") is None:
                continue
            if "nofollow" in (link.get("rel") or "").lower() or link.get("download") is not None:
                continue
            href = str(link.get("href"))
            url = joined.get(href) or joined.setdefault(href, join_url(base, href))
            if not_a_page(url):
                self.crawler.stats.inc_value("corpus/links_not_followed/not_a_page")
                continue
            request = self.page_request(source, url, hops + 1)
            if request is not None:
                yield request

    def _charset(self, response: HtmlResponse, ctype: str) -> str | None:
        """The charset the server declares, for the pipeline's `decode_bytes` (which reads
        files by the same policy); one the page contradicts is reported as recovered."""
        declared = http_content_type_encoding(ctype)
        if declared is None:
            return None
        encoding = page_encoding(response.body, declared)
        if encoding and encoding != codec_name(declared):
            detail = f"{ctype}; decoded as {encoding}"
            self.log_.note(response.url, "recovered", "charset_mismatch", detail)
        return declared

    @staticmethod
    def _canonical(response: HtmlResponse, root: Any) -> str:
        """The page's rel=canonical (http/https only), else its canonicalized URL."""
        for link in root.iter("link"):
            if link.get("href") is None:
                continue
            rels = (link.get("rel") or "").lower().split()
            if "canonical" in rels:
                declared = canonicalize_url(link.get("href"), base=response.url)
                if declared:
                    return declared
        return canonicalize_url(response.url) or response.url

    def failed(self, failure: Failure) -> None:
        """Errback: record why a request produced no page."""
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        exc = failure.value or Exception("unknown failure")
        outcome, reason = failure_reason(exc)
        self.log_.note(url, outcome, reason, str(exc) or type(exc).__name__)
        if (
            isinstance(exc, HttpError)
            and exc.response.status in (404, 410)
            and request is not None
            and request.meta.get(PAGE_META)
        ):
            self._remember(request.url, GONE, exc.response.status)
            # a missing page does not use up the source's page budget (also across resumes:
            # the counts live in the job's saved state)
            counts: dict[str, int] = self._state("requested")
            name = request.meta.get("source", "")
            counts[name] = max(0, counts.get(name, 0) - 1)

    def _remember(
        self,
        url: str,
        state: str,
        status: int,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        canonical = canonicalize_url(url)
        if canonical is not None:
            self._found[redact(canonical)] = (state, status, etag, last_modified)


def _validators(response: Response) -> tuple[str | None, str | None]:
    """The response's ETag and Last-Modified headers (None when absent)."""
    etag = response.headers.get(b"ETag")
    modified = response.headers.get(b"Last-Modified")
    return (
        etag.decode("latin-1") if etag else None,
        modified.decode("latin-1") if modified else None,
    )
