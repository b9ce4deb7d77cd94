"""The scheduler's request queue: in memory while the crawl runs, on disk when it stops.

With a JOBDIR, Scrapy's disk queue pickles every request it schedules (`Request.to_dict`, which
looks the callback up among the spider's members with `inspect.getmembers`) and unpickles it
again a moment later: ~5 % of the fetch loop's CPU on a loopback crawl. That buys no safety: a
crawl killed outright never writes the queue's state, so its queue is dropped on the next run
anyway (`crawler.crawl.runner._forget_killed_queue`). Only a crawl that stops in order (its end,
Ctrl-C, a `CLOSESPIDER_*` limit) resumes from its queue, and Scrapy closes the queue then.

`MemoryFirstDiskQueue` (SCHEDULER_DISK_QUEUE) therefore keeps requests in memory and writes
them to Scrapy's own `PickleFifoDiskQueue` when the queue is closed: the files a resumed crawl
reads are the same. It stays first in, first out: a queue found on disk (a resumed crawl's) is
read first, and requests go to disk, after what is there, while the disk part holds any; the
memory part is bounded (CORPUS_QUEUE_MEMORY_REQUESTS requests per queue: past that it goes to
disk as it is, followed by the rest).
"""

from __future__ import annotations

import logging
from collections import deque
from pathlib import Path
from typing import Any, cast

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.squeues import PickleFifoDiskQueue

LOGGER = logging.getLogger(__name__)
MEMORY_REQUESTS = 100_000  # per queue (one per request priority), when the setting is not set


class MemoryFirstDiskQueue:
    """A FIFO request queue at `key` (a folder): memory first, Scrapy's disk queue on close."""

    def __init__(self, crawler: Crawler, key: str, limit: int = MEMORY_REQUESTS) -> None:
        self.crawler = crawler
        self.key = key
        self.limit = max(1, limit)
        self._memory: deque[Request] = deque()
        self._disk: Any = None  # PickleFifoDiskQueue, opened when needed
        if Path(key).exists():  # a resumed crawl's queue: read first
            self._open_disk()

    @classmethod
    def from_crawler(
        cls, crawler: Crawler, key: str, *args: Any, **kwargs: Any
    ) -> MemoryFirstDiskQueue:
        limit = crawler.settings.getint("CORPUS_QUEUE_MEMORY_REQUESTS", MEMORY_REQUESTS)
        return cls(crawler, key, limit)

    def _open_disk(self) -> Any:
        if self._disk is None:
            self._disk = cast(Any, PickleFifoDiskQueue).from_crawler(self.crawler, self.key)
        return self._disk

    def _on_disk(self) -> int:
        return len(self._disk) if self._disk is not None else 0

    def _spill(self) -> None:
        """Memory to disk, in order (after what is there)."""
        disk = self._open_disk()
        while self._memory:
            request = self._memory.popleft()
            try:
                disk.push(request)
            except ValueError as exc:  # not serializable (Scrapy keeps such ones in memory)
                LOGGER.warning("request not saved for a resumed crawl: %s (%s)", request, exc)
                if self.crawler.stats is not None:
                    self.crawler.stats.inc_value("scheduler/unserializable")

    def push(self, request: Request) -> None:
        if self._on_disk() or len(self._memory) >= self.limit:
            self._spill()
            self._open_disk().push(request)
        else:
            self._memory.append(request)

    def pop(self) -> Request | None:
        if self._on_disk():  # (memory is empty while the disk holds requests)
            request: Request | None = self._disk.pop()
            return request
        return self._memory.popleft() if self._memory else None

    def peek(self) -> Request | None:
        if self._on_disk():
            request: Request | None = self._disk.peek()
            return request
        return self._memory[0] if self._memory else None

    def __len__(self) -> int:
        return len(self._memory) + self._on_disk()

    def close(self) -> None:
        if self._memory:
            self._spill()
        if self._disk is not None:
            self._disk.close()
            self._disk = None
