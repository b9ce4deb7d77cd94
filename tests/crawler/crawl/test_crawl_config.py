"""The crawl's knobs come from corpus.toml / the command line, one source of truth each: what
`corpus crawl` is given is what its item pipeline and downloader use (no Scrapy constant in
crawler/crawl/settings.py wins over them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scrapy.crawler import Crawler

from crawler.config import Settings
from crawler.crawl.job import CrawlJob
from crawler.crawl.pipelines import CorpusPipeline
from crawler.crawl.runner import scrapy_settings
from crawler.crawl.spiders.news import NewsSpider
from crawler.run_types import RunContext
from flows.cli import main


class _Captured(Exception):
    def __init__(self, job: CrawlJob) -> None:
        super().__init__("captured")
        self.job = job


def crawl_job_of(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> CrawlJob:
    """The job `corpus crawl ARGV` would run (the crawl itself is not started)."""

    def capture(job: CrawlJob, **_: Any) -> None:
        raise _Captured(job)

    monkeypatch.setattr("crawler.crawl.job.run_crawl_job", capture)
    with pytest.raises(_Captured) as caught:
        main(["crawl", *argv])
    return caught.value.job


def pipeline_of(job: CrawlJob, tmp_path: Path) -> CorpusPipeline:
    """The item pipeline as the crawl process builds it for `job`."""
    settings = Settings().with_overrides(**job.corpus_settings)
    ctx = RunContext("run", str(tmp_path / "c"), str(tmp_path / "staging"), "", settings)
    return CorpusPipeline(Crawler(NewsSpider, scrapy_settings(job, ctx)))


def config_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "corpus.toml"
    path.write_text(text, "utf-8")
    return str(path)


def test_crawl_batch_size_flag_reaches_the_pipeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`corpus crawl --batch-size 7` stages batches of 7 (the Scrapy default of 200 won)."""
    argv = ["http://127.0.0.1:9/", "--out", str(tmp_path / "c"), "--batch-size", "7"]
    job = crawl_job_of([*argv, "--config", config_file(tmp_path, "")], monkeypatch)
    assert pipeline_of(job, tmp_path).batch_size == 7


def test_crawl_batch_size_from_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = config_file(tmp_path, "[settings]\nbatch_size = 3\n")
    job = crawl_job_of(["http://127.0.0.1:9/", "--config", config], monkeypatch)
    assert pipeline_of(job, tmp_path).batch_size == 3


@pytest.mark.parametrize("cpus", [2, 16])
def test_crawl_workers_zero_is_one_per_cpu(
    cpus: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`[crawl] workers = 0` is documented as one per CPU: two on two cores, not one."""
    config = config_file(tmp_path, "[crawl]\nworkers = 0\n")
    job = crawl_job_of(["http://127.0.0.1:9/", "--config", config], monkeypatch)
    monkeypatch.setattr("os.cpu_count", lambda: cpus)
    assert pipeline_of(job, tmp_path).workers == cpus


def test_crawl_workers_flag_and_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = config_file(tmp_path, "[crawl]\nworkers = 3\n")
    job = crawl_job_of(["http://127.0.0.1:9/", "--config", config], monkeypatch)
    assert pipeline_of(job, tmp_path).workers == 3
    flag = ["http://127.0.0.1:9/", "--config", config, "--workers", "5"]
    assert pipeline_of(crawl_job_of(flag, monkeypatch), tmp_path).workers == 5


def test_crawl_size_limit_is_the_ingest_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One size limit: a crawled page may be as large as an ingested file (`max_input_bytes`,
    20 MiB by default; the crawl cancelled pages over 10 MB), and it follows the config."""
    job = crawl_job_of(["http://127.0.0.1:9/", "--config", config_file(tmp_path, "")], monkeypatch)
    settings = Settings().with_overrides(**job.corpus_settings)
    ctx = RunContext("run", str(tmp_path / "c"), str(tmp_path / "s"), "", settings)
    assert scrapy_settings(job, ctx).getint("DOWNLOAD_MAXSIZE") == Settings().max_input_bytes
    config = config_file(tmp_path, "[settings]\nmax_input_bytes = 5000\n")
    job = crawl_job_of(["http://127.0.0.1:9/", "--config", config], monkeypatch)
    settings = Settings().with_overrides(**job.corpus_settings)
    ctx = RunContext("run", str(tmp_path / "c"), str(tmp_path / "s"), "", settings)
    assert scrapy_settings(job, ctx).getint("DOWNLOAD_MAXSIZE") == 5000


def test_scrapy_set_still_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--set NAME=VALUE` stays the last word on any Scrapy setting."""
    argv = ["http://127.0.0.1:9/", "--config", config_file(tmp_path, ""), "--batch-size", "7"]
    job = crawl_job_of([*argv, "--set", "CORPUS_BATCH_SIZE=2"], monkeypatch)
    assert pipeline_of(job, tmp_path).batch_size == 2
