"""Crawl progress for a watcher in another process: a small JSON file rewritten every second.

The crawl runs in a child process (crawler.crawl.runner); `corpus crawl` polls this file to draw
its progress bar. Enabled by the Scrapy setting CORPUS_PROGRESS_FILE.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector
from twisted.internet import task

INTERVAL_SECONDS = 1.0


class ProgressFile:
    """Scrapy extension: pages fetched and stored so far, written atomically."""

    def __init__(self, path: Path, stats: StatsCollector) -> None:
        self.path = path
        self.stats = stats
        self.loop = task.LoopingCall(self.write)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressFile:
        path = crawler.settings.get("CORPUS_PROGRESS_FILE")
        if not path or crawler.stats is None:
            raise NotConfigured
        extension = cls(Path(path), crawler.stats)
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def opened(self) -> None:
        self.loop.start(INTERVAL_SECONDS, now=True)

    def closed(self) -> None:
        if self.loop.running:
            self.loop.stop()
        self.write()

    def write(self) -> None:
        figures = {
            "pages": int(self.stats.get_value("response_received_count", 0)),
            "stored": int(self.stats.get_value("corpus/stored", 0)),
        }
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps(figures), "utf-8")
        os.replace(partial, self.path)


def read_progress(path: Path) -> dict[str, Any]:
    """The last figures written, or {} before the first write."""
    try:
        data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data
