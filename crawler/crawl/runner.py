"""One crawl, in this process: `python -m crawler.crawl.runner JOB.json REPORT.json`.

A run session (`crawler.run.session`, as for `corpus ingest`) holds the dataset lock for the
whole crawl (waiting for another run up to the job's `lock_wait_seconds`): recover -> Scrapy
crawl (the item pipeline stages cleaned pages) -> finish (dedup + commit) -> clean up. Staged
batches live in the job dir, so a crawl killed before its commit keeps them for the resumed job. The
job dir is removed once a crawl has run to its end. A crawl killed outright (SIGKILL, power
loss) leaves its `running` mark there and Scrapy's request queue unsaved: the next run starts
the crawl again from its seeds, skipping what is stored or staged. Ctrl-C stops the crawl and
commits what it fetched. Writes the report as JSON; exit status 0, 2 (bad job), 3 (dataset
locked), 4 (dataset damaged), 5 (dataset not writable), 130 (stopped before the crawl began)
or 1.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings as ScrapySettings

from crawler import __version__
from crawler.config import Settings
from crawler.crawl.job import (
    EXIT_ACCESS,
    EXIT_CONFIG,
    EXIT_DAMAGED,
    EXIT_LOCKED,
    EXIT_STOPPED,
    CrawlJob,
)
from crawler.crawl.log import CrawlLog
from crawler.crawl.pipelines import CorpusPipeline
from crawler.crawl.report import crawl_counts
from crawler.crawl.spiders.news import NewsSpider
from crawler.crawl.warc_archive import archive_of
from crawler.errors import (
    ConfigError,
    DatasetAccessError,
    DatasetDamagedError,
    DatasetLockedError,
)
from crawler.run.session import RunSession
from crawler.run.workers import kill_workers
from crawler.run_types import RunContext
from crawler.store.dataset import access_error, is_write_error
from crawler.store.staged import row_count
from crawler.store.urlstate import URL_STATES_TABLE


def user_agent(contact: str) -> str:
    """A descriptive User-Agent: who we are and how to reach whoever runs the crawl."""
    reach = f"; +{contact}" if contact else ""
    return f"corpus-crawler/{__version__} (news corpus research crawler{reach})"


def scrapy_settings(
    job: CrawlJob, ctx: RunContext, progress_file: str | None = None
) -> ScrapySettings:
    """crawler.crawl.settings, then the job's values, then the job's explicit overrides.

    The values that are corpus settings come from the run's `Settings` (corpus.toml), never
    from crawler.crawl.settings: the size limit (DOWNLOAD_MAXSIZE = `max_input_bytes`, as for
    files), the batch size and the worker count (the job's `workers`, else `worker_count()`:
    0 is one per CPU)."""
    settings = ScrapySettings()
    settings.setmodule("crawler.crawl.settings", priority="project")
    values: dict[str, Any] = {
        "USER_AGENT": user_agent(job.contact),
        "CORPUS_CONTACT": job.contact,
        "JOBDIR": str(Path(job.resolved_job_dir) / "scrapy"),
        "CORPUS_DATASET": ctx.dataset_root,
        "CORPUS_RUN_CONTEXT": ctx,
        "CORPUS_SOURCES": [s.to_dict() for s in job.sources],
        "CORPUS_ALLOW_PRIVATE": job.allow_private,
        "CORPUS_ALLOWED_NETWORKS": list(job.allowed_networks),
        "DEPTH_LIMIT": max(s.max_depth for s in job.sources) + 1,
        "DOWNLOAD_MAXSIZE": ctx.settings.max_input_bytes,
        "CORPUS_BATCH_SIZE": ctx.settings.batch_size,
        "CORPUS_WORKERS": ctx.settings.worker_count() if job.workers is None else job.workers,
    }
    if progress_file:
        values["CORPUS_PROGRESS_FILE"] = progress_file
    if job.http_cache:
        values.update(HTTPCACHE_ENABLED=True, HTTPCACHE_DIR=str(Path(job.http_cache).resolve()))
    settings.setdict(values, priority="cmdline")
    settings.setdict(job.scrapy_settings, priority="cmdline")
    return settings


def crawl(job: CrawlJob, progress_file: str | None = None) -> dict[str, Any]:
    """Run the job; the report as a dict. Waits up to `job.lock_wait_seconds` for another run
    writing the dataset, saying so on stderr."""
    corpus_settings = Settings().with_overrides(**job.corpus_settings)
    job_dir = Path(job.resolved_job_dir)
    session = RunSession(
        job.out,
        corpus_settings,
        wait_seconds=job.lock_wait_seconds,
        on_wait=_note,
        staging=job_dir / "staging",
        workers=job.workers != 0,  # the chain runs in worker processes (scrapy_settings)
    )
    with session:
        ctx = session.ctx
        try:
            _forget_killed_queue(job_dir)
            process = CrawlerProcess(scrapy_settings(job, ctx, progress_file))
            crawler = process.create_crawler(NewsSpider)
            process.crawl(crawler)
            cpu = time.process_time()
            with session.timed("crawl"):
                process.start()
            cpu = time.process_time() - cpu  # this process's, workers not included
            # Scrapy saved its queue; what it fetched is committed now, whatever Ctrl-C says
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            pipeline = crawler.get_item_pipeline(CorpusPipeline)
            if pipeline is not None and not pipeline.settled:
                # stopped hard (a second Ctrl-C) with pages fetched but not cleaned: Scrapy's
                # saved state holds them as seen; kept `running`, the next run starts again
                # from its seeds and fetches them again (see _forget_killed_queue)
                pipeline.abandon()
                left = pipeline.unsettled
                _note(f"{left} fetched page(s) not cleaned: the next run fetches them again")
            else:
                (job_dir / RUNNING).unlink(missing_ok=True)
            stats = crawler.stats.get_stats() if crawler.stats else {}
            batches = pipeline.batches if pipeline else []
            counts = crawl_counts(stats)
            unchanged = counts["skipped"].get("already_in_dataset", 0)
            processed = sum(
                row_count(path) for b in batches for path in (b.docs_path, b.rejects_path)
            )
            spider = crawler.spider  # the URLs it found gone or listing go with the commit
            states = (
                {URL_STATES_TABLE: spider.url_states(ctx.run_id)}
                if isinstance(spider, NewsSpider)
                else {}
            )
            archive = archive_of(crawler)  # its WARC files are committed with the run
            archived = archive.close() if archive else []
            finish_cpu = time.process_time()
            summary = session.finish(
                batches, processed + unchanged, unchanged, states, archive_files=archived
            )
            finish_cpu = time.process_time() - finish_cpu  # dedup + commit, this process
            for batch in batches:  # committed: a resumed job must not stage them again
                Path(batch.docs_path).unlink(missing_ok=True)
                Path(batch.rejects_path).unlink(missing_ok=True)
            for path in archived:
                path.unlink(missing_ok=True)
            reason = str(stats.get("finish_reason", "unknown"))
            finished = reason == "finished" and (pipeline is None or pipeline.settled)
            if finished:
                shutil.rmtree(job_dir, ignore_errors=True)
            return {
                "finish_reason": reason,
                "job_dir": str(job_dir),
                "finished": finished,
                "crawl": {
                    **counts,
                    "cpu_seconds": round(cpu, 3),
                    "finish_cpu_seconds": round(finish_cpu, 3),
                },
                "summary": summary.to_dict(),
                "events": CrawlLog.of(crawler).as_dicts(),
            }
        finally:
            kill_workers()  # none may outlive the crawl: the exit would wait on them


RUNNING = "running"  # in a job dir while its crawl runs: left there by a crawl killed outright


def _forget_killed_queue(job_dir: Path) -> bool:
    """Mark the job running; if a crawl of it was killed outright, drop Scrapy's state first.

    A killed Scrapy never writes its request queue, but its seen-requests file holds every
    request it ever queued: resumed as is, the crawl would fetch nothing and report itself
    finished. Started again from its seeds instead, it skips the pages already stored or staged
    and fetches again those it had fetched but not staged. True if that happened."""
    mark = job_dir / RUNNING
    killed = mark.exists()
    if killed:
        _note(f"the last crawl of this job was killed; starting again from its seeds ({job_dir})")
        shutil.rmtree(job_dir / "scrapy", ignore_errors=True)
    mark.write_text(f"{os.getpid()}\n", "utf-8")
    return killed


def _note(line: str) -> None:
    print(f"corpus: note: {line}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (2, 3):
        print(
            "usage: python -m crawler.crawl JOB.json REPORT.json [PROGRESS.json]",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    job_file, report_file = Path(args[0]), Path(args[1])
    progress_file = args[2] if len(args) == 3 else None
    status = 0
    try:
        report = crawl(CrawlJob.from_json(job_file.read_text("utf-8")), progress_file)
    except ConfigError as exc:
        report, status = {"error": str(exc)}, EXIT_CONFIG
    except DatasetLockedError as exc:
        report, status = {"error": str(exc)}, EXIT_LOCKED
    except DatasetDamagedError as exc:
        report, status = {"error": str(exc)}, EXIT_DAMAGED
    except DatasetAccessError as exc:
        report, status = {"error": str(exc)}, EXIT_ACCESS
    except OSError as exc:
        if not is_write_error(exc):
            raise
        report, status = {"error": str(access_error(exc, Path(exc.filename or ".")))}, EXIT_ACCESS
    except KeyboardInterrupt:  # Ctrl-C before Scrapy took it over: nothing fetched yet
        report, status = {"error": "stopped before the crawl began"}, EXIT_STOPPED
    report_file.write_text(json.dumps(report, default=str), "utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main())
