"""What a crawl makes of a misbehaving site: the fault site of tests/newssite.py (slow and
dripping pages, a reset, a truncated body, wrong Content-Types and charsets, an endless
calendar) plus two sites whose robots.txt answers 500 or never answers.

    .venv/bin/python bench/crawl_faults.py [--timeout 2] [--depth 40]

Prints, for each fault, what the report says (outcome and reason), how many requests the
server got and the crawl's time; then the calendar trap with and without the link-trap
detector. Figures, never a timed test (tests/crawler/crawl/test_crawl_faults.py has the checks).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from newssite import SECRET, NewsSite, serve, site_job  # noqa: E402

from crawler.crawl.job import run_crawl_job  # noqa: E402
from crawler.crawl.report import CrawlReport  # noqa: E402

FAULT_PATHS = [
    "/faults/slow.html",
    "/faults/drip.html",
    "/faults/reset.html",
    "/faults/truncated.html",
    "/faults/octet-stream",
    "/faults/plain.html",
    "/faults/utf8-under-latin1.html",
    "/faults/cp1252-under-utf8.html",
]


def crawl(
    site: NewsSite, others: list[NewsSite], out: Path, settings: dict[str, object], depth: int
) -> tuple[CrawlReport, float]:
    job = site_job(site, out, max_depth=depth, workers=0, scrapy_settings=settings)
    source = replace(
        job.sources[0],
        start_urls=(site.url("/"), *(o.url("/") for o in others)),
        feeds=(site.url(f"/feed.xml?token={SECRET}"),),
    )
    started = time.monotonic()
    report = run_crawl_job(replace(job, sources=(source,)), capture_log=True, timeout=600)
    return report, time.monotonic() - started


def outcome(report: CrawlReport, url: str) -> str:
    found = [f"{e['outcome']} {e['reason']}" for e in report.events if e["url"] == url]
    return ", ".join(found) or "stored"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=2.0, help="DOWNLOAD_TIMEOUT, seconds")
    parser.add_argument("--depth", type=int, default=40, help="max_depth of the source")
    args = parser.parse_args()
    settings: dict[str, object] = {"DOWNLOAD_TIMEOUT": args.timeout, "RETRY_TIMES": 1}
    with tempfile.TemporaryDirectory() as tmp:
        with (
            serve(4, traps=False, faults=True) as site,
            serve(1, traps=False, robots="error") as r500,
            serve(1, traps=False, robots="slow") as rslow,
        ):
            report, seconds = crawl(site, [r500, rslow], Path(tmp, "a"), settings, args.depth)
            c = report.crawl
            print(
                f"fault crawl: {seconds:.1f} s end to end (Scrapy {c['seconds']} s), "
                f"DOWNLOAD_TIMEOUT {args.timeout} s, RETRY_TIMES 1, max_depth {args.depth}"
            )
            print(f"{'fault':34} {'requests':>8}  report")
            for path in FAULT_PATHS:
                print(f"{path:34} {site.requests[path]:>8}  {outcome(report, site.url(path))}")
            for name, other in (("robots.txt 500", r500), ("robots.txt never answers", rslow)):
                served = other.requests["/robots.txt"]
                print(f"{name:34} {served:>8}  {outcome(report, other.url('/'))} (start page)")
            calendar = len(site.fetched("/calendar/"))
            print(
                f"{'calendar trap (2 shapes)':34} {calendar:>8}  "
                f"skipped link_trap x{c['skipped'].get('link_trap', 0)}"
            )
            print(f"errors {c['errors']}; recovered {c['recovered']}; retries {c['retries']}")
        with serve(4, traps=False, faults=True) as site:
            off = {**settings, "CORPUS_MAX_PAGES_PER_SHAPE": 10**9}
            _, seconds = crawl(site, [], Path(tmp, "b"), off, args.depth)
            print(
                f"without the trap detector: {len(site.fetched('/calendar/'))} calendar pages "
                f"(bounded by max_depth {args.depth} only), {seconds:.1f} s"
            )


if __name__ == "__main__":
    main()
