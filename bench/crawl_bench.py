"""Crawl throughput: our crawl (classify, follow, clean, dedup, commit) vs a bare Scrapy spider
that only downloads the same pages, both against a generated site on 127.0.0.1.

    .venv/bin/python bench/crawl_bench.py [--articles 1000] [--workers N]

Prints pages/s for both (over Scrapy's crawl time, and end to end including process start and
the commit), the ratio, and the peak memory of each crawl's process tree (RSS summed over the
crawl process and its chain workers, polled every 50 ms). A figure, never a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from newssite import FAST, NewsSite, site_job  # noqa: E402

SCRAPY_COMMON = {
    "ROBOTSTXT_OBEY": False,
    "TELNETCONSOLE_ENABLED": False,
    "REMOTE_CONTROL_ENABLED": False,
    "LOG_LEVEL": "WARNING",
    "CONCURRENT_REQUESTS": 32,
}


_TICKS = os.sysconf("SC_CLK_TCK")


def _tree(pid: int, cpu: dict[int, float]) -> int:
    """RSS in bytes of a process and all its descendants (Linux /proc); records each one's
    CPU seconds so far in cpu."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            cpu[current] = (int(fields[11]) + int(fields[12])) / _TICKS
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_measured(command: list[str]) -> tuple[float, int, float, float]:
    """Run a command; (wall seconds, peak RSS of its process tree, CPU seconds of that tree
    as sampled, CPU seconds of this process meanwhile: the site's server threads)."""
    server = _cpu()
    cpu: dict[int, float] = {}
    started = time.perf_counter()
    child = subprocess.Popen(command, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    peak = 0
    while child.poll() is None:
        peak = max(peak, _tree(child.pid, cpu))
        time.sleep(0.05)
    if child.returncode:
        raise SystemExit(f"{command[:4]} exited {child.returncode}")
    wall = time.perf_counter() - started
    return wall, peak, sum(cpu.values()), _cpu() - server


def bare_child(urls_file: str, stats_file: str) -> None:
    """The bare spider (in its own process): download every URL, parse nothing."""
    from scrapy import Request, Spider
    from scrapy.crawler import CrawlerProcess

    urls = json.loads(Path(urls_file).read_text())

    class Bare(Spider):
        name = "bare"

        async def start(self) -> Any:
            for url in urls:
                yield Request(url, callback=self.parse)

        def parse(self, response: Any) -> None:
            return None

    process = CrawlerProcess({**SCRAPY_COMMON, **FAST})
    crawler = process.create_crawler(Bare)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    Path(stats_file).write_text(json.dumps(stats, default=str))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=None, help="chain worker processes")
    parser.add_argument("--bare-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_child:
        bare_child(*args.bare_child)
        return 0

    site = NewsSite(args.articles, traps=False, per_page=50).start()
    try:
        with tempfile.TemporaryDirectory(prefix="crawl-bench-") as tmp:
            out = Path(tmp) / "corpus"
            job = site_job(
                site,
                out,
                workers=args.workers,
                scrapy_settings={"LOG_LEVEL": "WARNING", "CONCURRENT_REQUESTS": 32},
            )
            job_file, report_file = Path(tmp) / "job.json", Path(tmp) / "report.json"
            job_file.write_text(job.to_json())
            ours_wall, ours_rss, ours_cpu, ours_server = run_measured(
                [sys.executable, "-m", "crawler.crawl.runner", str(job_file), str(report_file)]
            )
            report = json.loads(report_file.read_text())
            crawl = report["crawl"]
            # the bare spider downloads exactly the pages our crawl got a response for
            fetched = sorted(p for p in site.requests if p != "/robots.txt")
            urls_file, stats_file = Path(tmp) / "urls.json", Path(tmp) / "bare.json"
            urls_file.write_text(json.dumps([site.url(p) for p in fetched]))
            bare_wall, bare_rss, bare_cpu, bare_server = run_measured(
                [sys.executable, __file__, "--bare-child", str(urls_file), str(stats_file)]
            )
            bare = json.loads(stats_file.read_text())
    finally:
        site.stop()

    ours_pages, bare_pages = crawl["pages_fetched"], int(bare["response_received_count"])
    ours_rate = ours_pages / crawl["seconds"]
    bare_rate = bare_pages / float(bare["elapsed_time_seconds"])
    mib = 1024 * 1024
    print(f"site: {args.articles} articles + listing pages on {site.base}; cpus {os.cpu_count()}")
    print(
        f"ours: {ours_pages} responses, {crawl['stored']} stored, "
        f"{report['summary']['added']} added, listings {crawl['listings']}, "
        f"dropped {crawl['dropped']}, skipped {crawl['skipped']}, errors {crawl['errors']}"
    )
    print(
        f"ours: {ours_rate:.1f} pages/s over the crawl ({crawl['seconds']:.2f} s), "
        f"{ours_pages / ours_wall:.1f} pages/s end to end ({ours_wall:.2f} s, commit "
        f"{report['summary']['seconds'].get('dedup_and_commit', 0):.2f} s); "
        f"peak RSS {ours_rss / mib:.0f} MiB; CPU {ours_cpu:.1f} s (site server {ours_server:.1f} s)"
    )
    print(
        f"bare: {bare_rate:.1f} pages/s over the crawl ({float(bare['elapsed_time_seconds']):.2f}"
        f" s), {bare_pages / bare_wall:.1f} pages/s end to end ({bare_wall:.2f} s); "
        f"peak RSS {bare_rss / mib:.0f} MiB; CPU {bare_cpu:.1f} s (site server {bare_server:.1f} s)"
    )
    print(
        f"ratio ours/bare: {ours_rate / bare_rate:.2f} over the crawl, "
        f"{(ours_pages / ours_wall) / (bare_pages / bare_wall):.2f} end to end (target >= 0.7)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
