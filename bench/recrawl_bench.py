"""Re-crawl cost: a first crawl of the generated fixture site, then a re-crawl of the same,
unchanged site into the same dataset, each timed end to end (`python -m crawler.crawl`, the
crawl `corpus crawl` runs) with the requests the site answered.

    .venv/bin/python bench/recrawl_bench.py [--articles 1000] [--per-page 20] [--no-bytecode]

Prints both times, both request counts and their ratios. Python runs as on a user's machine,
with compiled modules cached (in a temporary PYTHONPYCACHEPREFIX, warmed before the first crawl):
where PYTHONDONTWRITEBYTECODE is set, every process (the crawl, its cleaning workers) compiles
Scrapy, pandas, pyarrow... from source again, tens of seconds on a busy machine that both crawls
pay alike; `--no-bytecode` keeps the environment as it is. The crawl's worker pool starts on the
first page that needs cleaning: a re-crawl that finds nothing new starts none.
The re-crawl fetches only the entry points (start page, sitemap, feed, robots.txt) and what no
table remembers: stored articles, URLs that answered 404 and listing pages seen lately are
skipped (crawler/store/urlstate.py). A figure, never a timed test
(tests/crawler/crawl/test_crawl.py counts the requests).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from newssite import NewsSite, site_job  # noqa: E402


def python_env(tmp: Path, bytecode: bool) -> dict[str, str]:
    """The crawls' environment: with a warm bytecode cache unless `bytecode` is False."""
    env = dict(os.environ)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
        warm = "import crawler.crawl.runner, crawler.crawl.pipelines, crawler.crawl.spiders.news"
        subprocess.run([sys.executable, "-c", warm], check=True, cwd=ROOT, env=env)
    return env


def crawl_once(
    site: NewsSite, out: Path, tmp: Path, name: str, env: dict[str, str]
) -> tuple[float, int, Any]:
    """One crawl in its own process: (seconds, requests the site answered, crawl counts)."""
    job = site_job(site, out, max_pages=100_000, scrapy_settings={"LOG_LEVEL": "WARNING"})
    job_file, report_file = tmp / f"{name}.job.json", tmp / f"{name}.report.json"
    job_file.write_text(job.to_json())
    before = sum(site.requests.values())
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "crawler.crawl", str(job_file), str(report_file)],
        check=True,
        cwd=ROOT,
        env=env,
    )
    seconds = time.perf_counter() - started
    report = json.loads(report_file.read_text())
    crawl = dict(report["crawl"], commit_seconds=report["summary"]["seconds"])
    return seconds, sum(site.requests.values()) - before, crawl


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--per-page", type=int, default=20, help="articles per listing page")
    parser.add_argument(
        "--no-bytecode", action="store_true", help="keep PYTHONDONTWRITEBYTECODE as it is"
    )
    args = parser.parse_args()
    site = NewsSite(args.articles, per_page=args.per_page).start()
    try:
        with tempfile.TemporaryDirectory(prefix="recrawl-bench-") as tmp:
            out = Path(tmp) / "corpus"
            env = python_env(Path(tmp), not args.no_bytecode)
            first = crawl_once(site, out, Path(tmp), "first", env)
            again = crawl_once(site, out, Path(tmp), "again", env)
    finally:
        site.stop()
    for name, (seconds, requests, crawl) in (("first crawl", first), ("re-crawl", again)):
        print(
            f"{name}: {seconds:.1f} s end to end ({crawl['seconds']:.1f} s crawling, then "
            f"{crawl['commit_seconds']}), {requests} requests, {crawl['stored']} stored, "
            f"skipped {crawl['skipped']}"
        )
    print(
        f"re-crawl / first: time {again[0] / first[0]:.2f}, requests {again[1] / first[1]:.3f} "
        f"({args.articles} articles, {site.base}, "
        f"{'no bytecode cache' if args.no_bytecode else 'bytecode cached'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
