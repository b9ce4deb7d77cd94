"""The item pipeline: crawled articles through THE chain, staged for one dedup + commit.

Each page goes through `crawler.run.clean.clean_input` (extract -> normalize -> quality gate, the
same function every ingested file goes through), in worker processes (`crawler.run.workers`'
IsolatingPool, as for ingested files) so extraction does not hold up the downloads. Documents
and rejects are staged in batches with `crawler.run.clean.write_staged`; `crawler.crawl.runner`
dedups and commits them with `finish_run` when the crawl ends. A page that gives no document
is a DropItem with the chain's reason.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.misc import load_object

from crawler.config import Settings
from crawler.crawl.items import PageItem
from crawler.crawl.log import CrawlLog
from crawler.crawl.warc_archive import WarcArchiveMiddleware, archive_of, capture_columns
from crawler.dedup.index import load_seen_urls
from crawler.dedup.minhash import MinHasher
from crawler.errors import Drop
from crawler.readers.decode import decode_bytes, strip_controls
from crawler.readers.files import RawInput
from crawler.reasons import Rejected
from crawler.run.clean import PendingInput, clean_input, reject_row, write_staged
from crawler.run.workers import IsolatingPool, WorkerLost
from crawler.run_types import BatchResult, RunContext
from crawler.store.dataset import Dataset
from crawler.store.staged import read_docs, read_rejects

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


PRELOAD = "crawler.crawl.pipelines"  # what the forkserver imports once for the page workers


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
        self.batch_size = crawler.settings.getint("CORPUS_BATCH_SIZE", ctx.settings.batch_size)
        self.workers = crawler.settings.getint("CORPUS_WORKERS")
        self.batches: list[BatchResult] = []
        self.seen: set[str] = set()
        self.docs: list[dict[str, Any]] = []
        self.rejects: list[dict[str, Any]] = []
        # started on the first page to clean: a re-crawl with nothing new starts no process
        self.pool = IsolatingPool(self.workers, PRELOAD) if self.workers > 0 else None
        self.threads: ThreadPoolExecutor | None = None  # they wait on the pool for the reactor
        self.max_doc_seconds = ctx.settings.max_doc_seconds
        self.clean: CleanPage = load_object(crawler.settings["CORPUS_CLEAN_PAGE"])
        self.archive: WarcArchiveMiddleware | None = None
        self._started = time.perf_counter()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CorpusPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.batches = staged_batches(self.ctx.staging)
        self.seen = load_seen_urls(Dataset(self.ctx.dataset_root)) | _staged_urls(self.batches)
        self.archive = archive_of(self.crawler)

    async def process_item(self, item: PageItem) -> PageItem:
        log = CrawlLog.of(self.crawler)
        if item.canonical_url in self.seen and not item.revisit:
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
        if self.archive is not None:  # where its raw response is (crawler.crawl.warc_archive)
            row.update(capture_columns(self.archive.location(item.url)))
        self.docs.append(row)
        self.crawler.stats.inc_value("corpus/stored")
        self._flush_if_full()
        return item

    async def _clean(self, item: PageItem) -> CleanedPage:
        """The page through the chain, in the crawl's IsolatingPool when there are workers (a
        thread waits on it, not the reactor): a worker that dies or hangs costs only its own
        page, a `crashed` (or `timeout`) reject; see crawler.run.workers for the rules."""
        if self.pool is None:
            return self.clean(item, self.ctx.settings)
        if self.threads is None:  # the first page: on the reactor's (main) thread
            self.pool.start_forkserver()
            self.threads = ThreadPoolExecutor(2 * self.workers, thread_name_prefix="clean")
        call = partial(
            self.pool.call, self.clean, (item, self.ctx.settings), 1, self.max_doc_seconds
        )
        try:
            return await asyncio.get_running_loop().run_in_executor(self.threads, call)
        except WorkerLost as lost:
            reason, detail = lost.reject()
            digest = hashlib.sha256(item.body).hexdigest()
            return None, reject_row(item.url, reason, detail, len(item.body), digest)

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
            self.pool.close()  # kills its workers; no page is waiting any more
        if self.threads is not None:
            self.threads.shutdown(wait=False, cancel_futures=True)
