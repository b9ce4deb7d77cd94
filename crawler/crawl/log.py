"""What a crawl skipped, dropped, failed on or recovered from, URL by URL and counted by reason.

A Scrapy extension (so every component can reach it through the crawler); the counts also go to
the crawl stats as `corpus/<outcome>/<reason>`. URLs and details are redacted
(`crawler.crawl.redact`) before they are kept: the events end in reports and logs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from crawler.crawl.redact import redact


@dataclass(frozen=True)
class CrawlEvent:
    url: str
    # "skipped" (not fetched or not used), "dropped" (item refused), "error" (download failed),
    # "recovered" (a fault worked around: the page was used)
    outcome: str
    reason: str
    detail: str = ""


class CrawlLog:
    """Extension: keeps the first CORPUS_MAX_EVENTS events; counts all of them."""

    def __init__(self, stats: StatsCollector, max_events: int) -> None:
        self.stats = stats
        self.max_events = max_events
        self.events: list[CrawlEvent] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlLog:
        return cls(crawler.stats, crawler.settings.getint("CORPUS_MAX_EVENTS", 5000))

    @staticmethod
    def of(crawler: Crawler) -> CrawlLog:
        """The crawler's CrawlLog (it is always enabled by crawler.crawl.settings)."""
        log = crawler.get_extension(CrawlLog)
        assert log is not None, "crawler.crawl.log.CrawlLog is not in EXTENSIONS"
        return log

    def note(self, url: str, outcome: str, reason: str, detail: str = "") -> None:
        self.stats.inc_value(f"corpus/{outcome}/{reason}")
        if len(self.events) < self.max_events:
            self.events.append(CrawlEvent(redact(url), outcome, reason, redact(detail)[:300]))

    def as_dicts(self) -> list[dict[str, str]]:
        return [asdict(e) for e in self.events]
