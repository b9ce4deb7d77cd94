"""The crawl's item pipeline hands pages to its workers without holding up the fetch loop: a
page is queued and `process_item` returns while the workers clean; a full queue holds items
back (back-pressure on Scrapy); closing waits for every queued page; a worker that dies costs
only its own page. Counted with cleaners that wait for a gate (tests/gatedclean.py), never
timed."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.test import get_crawler

from crawler.config import Settings
from crawler.crawl.items import PageItem
from crawler.crawl.pipelines import CorpusPipeline
from crawler.run.session import cleanup, start_run
from crawler.run_types import RunContext

pytestmark = pytest.mark.slow  # worker processes
WAIT_SECONDS = 120.0  # a bound for the test, not a timing assertion


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[RunContext]:
    run = start_run(tmp_path / "corpus", Settings(workers=2))
    yield run
    cleanup(run)


def pipeline(ctx: RunContext, clean: str, **settings: Any) -> CorpusPipeline:
    crawler = get_crawler(
        settings_dict={
            "CORPUS_RUN_CONTEXT": ctx,
            "CORPUS_WORKERS": 2,
            "CORPUS_CLEAN_PAGE": clean,
            "EXTENSIONS": {"crawler.crawl.log.CrawlLog": 0},
            **settings,
        }
    )
    crawler._apply_settings()  # the extensions (CrawlLog), as a crawl builds them
    made = CorpusPipeline.from_crawler(crawler)
    made.open_spider()
    return made


def pages(gate: Path, n: int, names: str = "page") -> list[PageItem]:
    return [
        PageItem(f"http://127.0.0.1/{names}-{i}", f"http://127.0.0.1/{names}-{i}", b"<p>x</p>",
                 "utf-8", str(gate))
        for i in range(n)
    ]  # fmt: skip


def results(made: CorpusPipeline) -> dict[str, str]:
    """Each cleaned page's reason, by URL (staged or pending)."""
    from crawler.store.staged import read_rejects

    found = {r["source_uri"]: r["reason"] for r in made.rejects}
    for batch in made.batches:
        table = read_rejects(batch.rejects_path, ["source_uri", "reason"])
        found.update(zip(table["source_uri"].to_pylist(), table["reason"].to_pylist(), strict=True))
    return found


async def until(check: Any) -> None:
    end = time.monotonic() + WAIT_SECONDS
    while not check():
        assert time.monotonic() < end, "gave up waiting"
        await asyncio.sleep(0.01)


