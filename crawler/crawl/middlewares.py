"""Downloader components of the crawl: robots.txt for every request, retries with backoff,
skipping URLs the dataset already has, and reporting redirect loops caught by the duplicate
filter."""

from __future__ import annotations

import asyncio

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.dupefilters import RFPDupeFilter
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from scrapy.spiders import Spider
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from crawler.crawl.log import CrawlLog
from crawler.crawl.netguard import Refused
from crawler.crawl.redact import redact
from crawler.dedup.index import load_seen_urls
from crawler.extract.urls import canonicalize_url
from crawler.store.dataset import Dataset

PAGE_META = "corpus_page"  # request meta flag: an HTML page (not a sitemap, feed or robots.txt)
REVISIT_META = "corpus_revisit"  # a stored article asked for again, conditionally


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, fixed for requests that wait on a robots.txt download,
    and disallowing a site whose robots.txt cannot be fetched.

    In Scrapy 2.19 every request that arrives while a domain's robots.txt is being fetched
    awaits the same Deferred through `maybe_deferred_to_future`, whose callback passes None down
    the chain: all waiters but the first get no parser and are let through unchecked (seen here
    on a resumed crawl fetching a disallowed page). Each waiter gets its own Deferred instead,
    fed by a callback that hands the parser on unchanged (as before scrapy/scrapy#6802).

    Scrapy reads a robots.txt that answers 5xx as an empty one and lets everything through when
    it cannot be downloaded at all. RFC 9309 (2.3.1.4) asks for the opposite: an unreachable
    robots.txt (server errors, 429, timeouts, resets) means complete disallow. Such a site's
    requests are refused (`robots_unavailable`) for this crawl; the next crawl asks again. A 4xx
    robots.txt still means no rules.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._unavailable: dict[str, str] = {}  # netloc -> why its robots.txt is unavailable

    async def process_request(self, request: Request) -> None:  # type: ignore[override]
        await super().process_request(request)
        why = self._unavailable.get(urlparse_cached(request).netloc)
        if why is not None and not request.meta.get("dont_obey_robotstxt"):
            raise Refused("robots_unavailable", f"{why}: {request.url}")

    async def robot_parser(self, request: Request) -> RobotParser | None:
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if not isinstance(pending, Deferred):
            return await super().robot_parser(request)
        own: Deferred[RobotParser | None] = Deferred()

        def hand_on(parser: RobotParser | None) -> RobotParser | None:
            own.callback(parser)
            return parser

        pending.addCallback(hand_on)
        return await maybe_deferred_to_future(own)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500 or response.status == 429:
            self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
            self._unavailable[netloc] = f"robots.txt answered {response.status}"
            waiting = self._parsers[netloc]
            self._parsers[netloc] = None
            if isinstance(waiting, Deferred):
                waiting.callback(None)
            return
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        self._unavailable[netloc] = f"robots.txt failed ({type(exc).__name__}: {exc})"
        super()._robots_error(exc, netloc)


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries (5xx, 408, 429, timeouts, connection errors), each one after an
    exponential backoff: CORPUS_RETRY_BACKOFF_BASE * 2 ** (attempt - 1) seconds, capped at
    CORPUS_RETRY_BACKOFF_MAX, or the server's numeric Retry-After when it asks for longer."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        mw = super().from_crawler(crawler)
        mw.base = crawler.settings.getfloat("CORPUS_RETRY_BACKOFF_BASE", 1.0)
        mw.cap = crawler.settings.getfloat("CORPUS_RETRY_BACKOFF_MAX", 60.0)
        return mw

    base: float = 1.0
    cap: float = 60.0

    def backoff(self, retry: Request, response: Response | None = None) -> float:
        attempt = int(retry.meta.get("retry_times", 1))
        delay = float(self.base * 2 ** (attempt - 1))
        if response is not None:
            asked = (response.headers.get(b"Retry-After") or b"").decode("latin-1").strip()
            if asked.isdigit():
                delay = max(delay, float(asked))
        return min(delay, self.cap)

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await asyncio.sleep(self.backoff(result, response))
        return result

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await asyncio.sleep(self.backoff(result))
        return result


class SeenUrlMiddleware:
    """Refuse page requests whose canonical URL is already in the dataset, before fetching:
    a scheduled re-crawl only downloads what is new. The spider skips such URLs itself before
    they count against max_pages; this catches requests queued before a pause whose page was
    committed since."""

    def __init__(self, seen: set[str]) -> None:
        self.seen = seen

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SeenUrlMiddleware:
        root = crawler.settings.get("CORPUS_DATASET")
        return cls(load_seen_urls(Dataset(root)) if root else set())

    def process_request(self, request: Request) -> None:
        if not request.meta.get(PAGE_META) or request.meta.get(REVISIT_META):
            return  # a revisit is a conditional request for a stored page: the spider's choice
        canonical = canonicalize_url(request.url)
        if canonical and redact(canonical) in self.seen:  # stored URLs are redacted
            raise Refused("already_in_dataset", request.url)


class CorpusDupeFilter(RFPDupeFilter):
    """Scrapy's duplicate filter (persisted in JOBDIR), reporting the redirect loops it breaks:
    a redirect back to an URL already requested is filtered here."""

    crawler: Crawler | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CorpusDupeFilter:
        dupefilter = super().from_crawler(crawler)
        dupefilter.crawler = crawler
        return dupefilter

    def log(self, request: Request, spider: Spider) -> None:
        super().log(request, spider)
        chain = request.meta.get("redirect_urls")
        if chain and self.crawler is not None:
            CrawlLog.of(self.crawler).note(
                chain[0], "skipped", "redirect_loop", " -> ".join([*chain, request.url])
            )
