"""A crawl job (what to crawl, into which dataset, with which settings) and how to run one:
in its own Python process (`python -m crawler.crawl.runner`), because Scrapy's reactor cannot be
started twice in one process. The CLI and the Prefect flow both call `run_crawl_job`."""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from crawler.crawl.progress import read_progress
from crawler.crawl.redact import redact
from crawler.crawl.report import CrawlReport
from crawler.crawl.sources import DEFAULT_MAX_DEPTH, DEFAULT_MAX_PAGES, Source, load_sources
from crawler.errors import (
    ConfigError,
    DatasetAccessError,
    DatasetDamagedError,
    DatasetLockedError,
)
from crawler.run.progress import Progress

EXIT_CONFIG = 2
EXIT_LOCKED = 3
EXIT_DAMAGED = 4
EXIT_ACCESS = 5
EXIT_STOPPED = 130  # Ctrl-C, as shells report it
STOP_SECONDS = 120.0  # after Ctrl-C: how long the crawl may take to stop and commit
LOG_DRAIN_SECONDS = 10.0  # after the crawl process: how long its log may still come


class CrawlInterrupted(Exception):
    """Ctrl-C stopped the crawl; `report` is what it did and committed (None if it had not
    begun, or did not stop in time and was killed)."""

    def __init__(self, report: CrawlReport | None) -> None:
        super().__init__("stopped")
        self.report = report

    @property
    def stored(self) -> int:
        return int(self.report.summary.get("added", 0)) if self.report else 0


@dataclass(frozen=True)
class CrawlJob:
    """Everything one crawl needs; plain values, so it travels as JSON."""

    sources: tuple[Source, ...]
    out: str = "data/corpus"
    job_dir: str | None = None  # JOBDIR; default <out>/_crawl/<job key>
    allow_private: bool = False  # allow every non-public address (tests, intranets)
    allowed_networks: tuple[str, ...] = ()  # CIDRs allowed although not public
    contact: str = ""  # URL or e-mail put in the User-Agent
    http_cache: str | None = None  # HTTPCACHE_DIR, enables the cache
    workers: int | None = None  # chain worker processes (None: CORPUS_WORKERS)
    corpus_settings: dict[str, Any] = field(default_factory=dict)  # crawler.config overrides
    lock_wait_seconds: float = 0.0  # wait this long for another run writing the dataset
    scrapy_settings: dict[str, Any] = field(default_factory=dict)  # Scrapy overrides

    def __post_init__(self) -> None:
        if not self.sources:
            raise ConfigError("nothing to crawl: give URLs, --sitemap, --feed or --sources")
        names = [s.name for s in self.sources]
        if len(set(names)) != len(names):
            raise ConfigError("source names must be unique")

    @property
    def key(self) -> str:
        """Stable id of what is crawled: the same command resumes the same job."""
        data = json.dumps([s.to_dict() for s in self.sources], sort_keys=True, default=list)
        return hashlib.sha256(data.encode()).hexdigest()[:16]

    @property
    def resolved_job_dir(self) -> str:
        return self.job_dir or str(Path(self.out) / "_crawl" / self.key)

    def to_json(self) -> str:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        data["sources"] = [s.to_dict() for s in self.sources]
        return json.dumps(data, default=list)

    @classmethod
    def from_json(cls, text: str) -> CrawlJob:
        data = json.loads(text)
        data["sources"] = tuple(Source.from_dict(s) for s in data["sources"])
        data["allowed_networks"] = tuple(data.get("allowed_networks", ()))
        return cls(**data)


def _forward_log(stream: IO[str], keep: list[str] | None, tail: deque[str]) -> None:
    """The child's output, redacted line by line, into `keep` or this process's stderr."""
    for line in stream:
        line = redact(line)
        tail.append(line)
        if keep is not None:
            keep.append(line)
        else:
            sys.stderr.write(line)
            sys.stderr.flush()