def test_the_fetch_loop_goes_on_while_pages_are_cleaned(ctx: RunContext, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    made = pipeline(ctx, "gatedclean.gated_clean", CORPUS_QUEUE_PAGES=1000, CORPUS_BATCH_SIZE=7)
    items = pages(gate, 40)

    async def crawl() -> tuple[int, int, int]:
        for item in items:  # as Scrapy hands them over, one after another
            assert await made.process_item(item) is item
        handed, cleaned = len(items), len(results(made))
        # the workers are busy on the first pages, the gate closed
        await until(lambda: any(tmp_path.glob("started-*")))
        started = len(list(tmp_path.glob("started-*")))
        gate.touch()
        await made.close_spider()  # the crawl's end: waits for every queued page
        return handed, cleaned, started

    handed, cleaned, started = asyncio.run(crawl())
    assert handed == 40 and cleaned == 0  # every page handed over before any was cleaned
    assert 0 < started < 40  # the workers held some, the queue the rest
    assert set(results(made)) == {i.url for i in items}  # each cleaned once, all staged
    assert set(results(made).values()) == {"cleaned"} and not made.rejects
    assert made.settled and sum(b.counters["rejected"] for b in made.batches) == 40


def test_a_full_queue_holds_items_back_until_a_worker_call_returns(
    ctx: RunContext, tmp_path: Path
) -> None:
    gate, opened = tmp_path / "gate", tmp_path / "opened"
    opened.touch()
    made = pipeline(ctx, "gatedclean.gated_clean", CORPUS_QUEUE_PAGES=3, CORPUS_PAGES_PER_CALL=2)
    first, items = pages(opened, 1, "first")[0], pages(gate, 30)
    returned: list[str] = []

    async def crawl() -> tuple[int, int]:
        async def one(item: PageItem) -> None:
            await made.process_item(item)
            returned.append(item.url)

        await made.process_item(first)
        await until(lambda: not made.starting)  # a call returned: the workers are up
        tasks = [asyncio.ensure_future(one(item)) for item in items]
        await until(lambda: any(tmp_path.glob("started-*")))
        await asyncio.sleep(0.2)  # let every item that can go through, go through
        held = len(returned)
        queued = len(made.queue) + made.in_flight
        gate.touch()
        await asyncio.gather(*tasks)
        await made.close_spider()
        return held, queued

    held, queued = asyncio.run(crawl())
    # in the calls (3 calls of at most 2 pages) and the queue (3 pages); the rest held back
    assert held == queued <= 3 * 2 + 3
    assert held < len(items)
    assert set(results(made)) == {i.url for i in [first, *items]} and made.settled


def test_while_the_workers_start_only_the_queues_bytes_hold_items_back(
    ctx: RunContext, tmp_path: Path
) -> None:
    """Until a first worker call returns (the forkserver's imports and warm-up: seconds in
    which no page is cleaned), the page bound does not stop the fetch loop; the byte bound
    does."""
    gate = tmp_path / "gate"
    body = len(pages(gate, 1)[0].body)
    made = pipeline(
        ctx,
        "gatedclean.gated_clean",
        CORPUS_QUEUE_PAGES=3,
        CORPUS_PAGES_PER_CALL=2,
        CORPUS_QUEUE_BYTES=20 * body,
    )
    items = pages(gate, 40)
    returned: list[str] = []

    async def crawl() -> tuple[int, int, int]:
        async def one(item: PageItem) -> None:
            await made.process_item(item)
            returned.append(item.url)

        tasks = [asyncio.ensure_future(one(item)) for item in items]
        await until(lambda: any(tmp_path.glob("started-*")))
        await asyncio.sleep(0.2)  # let every item that can go through, go through
        held, queued, waiting = len(returned), len(made.queue) + made.in_flight, len(made.queue)
        gate.touch()
        await asyncio.gather(*tasks)
        await made.close_spider()
        return held, queued, waiting

    held, queued, waiting = asyncio.run(crawl())
    assert waiting == 20  # the byte bound, not the page bound (3)
    assert held == queued and 20 < held <= 20 + 3 * 2  # and in the calls (3, of 1-2 pages)
    assert set(results(made)) == {i.url for i in items} and made.settled


def test_a_page_that_kills_its_worker_costs_only_itself(ctx: RunContext, tmp_path: Path) -> None:
    made = pipeline(ctx, "gatedclean.clean_or_die", CORPUS_PAGES_PER_CALL=8)
    items = (
        pages(tmp_path / "gate", 12)
        + pages(tmp_path / "gate", 1, "die")
        + pages(tmp_path / "gate", 12, "after")
    )

    async def crawl() -> None:
        for item in items:
            await made.process_item(item)
        await made.close_spider()

    asyncio.run(crawl())
    found = results(made)
    assert set(found) == {i.url for i in items}  # none lost
    assert found.pop("http://127.0.0.1/die-0") == "crashed"
    assert set(found.values()) == {"cleaned"}  # the innocent pages of its call too
    assert made.settled


def test_a_pool_closed_under_queued_pages_leaves_the_pipeline_unsettled(
    ctx: RunContext, tmp_path: Path
) -> None:
    # a crawl stopped hard: the runner keeps the job `running`, so that the next run fetches
    # again the pages that were fetched and not cleaned
    gate = tmp_path / "gate"
    made = pipeline(ctx, "gatedclean.gated_clean", CORPUS_QUEUE_PAGES=1000)
    items = pages(gate, 20)

    async def crawl() -> int:
        for item in items:
            await made.process_item(item)
        await until(lambda: any(tmp_path.glob("started-*")))
        made.abandon()
        await until(lambda: made.in_flight == 0)
        return made.unsettled

    left = asyncio.run(crawl())
    assert not made.settled and left + len(results(made)) == 20 and left > 0


def test_pages_the_chain_rejects_count_as_dropped_items(ctx: RunContext, tmp_path: Path) -> None:
    """Scrapy's item_dropped_count counts the pages the chain rejects (cleaned after
    `process_item` returned: Scrapy saw no DropItem) as well as the duplicate URLs it did see."""
    made = pipeline(ctx, "crawler.crawl.page_worker.clean_page", CORPUS_WORKERS=0)
    stats = made.crawler.stats
    assert stats is not None
    items = pages(tmp_path / "unused", 3, "short")  # "<p>x</p>": too short for the chain

    async def crawl() -> None:
        for item in items:
            await made.process_item(item)
            stats.inc_value("item_scraped_count")  # what Scrapy does when it returns

    asyncio.run(crawl())
    assert set(results(made).values()) == {"too_short"}
    assert stats.get_value("item_dropped_count") == 3
    assert stats.get_value("item_dropped_reasons_count/DropItem") == 3
    assert stats.get_value("item_scraped_count", 0) == 0
    made.abandon()


CLEAN_PAGE = "crawler.crawl.page_worker.clean_page"  # the product's (crawler/crawl/settings.py)
WORKER_PROBE = """
import sys
from pathlib import Path
from scrapy.utils.test import get_crawler
from crawler.config import Settings
from crawler.crawl.pipelines import CorpusPipeline
from crawler.run.session import cleanup, start_run

ctx = start_run(Path(sys.argv[1]), Settings(workers=1))
settings = {"CORPUS_RUN_CONTEXT": ctx, "CORPUS_WORKERS": 1, "CORPUS_CLEAN_PAGE": sys.argv[2]}
made = CorpusPipeline.from_crawler(get_crawler(settings_dict=settings))
try:
    print(made.pool.call(eval, (sys.argv[3],), 1, 120))
finally:
    made.abandon()
    cleanup(ctx)
"""


@pytest.mark.parametrize("clean", [CLEAN_PAGE, "gatedclean.gated_clean"])
def test_page_workers_start_with_the_html_paths_first_use_costs_paid(
    tmp_path: Path, clean: str
) -> None:
    """Crawled pages go through the HTML path: its first-use costs (dateparser's locales, the
    language model: ~3 s of CPU) are paid once in the crawl's forkserver, so every worker
    starts with them; a crawl whose pages go elsewhere (a test's cleaner) does not pay them.
    In a fresh process: the test process's forkserver may be running already."""
    probe = "'dateparser.languages.loader' in __import__('sys').modules"
    assert in_a_page_worker(tmp_path, clean, probe) == str(clean == CLEAN_PAGE)


def test_page_workers_import_no_scrapy(tmp_path: Path) -> None:
    """The workers' forkserver imports what they run (`crawler.crawl.page_worker`), not the
    item pipeline: no Scrapy, Twisted or pyarrow.dataset (half its start-up CPU, paid while
    the fetch loop's first pages wait for a worker)."""
    probe = (
        "[m for m in ('scrapy', 'twisted', 'pyarrow.dataset') if m in __import__('sys').modules]"
    )
    assert in_a_page_worker(tmp_path, CLEAN_PAGE, probe) == "[]"


def in_a_page_worker(tmp_path: Path, clean: str, probe: str) -> str:
    """What `probe` evaluates to in a worker of a crawl's item pipeline (in a fresh process:
    the test process's forkserver may be running already, with other modules)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    command = [sys.executable, "-c", WORKER_PROBE, str(tmp_path / "corpus"), clean, probe]
    out = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True, env=env)
    return out.stdout.strip()


def test_the_crawl_runs_as_a_packages_main_that_its_workers_do_not_import() -> None:
    """A forkserver worker imports the module its parent was started with (`-m`) unless it
    is a package's `__main__` (multiprocessing.spawn skips a name ending in `.__main__`): the
    crawl process is `python -m crawler.crawl` (crawler.crawl.job), so its page workers do
    not import the runner, and Scrapy with it (~0.3 s of CPU each)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    usage = subprocess.run(
        [sys.executable, "-m", "crawler.crawl"], capture_output=True, text=True, env=env
    )
    assert usage.returncode == 2 and "python -m crawler.crawl JOB.json" in usage.stderr
