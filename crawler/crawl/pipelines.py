"""The item pipeline: crawled articles through THE chain, staged for one dedup + commit.

Each page goes through `crawler.run.clean.clean_input` (extract -> normalize -> quality gate, the
same function every ingested file goes through), in worker processes (`crawler.run.workers`'
IsolatingPool, as for ingested files; what they run is `crawler.crawl.page_worker`, which
imports no Scrapy). Fetching is decoupled from cleaning: `process_item` only
queues the page and returns, so the Scrapy loop goes on fetching while the workers clean; the
queue is bounded (pages and bytes), and a full queue holds the item, which holds its response in
Scrapy's scraper slot, which stops Scrapy fetching (back-pressure). Pages go to the workers a
few at a time (one pickled call per few pages, not per page); while the workers start (until
their first call returns) only the queue's bytes bound it, so fetching goes on meanwhile.
Documents and rejects are staged in batches with `crawler.run.clean.write_staged`;
`crawler.crawl.runner` dedups and commits them with `finish_run` when the crawl ends. Closing
the spider (the crawl's end, Ctrl-C) waits for every queued page to be cleaned. A page that
gives no document is reported (`CrawlLog`, outcome `dropped`) with the chain's reason; one
whose worker died is a `crashed` reject of its own (the other pages of its call are cleaned
again, one process each).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import deque
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.misc import load_object

from crawler.crawl.items import PageItem
from crawler.crawl.log import CrawlLog
from crawler.crawl.page_worker import (
    PRELOAD,
    CleanedPage,
    CleanPage,
    clean_page,
    clean_pages,
    page_reject,
)
from crawler.crawl.warc_archive import WarcArchiveMiddleware, archive_of, capture_columns
from crawler.dedup.index import load_seen_urls
from crawler.run.clean import write_staged
from crawler.run.workers import IsolatingPool, PoolClosed, WorkerLost, deadline
from crawler.run_types import BatchResult, RunContext
from crawler.store.dataset import Dataset
from crawler.store.staged import read_docs, read_rejects

LOGGER = logging.getLogger(__name__)
_BATCH_FILE = re.compile(r"^batch-(\d+)\.docs\.parquet\.staged$")


def staged_batches(staging: str) -> list[BatchResult]:
    """Batches already staged in a staging folder (a crawl resumed after being killed)."""
    found = []
    for path in sorted(Path(staging).glob("batch-*.docs.parquet.staged")):
        rejects = path.with_name(path.name.replace(".docs.", ".rejects."))
        if _BATCH_FILE.match(path.name) and rejects.exists():
            found.append(BatchResult(str(path), str(rejects), {}, 0.0))
    return found


def _staged_urls(batches: list[BatchResult]) -> set[str]:
    urls: set[str] = set()
    for batch in batches:
        urls.update(u for u in read_docs(batch.docs_path, ["url"])["url"].to_pylist() if u)
        urls.update(read_rejects(batch.rejects_path, ["source_uri"])["source_uri"].to_pylist())
    return urls


class CorpusPipeline:
    """Cleans article items and stages them; `batches` lists what it staged."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        ctx = crawler.settings.get("CORPUS_RUN_CONTEXT")
        if not isinstance(ctx, RunContext):
            raise RuntimeError("CorpusPipeline runs under crawler.crawl.runner (no run context)")
        self.ctx: RunContext = ctx
        settings = crawler.settings
        self.batch_size = settings.getint("CORPUS_BATCH_SIZE", ctx.settings.batch_size)
        self.workers = settings.getint("CORPUS_WORKERS")
        self.batches: list[BatchResult] = []
        self.seen: set[str] = set()
        self.docs: list[dict[str, Any]] = []
        self.rejects: list[dict[str, Any]] = []
        self.clean: CleanPage = load_object(settings["CORPUS_CLEAN_PAGE"])
        # started on the first page to clean: a re-crawl with nothing new starts no process.
        # Pages go through the HTML path: its first-use costs (~1 s of CPU: dateparser's
        # locales, their patterns kept compiled by the last run, crawler/run/regex_memo.py;
        # the language model) are paid once in the forkserver, not in every worker
        warm = self.clean is clean_page
        self.pool = (
            IsolatingPool(self.workers, PRELOAD, warm_html=warm) if self.workers > 0 else None
        )
        self.threads: ThreadPoolExecutor | None = None  # they wait on the pool for the reactor
        self.max_doc_seconds = ctx.settings.max_doc_seconds
        self.archive: WarcArchiveMiddleware | None = None
        self._started = time.perf_counter()
        # the hand-off from the fetch loop to the workers (see the module's docstring)
        self.max_queued_pages = max(1, settings.getint("CORPUS_QUEUE_PAGES", 64))
        self.max_queued_bytes = max(1, settings.getint("CORPUS_QUEUE_BYTES", 64 * 1024 * 1024))
        self.pages_per_call = max(1, settings.getint("CORPUS_PAGES_PER_CALL", 8))
        # calls on the pool at once: one more than its workers keeps each worker busy while
        # the answer of its last call comes back
        self.calls = max(1, self.workers) + 1
        self.queue: deque[PageItem] = deque()
        self.queued_bytes = 0
        self.in_flight = 0  # pages in calls on the pool
        self.lost = 0  # pages queued but never cleaned: the pool was closed under them
        # until a first call returns, the workers are starting (the forkserver's imports and
        # warm-up: seconds in which no page is cleaned): the queue is bounded by its bytes
        # only, so the loop fetches ahead meanwhile instead of waiting at a full queue
        self.starting = True
        self._tasks: set[asyncio.Task[None]] = set()
        self._room = asyncio.Event()
        self._closed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CorpusPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.batches = staged_batches(self.ctx.staging)
        self.seen = load_seen_urls(Dataset(self.ctx.dataset_root)) | _staged_urls(self.batches)
        self.archive = archive_of(self.crawler)

    @property
    def unsettled(self) -> int:
        """Pages handed to the pipeline and not cleaned: queued, in a worker, or lost to a pool
        closed under them (the crawl stopped hard)."""
        return len(self.queue) + self.in_flight + self.lost

    @property
    def settled(self) -> bool:
        return self.unsettled == 0

    async def process_item(self, item: PageItem) -> PageItem:
        log = CrawlLog.of(self.crawler)
        if item.canonical_url in self.seen and not item.revisit:
            log.note(item.url, "dropped", "duplicate_url", item.canonical_url)
            raise DropItem(f"duplicate_url: {item.canonical_url} is already stored")
        self.seen.add(item.canonical_url)
        if self.pool is None:  # no workers: cleaned here, holding up the loop
            self._done(item, *self.clean(item, self.ctx.settings))
            return item
        # back-pressure: a full queue holds this item (and so its response, in Scrapy's
        # scraper slot) until a worker call returns; each call is bounded (crawler.run.workers)
        while (
            not self._closed
            and self.queue
            and (
                (len(self.queue) >= self.max_queued_pages and not self.starting)
                or self.queued_bytes >= self.max_queued_bytes
            )
        ):
            self._room.clear()
            await self._room.wait()
        self.queue.append(item)
        self.queued_bytes += len(item.body)
        self._dispatch()
        return item

    def _dispatch(self) -> None:
        """Hand queued pages to the pool, a few per call, while it has room for calls."""
        if self.pool is None or self._closed:
            return
        if self.threads is None:  # the first page: on the reactor's (main) thread
            self.pool.start_forkserver()
            self.threads = ThreadPoolExecutor(self.calls, thread_name_prefix="clean")
        while self.queue and len(self._tasks) < self.calls:
            # share the queue between the free calls, at most `pages_per_call` each
            n = min(self.pages_per_call, max(1, len(self.queue) // self.calls))
            pages = [self.queue.popleft() for _ in range(min(n, len(self.queue)))]
            self.queued_bytes -= sum(len(p.body) for p in pages)
            self.in_flight += len(pages)
            task = asyncio.get_running_loop().create_task(self._clean_call(pages))
            self._tasks.add(task)
        self._room.set()

    async def _clean_call(self, pages: list[PageItem]) -> None:
        try:
            assert self.threads is not None
            call = partial(self._clean_blocking, pages)
            try:
                results = await asyncio.get_running_loop().run_in_executor(self.threads, call)
            except PoolClosed:  # the crawl was stopped hard: these pages are not cleaned
                self.lost += len(pages)
                return
            except Exception:  # not one page's fault (it would be its reject): keep going
                LOGGER.exception("%d page(s) could not be cleaned", len(pages))
                self.lost += len(pages)
                return
            for page, (row, reject) in zip(pages, results, strict=True):
                self._done(page, row, reject)
        finally:
            self.starting = False  # answered (or failed): the pool is up, or will not be
            self.in_flight -= len(pages)
            self._tasks.discard(asyncio.current_task())  # type: ignore[arg-type]
            self._dispatch()  # a closed pool refuses at once: the queue empties either way

    def _clean_blocking(self, pages: list[PageItem]) -> list[CleanedPage]:
        """`pages` through the chain in the crawl's IsolatingPool (on a thread, not the
        reactor): a worker that dies or hangs costs only its own page, a `crashed` (or
        `timeout`) reject; the other pages of its call are cleaned again, each alone. See
        crawler.run.workers for the rules."""
        assert self.pool is not None
        args = (self.clean, pages, self.ctx.settings)
        try:
            return self.pool.call(clean_pages, args, len(pages), self.max_doc_seconds)
        except WorkerLost as lost:
            if len(pages) == 1:
                return [page_reject(pages[0], *lost.reject())]
        results = []
        for page in pages:  # lost alone too, with its other pages: find the one that kills
            try:
                one = (self.clean, [page], self.ctx.settings)
                results += self.pool.alone(clean_pages, one, deadline(self.max_doc_seconds, 1))
            except WorkerLost as lost:
                results.append(page_reject(page, *lost.reject()))
        return results

    def _done(
        self, item: PageItem, row: dict[str, Any] | None, reject: dict[str, Any] | None
    ) -> None:
        """A page's result kept for staging, and reported."""
        if row is None:
            assert reject is not None
            self.rejects.append(reject)
            CrawlLog.of(self.crawler).note(item.url, "dropped", reject["reason"], reject["detail"])
            # Scrapy counted the item scraped when `process_item` returned; it is a dropped
            # item, as when the chain ran in `process_item` and raised DropItem
            stats = self.crawler.stats
            stats.inc_value("item_dropped_count")
            stats.inc_value(f"item_dropped_reasons_count/{DropItem.__name__}")
            stats.inc_value("item_scraped_count", -1)
        else:
            if self.archive is not None:  # where its raw response is (crawler.crawl.warc_archive)
                row.update(capture_columns(self.archive.location(item.url)))
            self.docs.append(row)
            self.crawler.stats.inc_value("corpus/stored")
        self._flush_if_full()

    def _flush_if_full(self) -> None:
        if len(self.docs) + len(self.rejects) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Stage what is pending as one batch."""
        if not self.docs and not self.rejects:
            return
        numbers = [
            int(m.group(1))
            for b in self.batches
            if (m := _BATCH_FILE.match(Path(b.docs_path).name))
        ]
        counters = {"cleaned": len(self.docs), "rejected": len(self.rejects)}
        batch = write_staged(
            self.ctx,
            max(numbers, default=-1) + 1,
            self.docs,
            self.rejects,
            counters,
            time.perf_counter() - self._started,
        )
        self.batches.append(batch)
        self.docs, self.rejects = [], []
        self._started = time.perf_counter()

    def close_spider(self) -> Awaitable[None] | None:
        """The crawl's end (or Ctrl-C): every queued page cleaned (each call is bounded), what
        is pending staged, the workers stopped. Returns what Scrapy awaits while pages are
        still being cleaned."""
        if self._tasks or self.queue:
            return self._drain_then_close()
        self.abandon()
        return None

    async def _drain_then_close(self) -> None:
        try:
            while self._tasks:  # a finished call hands on the queued pages (`_dispatch`)
                await asyncio.wait(set(self._tasks))
        finally:
            self.abandon()

    def abandon(self) -> None:
        """Stage what is cleaned and stop the workers, whatever is still queued (the crawl
        was stopped hard, its loop gone: `settled` says whether anything was left)."""
        self._closed = True
        self._room.set()  # no item waits for room any more (what it queues is unsettled)
        self.flush()
        if self.pool is not None:
            self.pool.close()  # kills its workers; calls still waiting raise PoolClosed
        if self.threads is not None:
            self.threads.shutdown(wait=False, cancel_futures=True)
