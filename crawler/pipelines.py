"""The item pipeline: crawled articles through THE chain, staged for one dedup + commit.

Each page goes through `crawler.staging.clean_input` (extract -> normalize -> quality gate, the
same function every ingested file goes through), in a pool of worker processes so extraction
does not hold up the downloads. Documents and rejects are staged in batches with
`crawler.staging.write_staged`; `crawler.run_crawl` dedups and commits them with `finish_run`
when the crawl ends. A page that gives no document is a DropItem with the chain's reason.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from asyncio import FIRST_COMPLETED
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.misc import load_object

from crawler.config import Settings
from crawler.crawllog import CrawlLog
from crawler.dataset import Dataset
from crawler.decode import decode_bytes, strip_controls
from crawler.dedup import MinHasher
from crawler.errors import Drop
from crawler.index import load_seen_urls
from crawler.items import PageItem
from crawler.readers import RawInput
from crawler.reasons import Rejected
from crawler.run_types import BatchResult, RunContext
from crawler.staging import PendingInput, clean_input, reject_row, write_staged
from crawler.workers import WorkerLost, deadline, stop_pool, worker_pool

_BATCH_FILE = re.compile(r"^batch-(\d+)\.docs\.parquet\.staged$")


@lru_cache(maxsize=2)
def _hasher(num_perm: int) -> MinHasher:
    return MinHasher(num_perm)


def clean_page(
    page: PageItem, settings: Settings
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """One crawled page through the chain (runs in a worker process): (staged row, None) or
    (None, reject row). The row's `url` is the page's canonical URL."""
    size = len(page.body)

    def load() -> RawInput:
        if size > settings.max_input_bytes:
            raise Drop(Rejected.TOO_LARGE, f"{size} bytes > limit {settings.max_input_bytes}")
        text = decode_bytes(page.body, html=True, http_charset=page.charset)  # as for files
        text, removed = strip_controls(text)  # as for files: removed, audited
        return RawInput(page.url, "html", text, size, crawled=True, removed=tuple(removed))

    digest = hashlib.sha256(page.body).hexdigest()
    row, reject = clean_input(
        PendingInput(page.url, size, digest, load), settings, None, _hasher(settings.num_perm)
    )
    if row is not None:
        row["url"] = page.canonical_url
    return row, reject


CleanedPage = tuple[dict[str, Any] | None, dict[str, Any] | None]  # (staged row, reject row)
CleanPage = Callable[[PageItem, Settings], CleanedPage]


PRELOAD = "crawler.pipelines"  # what the forkserver imports once for the page workers


def _retrieved(future: asyncio.Future[Any]) -> None:
    """Mark the outcome of a page given up on as seen (no "never retrieved" warnings)."""
    if not future.cancelled():
        future.exception()


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
        urls.update(
            u for u in pq.read_table(batch.docs_path, columns=["url"])["url"].to_pylist() if u
        )
        urls.update(
            pq.read_table(batch.rejects_path, columns=["source_uri"])["source_uri"].to_pylist()
        )
    return urls


class CorpusPipeline:
    """Cleans article items and stages them; `batches` lists what it staged."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        ctx = crawler.settings.get("CORPUS_RUN_CONTEXT")
        if not isinstance(ctx, RunContext):
            raise RuntimeError("CorpusPipeline runs under crawler.run_crawl (no run context)")
        self.ctx: RunContext = ctx
        self.batch_size = crawler.settings.getint("CORPUS_BATCH_SIZE", ctx.settings.batch_size)
        self.workers = crawler.settings.getint("CORPUS_WORKERS")
        self.batches: list[BatchResult] = []
        self.seen: set[str] = set()
        self.docs: list[dict[str, Any]] = []
        self.rejects: list[dict[str, Any]] = []
        self.pool: ProcessPoolExecutor | None = None
        self.in_flight = 0  # pages submitted to the pool and not back yet
        self.broken: asyncio.Future[Any] | None = None  # set when `pool` is replaced
        self.alone = asyncio.Semaphore(max(1, self.workers))  # pages cleaned one per process
        self.max_doc_seconds = ctx.settings.max_doc_seconds
        self.clean: CleanPage = load_object(crawler.settings["CORPUS_CLEAN_PAGE"])
        self._started = time.perf_counter()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CorpusPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.batches = staged_batches(self.ctx.staging)
        self.seen = load_seen_urls(Dataset(self.ctx.dataset_root)) | _staged_urls(self.batches)
        if self.workers > 0:
            self.pool = worker_pool(self.workers, PRELOAD)
            # start the forkserver (it imports the chain: seconds) before downloads begin, so
            # the first article does not stall the reactor into false download timeouts
            self.pool.submit(int).result()

    async def process_item(self, item: PageItem) -> PageItem:
        log = CrawlLog.of(self.crawler)
        if item.canonical_url in self.seen:
            log.note(item.url, "dropped", "duplicate_url", item.canonical_url)
            raise DropItem(f"duplicate_url: {item.canonical_url} is already stored")
        self.seen.add(item.canonical_url)
        row, reject = await self._clean(item)
        if row is None:
            assert reject is not None
            self.rejects.append(reject)
            self._flush_if_full()
            log.note(item.url, "dropped", reject["reason"], reject["detail"])
            raise DropItem(f"{reject['reason']}: {reject['detail']}")
        self.docs.append(row)
        self.crawler.stats.inc_value("corpus/stored")
        self._flush_if_full()
        return item

    async def _clean(self, item: PageItem) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The page through the chain, in a worker process when there are workers.

        A worker that dies (out of memory, a crash in a C library) breaks the pool and every
        page in flight with it; one that outlives its deadline is killed, with the same
        effect. The pool is replaced and each of those pages is cleaned again in a process of
        its own, so only the page that is lost there too is lost, as a `crashed` (or
        `timeout`) reject. No wait on a worker is unbounded."""
        if self.pool is None:
            return self.clean(item, self.ctx.settings)
        if self.broken is None:
            self.broken = asyncio.get_running_loop().create_future()
        pool, broken = self.pool, self.broken
        self.in_flight += 1
        # every page in flight may be cleaned before this one, `workers` at a time
        bound = deadline(self.max_doc_seconds, -(-self.in_flight // self.workers))
        try:
            waiting: asyncio.Future[CleanedPage] = asyncio.wrap_future(
                pool.submit(self.clean, item, self.ctx.settings)
            )
            waiting.add_done_callback(_retrieved)
            # `broken` too: a page submitted just as the pool broke may never get an answer
            await asyncio.wait({waiting, broken}, timeout=bound, return_when=FIRST_COMPLETED)
            if waiting.done() and not waiting.cancelled():  # cancelled: its pool was stopped
                return waiting.result()
        except BrokenProcessPool:
            pass
        finally:
            self.in_flight -= 1
        if self.pool is pool:  # the first page to see the break (or the deadline) replaces it
            self._replace_pool()
        async with self.alone:
            return await self._clean_alone(item)

    def _replace_pool(self) -> None:
        """Kill the pool's workers (a hung one too), tell every page still waiting on it to
        go alone, and start a new pool."""
        assert self.pool is not None and self.broken is not None
        stop_pool(self.pool, grace=0.0)  # never wait on workers here, in the reactor
        self.broken.set_result(None)
        self.pool = worker_pool(self.workers, PRELOAD)
        self.broken = asyncio.get_running_loop().create_future()

    async def _clean_alone(
        self, item: PageItem
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The page in a worker process of its own; a `crashed`/`timeout` reject if it is
        lost there too."""
        bound = deadline(self.max_doc_seconds, 1)
        alone = worker_pool(1, PRELOAD)
        try:
            future = alone.submit(self.clean, item, self.ctx.settings)
            return await asyncio.wait_for(asyncio.wrap_future(future), bound)
        except (BrokenProcessPool, TimeoutError) as exc:
            reason, detail = WorkerLost(isinstance(exc, TimeoutError), bound).reject()
            digest = hashlib.sha256(item.body).hexdigest()
            return None, reject_row(item.url, reason, detail, len(item.body), digest)
        finally:
            stop_pool(alone, grace=0.0)  # done with it: never wait on it here, in the reactor

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

    def close_spider(self) -> None:
        self.flush()
        if self.pool is not None:
            stop_pool(self.pool)
            self.pool = None
