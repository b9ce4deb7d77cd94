"""Prefect flow: crawl sources into a dataset.

    plan (sources -> job) -> crawl (a child process: Scrapy + the chain + dedup + commit)

Scrapy's reactor cannot start twice in one process, so each crawl runs in its own process
(`crawler.crawl.runner`); the flow can run any number of times in one worker. The child writes its
report (crawl stats, events, the run summary) as JSON, which the crawl task returns. A retried
crawl task resumes the same job (same job dir) instead of starting over.
Run it: `python -m flows.crawl --sources seeds/sources.toml --source "The Diplomat" --out DIR`
(Prefect's temporary server by default, started as for `python -m flows.ingest`:
flows/temporary_server.py).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from typing import Any

from prefect import State, flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from crawler.config_file import load_config
from crawler.crawl.job import CrawlJob, job_from_options, run_crawl_job
from crawler.crawl.report import CrawlReport, crawl_sections, format_crawl_report
from crawler.run_types import RunSummary
from flows.artifacts import publish_failure, publish_run_report
from flows.ingest import EXIT_STATUS, check_dataset, io_retries
from flows.temporary_server import flow_run_api


@task(cache_policy=NO_CACHE)
def plan_task(options: dict[str, Any]) -> CrawlJob:
    """Sources file and/or URLs -> a validated job (ConfigError fails the flow at once)."""
    return job_from_options(**options)


def crawl_failed_on_the_way(task: Any, task_run: Any, state: State[Any]) -> bool:
    """Retry (resuming the same job) when the crawl broke on I/O or its process died, not for
    bad settings or a dataset another run holds."""
    return isinstance(state.data, OSError | RuntimeError)


@task(
    retries=1,
    retry_delay_seconds=[10],
    retry_condition_fn=crawl_failed_on_the_way,
    cache_policy=NO_CACHE,
)
def crawl_task(job: CrawlJob) -> dict[str, Any]:
    """Run the crawl in a child process; its report as a dict (the Scrapy log is logged)."""
    report = run_crawl_job(job, capture_log=True)
    logger = get_run_logger()
    for line in report.log.splitlines()[-40:]:
        logger.debug(line)
    logger.info(
        "crawl %s: %d responses, %d stored, dropped %s, errors %s",
        report.finish_reason,
        report.crawl["pages_fetched"],
        report.crawl["stored"],
        report.crawl["dropped"],
        report.crawl["errors"],
    )
    return report.to_dict()


@flow(name="crawl")
def crawl_flow(
    urls: list[str] | None = None,
    sitemaps: list[str] | None = None,
    feeds: list[str] | None = None,
    sources_file: str | None = None,
    source_names: list[str] | None = None,
    out: str | None = None,
    max_pages: int | None = None,
    max_depth: int | None = None,
    contact: str | None = None,
    allow_private: bool = False,
    allowed_networks: list[str] | None = None,
    workers: int | None = None,
    scrapy_settings: dict[str, Any] | None = None,
    config: str | None = None,
) -> dict[str, Any]:
    """Crawl into the dataset at `out` (default: the config's `dataset`); returns the report:
    `crawl` (pages fetched, stored, dropped / skipped by reason, errors), `summary` (what was
    committed), `events`. `config`: a corpus.toml (default: $CORPUS_CONFIG, ./corpus.toml),
    whose [crawl] values fill what is not given. Publishes the report as artifacts."""
    cfg = load_config(config)
    out = cfg.dataset_for(out)
    options = {
        "urls": urls,
        "sitemaps": sitemaps,
        "feeds": feeds,
        "sources_file": sources_file,
        "source_names": source_names,
        "out": out,
        "allow_private": allow_private,
        "allowed_networks": tuple(allowed_networks or ()),
        "corpus_settings": asdict(cfg.settings),
        "lock_wait_seconds": cfg.runs.lock_wait_seconds,
        "scrapy_settings": scrapy_settings or {},
        **cfg.crawl.job_options(
            max_pages=max_pages, max_depth=max_depth, workers=workers, contact=contact
        ),
    }
    try:
        job = plan_task(options)
        report = crawl_task.with_options(**io_retries(cfg.runs))(job)
    except Exception as exc:
        publish_failure("crawl", out, exc)
        raise
    parsed = CrawlReport.from_dict(report)
    publish_run_report("crawl", RunSummary(**parsed.summary), before=crawl_sections(parsed))
    print(format_crawl_report(parsed), flush=True)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the Prefect crawl flow once.")
    parser.add_argument("urls", nargs="*", help="start pages")
    parser.add_argument("--sitemap", action="append", default=[])
    parser.add_argument("--feed", action="append", default=[])
    parser.add_argument("--sources", help="sources file (TOML)")
    parser.add_argument("--source", action="append", help="only this source of --sources")
    parser.add_argument("--out", help="dataset directory (default: the config's dataset)")
    parser.add_argument("--max-pages", type=int)
    parser.add_argument("--contact", help="URL or e-mail for the User-Agent")
    parser.add_argument("--config", metavar="FILE", help="config file (default: ./corpus.toml)")
    args = parser.parse_args(argv)
    check_dataset(parser, args.config, args.out)
    try:
        with flow_run_api():
            crawl_flow(
                urls=args.urls,
                sitemaps=args.sitemap,
                feeds=args.feed,
                sources_file=args.sources,
                source_names=args.source,
                out=args.out,
                max_pages=args.max_pages,
                contact=args.contact,
                config=args.config,
            )
    except tuple(EXIT_STATUS) as exc:
        print(f"flows.crawl: error: {exc}", file=sys.stderr)
        return EXIT_STATUS.get(type(exc), 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