def run_crawl_job(
    job: CrawlJob,
    *,
    capture_log: bool = False,
    timeout: float | None = None,
    progress: Progress | None = None,
) -> CrawlReport:
    """Run the crawl in a child process and return its report.

    The child's Scrapy log, redacted (`crawler.crawl.redact`: credentials, tokens), goes to this
    process's stderr, or into `report.log` with capture_log. Raises ConfigError /
    DatasetLockedError like `corpus ingest` does, RuntimeError when the child dies without a
    report, subprocess.TimeoutExpired (the child killed) after `timeout` seconds, and
    CrawlInterrupted after Ctrl-C (once the crawl has stopped and committed what it fetched).
    The child's files (job, report, progress) live in `<out>/_crawl/run-*`, never elsewhere.
    `progress` is told the pages fetched (of at most the sources' page limits) as they come.
    """
    with _run_dir(job) as tmp:
        job_file, report_file = Path(tmp) / "job.json", Path(tmp) / "report.json"
        job_file.write_text(job.to_json(), "utf-8")
        progress_file = Path(tmp) / "progress.json"
        command = [
            sys.executable,
            "-m",
            "crawler.crawl",  # (crawler/crawl/__main__.py: its workers do not import it)
            str(job_file),
            str(report_file),
            str(progress_file),
        ]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        kept: list[str] | None = [] if capture_log else None
        tail: deque[str] = deque(maxlen=20)
        interrupted = False
        with subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            env=env,
        ) as child:
            assert child.stdout is not None
            forward = threading.Thread(
                target=_forward_log, args=(child.stdout, kept, tail), daemon=True
            )
            forward.start()
            try:
                returncode = _wait(child, timeout, progress, progress_file, job)
            except subprocess.TimeoutExpired:
                child.kill()
                raise
            except KeyboardInterrupt:
                interrupted = True
                returncode = _stop(child)
            finally:
                # bounded: a process the crawl left behind may hold the pipe open
                forward.join(LOG_DRAIN_SECONDS)
        if not report_file.exists():
            if interrupted:
                raise CrawlInterrupted(None)
            raise RuntimeError(
                f"crawl process exited {returncode} without a report\n{''.join(tail)}"
            )
        data = json.loads(report_file.read_text("utf-8"))
    error = data.get("error")
    if interrupted or returncode == EXIT_STOPPED:
        raise CrawlInterrupted(None if error else CrawlReport.from_dict(data))
    if returncode == EXIT_LOCKED and error:
        raise DatasetLockedError(error)
    if returncode == EXIT_CONFIG and error:
        raise ConfigError(error)
    if returncode == EXIT_DAMAGED and error:
        raise DatasetDamagedError(error)
    if returncode == EXIT_ACCESS and error:
        raise DatasetAccessError(error)
    if error:
        raise RuntimeError(f"crawl failed: {error}")
    return CrawlReport.from_dict(data, log="".join(kept or []))


@contextlib.contextmanager
def _run_dir(job: CrawlJob) -> Iterator[str]:
    """A private folder for the crawl process's job, report and progress files, inside the
    dataset's own folder (the job file holds the URLs unmasked), removed after the run. Those
    of runs killed outright are removed by the next run."""
    base = Path(job.out) / "_crawl"
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot use {job.out} as the dataset folder: {exc}") from exc
    for stale in base.glob("run-*-*"):
        pid = stale.name.split("-")[1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    try:
        with tempfile.TemporaryDirectory(prefix=f"run-{os.getpid()}-", dir=base) as tmp:
            yield tmp
    finally:
        with contextlib.suppress(OSError):  # only when empty: a refused crawl leaves no trace
            base.rmdir()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop(child: subprocess.Popen[str]) -> int:
    """After Ctrl-C: the crawl process got it too (same terminal) and is stopping, committing
    what it fetched. If it did not (the signal was for this process alone), pass it on; a crawl
    that has not stopped after STOP_SECONDS is killed. Further Ctrl-Cs do not end the wait
    early: the commit must not be cut short. Returns its exit status."""
    deadline = time.monotonic() + STOP_SECONDS
    forwarded = False
    while True:
        try:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                child.kill()
                return child.wait(LOG_DRAIN_SECONDS)
            return child.wait(min(remaining, 5.0))
        except subprocess.TimeoutExpired:
            if not forwarded:
                child.send_signal(signal.SIGINT)
                forwarded = True
        except KeyboardInterrupt:
            continue


def _wait(
    child: subprocess.Popen[str],
    timeout: float | None,
    progress: Progress | None,
    progress_file: Path,
    job: CrawlJob,
) -> int:
    """Wait for the child; meanwhile pass the pages it has fetched to `progress`."""
    deadline = None if timeout is None else time.monotonic() + timeout
    if progress is not None:
        progress.start("pages", sum(s.max_pages for s in job.sources))
    shown = 0
    while True:
        try:
            returncode = child.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            returncode = None
        if progress is not None:
            pages = int(read_progress(progress_file).get("pages", shown))
            progress.advance(pages - shown)
            shown = pages
        if returncode is not None:
            return returncode
        if deadline is not None and time.monotonic() > deadline:
            raise subprocess.TimeoutExpired(child.args, timeout or 0.0)


def job_from_options(
    *,
    urls: list[str] | None = None,
    sitemaps: list[str] | None = None,
    feeds: list[str] | None = None,
    sources_file: str | None = None,
    source_names: list[str] | None = None,
    allowed_domains: list[str] | None = None,
    article_pattern: str | None = None,
    max_pages: int | None = None,
    max_depth: int | None = None,
    **job: Any,
) -> CrawlJob:
    """A job from command-line style options: a sources file, and/or URLs given directly
    (one ad-hoc source named "command-line"). Raises ConfigError for bad values."""
    sources = list(load_sources(sources_file, source_names)) if sources_file else []
    if source_names and not sources_file:
        raise ConfigError("--source needs --sources FILE")
    if urls or sitemaps or feeds:
        sources.append(
            Source(
                name="command-line",
                start_urls=tuple(urls or ()),
                sitemaps=tuple(sitemaps or ()),
                feeds=tuple(feeds or ()),
                allowed_domains=tuple(allowed_domains or ()),
                article_pattern=article_pattern,
                max_pages=max_pages or DEFAULT_MAX_PAGES,
                max_depth=DEFAULT_MAX_DEPTH if max_depth is None else max_depth,
            )
        )
    for net in job.get("allowed_networks", ()):
        try:
            ipaddress.ip_network(net, strict=False)
        except ValueError as exc:
            raise ConfigError(f"not a network: {net!r}") from exc
    return CrawlJob(sources=tuple(sources), **job)
