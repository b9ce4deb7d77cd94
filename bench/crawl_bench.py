"""Crawl throughput against a generated site on 127.0.0.1, as ratios against baselines measured in
the same run: the fetch loop against a bare Scrapy spider, the whole crawl against the cores
times the extraction rate.

    .venv/bin/python bench/crawl_bench.py [--articles 1000] [--workers N] [--rounds 1]
        [--code DIR] [--loop-only]

Each round runs, one after the other on the same site:
- `bare`: a bare Scrapy spider that only downloads the URLs our crawl got a response for;
- `loop`: our crawl (classify, follow, archive, hand-off to the workers, stage, commit) with the
  extraction stubbed out (`bench/crawl_stub.py`: a reject, no parse), not the product;
- `whole`: our crawl as shipped;
- `extract`: `crawler.crawl.page_worker.clean_page` on the article pages the crawl stored, one
  process, one core: the extraction rate.
Prints pages/s of each (over Scrapy's crawl time), the ratios `loop / bare` (target >= 0.7)
and `whole / (cores x extract)` (target >= 0.9; the whole crawl: fetch and clean, then dedup
and commit, as the run summary times them; the crawl alone too) with the most a crawl on Scrapy
could reach of the latter on these cores (every article's extraction plus bare Scrapy's CPU
for the pages fetched per article, nothing else: `scrapy_bound`), CPU seconds per page of the
crawl process, of its workers and of its dedup and commit, peak RSS of each crawl's process
tree, and the load average around each run (the machine is shared: wall-clock rates move with
the load; CPU per page does not much).
`--loop-only` runs only `loop` and `bare` (the bare spider on the URLs the loop crawl got a
response for), alternating which goes first from round to round: the fetch loop's ratio alone,
in a fraction of the time.
`--code DIR` runs the crawls and the extraction with the `crawler` package of another checkout
(e.g. an old commit unpacked with `git archive`), for before/after figures with one bench.
A figure, never a timed test.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CODE = Path(os.environ.get("CRAWL_BENCH_CODE", ROOT))  # the checkout whose crawler runs
sys.path.insert(0, str(CODE))
sys.path.insert(0, str(ROOT / "tests"))

from newssite import FAST, NewsSite, site_job  # noqa: E402

SCRAPY_COMMON = {
    "ROBOTSTXT_OBEY": False,
    "TELNETCONSOLE_ENABLED": False,
    "REMOTE_CONTROL_ENABLED": False,
    "LOG_LEVEL": "WARNING",
    "CONCURRENT_REQUESTS": 32,
}
# importable by the crawl and its workers (PYTHONPATH); a module that imports nothing
STUB = "crawl_stub.stub_clean_page"

_TICKS = os.sysconf("SC_CLK_TCK")


def _tree(pid: int, cpu: dict[int, float], depth: dict[int, int]) -> int:
    """RSS in bytes of a process and all its descendants (Linux /proc); records each one's
    CPU seconds so far in cpu, and its depth below `pid` in depth."""
    total, todo = 0, [(pid, 0)]
    while todo:
        current, below = todo.pop()
        depth[current] = below
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            cpu[current] = (int(fields[11]) + int(fields[12])) / _TICKS
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [(int(c), below + 1) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Measured:
    wall: float  # seconds, process start to exit
    rss: int  # peak RSS of the process tree
    cpu_main: float  # CPU seconds of the process itself (its own figure, at exit)
    cpu_children: float  # CPU seconds of its descendants (workers), as last sampled
    cpu_direct: float  # of them, its own children's: the forkserver (and resource tracker)
    cpu_server: float  # CPU seconds of this process meanwhile: the site's server threads
    load: tuple[float, float]  # 1-minute load average before and after


def run_measured(command: list[str], env: dict[str, str]) -> Measured:
    """Run a command, polling its process tree every 50 ms."""
    load = os.getloadavg()[0]
    server = _cpu()
    cpu: dict[int, float] = {}
    depth: dict[int, int] = {}
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=env.get("CRAWL_BENCH_CODE"))
    peak = 0
    while child.poll() is None:
        peak = max(peak, _tree(child.pid, cpu, depth))
        time.sleep(0.05)
    wall = time.perf_counter() - started
    if child.returncode:
        raise SystemExit(f"{command[:4]} exited {child.returncode}")
    main = cpu.pop(child.pid, 0.0)
    direct = sum(seconds for pid, seconds in cpu.items() if depth.get(pid) == 1)
    return Measured(
        wall, peak, main, sum(cpu.values()), direct, _cpu() - server, (load, os.getloadavg()[0])
    )


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
    cpu = time.process_time()
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    stats["cpu_seconds"] = time.process_time() - cpu  # as our crawl reports it
    Path(stats_file).write_text(json.dumps(stats, default=str))


def extract_child(pages_file: str, result_file: str) -> None:
    """The extraction rate (in its own process, on one core): `clean_page` on each page."""
    from crawler.config import Settings
    from crawler.crawl.items import PageItem

    try:
        from crawler.crawl.page_worker import clean_page
    except ImportError:  # a checkout from before crawler.crawl.page_worker (--code)
        from crawler.crawl.pipelines import clean_page  # type: ignore[attr-defined]

    pages: list[tuple[str, bytes]] = pickle.loads(Path(pages_file).read_bytes())
    settings = Settings()
    items = [PageItem(url, url, body, "utf-8", "bench") for url, body in pages]
    clean_page(items[0], settings)  # first-call costs (lazy imports, caches) are not a rate
    cpu, started, stored = time.process_time(), time.perf_counter(), 0
    for item in items:
        stored += clean_page(item, settings)[0] is not None
    result = {
        "pages": len(items),
        "stored": stored,
        "cpu": time.process_time() - cpu,
        "wall": time.perf_counter() - started,
    }
    Path(result_file).write_text(json.dumps(result))


def records_digest(dataset: Path, base: str) -> str:
    """sha256 over the dataset's committed records, merges and audit rows, each row's repr with
    the site's address (a new port in every bench) written as `SITE`, sorted: equal for two
    crawls of the site that committed the same rows, whatever the files' layout."""
    import pyarrow.parquet as pq

    digest = hashlib.sha256()
    for table, columns in (
        ("records", ["doc_id", "text", "sources", "title", "language", "word_count"]),
        ("_merges", ["source_uri", "doc_id", "kind", "similarity"]),
        ("audit", ["source_uri", "line_no", "line", "reason"]),
    ):
        rows = []
        for path in sorted((dataset / table).rglob("*.parquet")):
            for row in pq.read_table(path, columns=columns).to_pylist():
                if "sources" in row:
                    row["sources"] = sorted(row["sources"])
                rows.append(repr(list(row.values())).replace(base, "SITE"))
        digest.update(f"{table}:{len(rows)}".encode())
        for text in sorted(rows):
            digest.update(text.encode())
    return digest.hexdigest()[:16]


def crawl_once(
    site: NewsSite, tmp: Path, name: str, env: dict[str, str], args: argparse.Namespace
) -> tuple[dict[str, Any], Measured]:
    """One crawl of the whole site into a new dataset (`tmp` is the round's folder)."""
    extra: dict[str, Any] = {"LOG_LEVEL": "WARNING", "CONCURRENT_REQUESTS": 32}
    if name == "loop":
        extra["CORPUS_CLEAN_PAGE"] = STUB
    job = site_job(
        site,
        tmp / f"{name}-corpus",
        workers=args.workers,
        max_pages=args.articles + 100,  # every article and listing page of the site
        scrapy_settings=extra,
    )
    job_file, report_file = tmp / f"{name}-job.json", tmp / f"{name}-report.json"
    job_file.write_text(job.to_json())
    # as crawler.crawl.job starts it (an older --code: its runner module)
    main = (
        "crawler.crawl"
        if (args.code / "crawler/crawl/__main__.py").exists()
        else "crawler.crawl.runner"
    )
    command = [sys.executable, "-m", main, str(job_file), str(report_file)]
    measured = run_measured(command, env)
    report = json.loads(report_file.read_text())
    if name == "whole":
        report["records_digest"] = records_digest(tmp / f"{name}-corpus", site.base)
    return report, measured


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=None, help="chain worker processes")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose crawler runs")
    parser.add_argument(
        "--loop-only", action="store_true", help="only the fetch loop and the bare spider"
    )
    parser.add_argument("--bare-child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--extract-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_child:
        bare_child(*args.bare_child)
        return 0
    if args.extract_child:
        extract_child(*args.extract_child)
        return 0

    code = args.code.resolve()
    path = os.pathsep.join([str(code), str(ROOT / "bench"), str(ROOT / "tests")])
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": path, "CRAWL_BENCH_CODE": str(code)}
    cores = os.cpu_count() or 1
    rows: list[dict[str, Any]] = []
    site = NewsSite(args.articles, traps=False, per_page=50).start()
    try:
        with tempfile.TemporaryDirectory(prefix="crawl-bench-") as tmp_name:
            tmp = Path(tmp_name)
            for n in range(args.rounds):
                (tmp / f"round-{n}").mkdir()
                one = loop_round if args.loop_only else one_round
                rows.append(one(site, tmp / f"round-{n}", env, args, n))
    finally:
        site.stop()
    report(rows, args, cores, code, site)
    return 0


def run_bare(site: NewsSite, tmp: Path, env: dict[str, str], fetched: list[str]) -> Any:
    """The bare spider on these site paths: (its stats, Measured)."""
    urls_file, stats_file = tmp / "urls.json", tmp / "bare.json"
    urls_file.write_text(json.dumps([site.url(p) for p in fetched]))
    bare = [sys.executable, __file__, "--bare-child", str(urls_file), str(stats_file)]
    measured = run_measured(bare, env)
    return json.loads(stats_file.read_text()), measured


def loop_round(
    site: NewsSite, tmp: Path, env: dict[str, str], args: argparse.Namespace, n: int
) -> dict[str, Any]:
    """`loop` and `bare` only; which one runs first alternates from round to round."""
    row: dict[str, Any] = {}
    if n % 2 and (tmp.parent / "round-0" / "urls.json").exists():  # bare first
        fetched = json.loads((tmp.parent / "round-0" / "urls.json").read_text())
        row["bare"] = run_bare(site, tmp, env, [p.removeprefix(site.base) for p in fetched])
        row["loop"] = crawl_once(site, tmp, "loop", env, args)
        return row
    site.requests.clear()
    row["loop"] = crawl_once(site, tmp, "loop", env, args)
    fetched = sorted(p for p in site.requests if p != "/robots.txt")
    row["bare"] = run_bare(site, tmp, env, fetched)
    return row


def one_round(
    site: NewsSite, tmp: Path, env: dict[str, str], args: argparse.Namespace, n: int
) -> dict[str, Any]:
    row: dict[str, Any] = {}
    site.requests.clear()
    row["whole"] = crawl_once(site, tmp, "whole", env, args)
    # the bare spider downloads exactly the pages our crawl got a response for
    fetched = sorted(p for p in site.requests if p != "/robots.txt")
    row["bare"] = run_bare(site, tmp, env, fetched)
    row["loop"] = crawl_once(site, tmp, "loop", env, args)
    articles = [p for p in fetched if p.startswith("/articles/")]
    pages_file, result_file = tmp / "pages.pickle", tmp / "extract.json"
    pages = [(site.url(p), site.pages[p].body) for p in articles if p in site.pages]
    pages_file.write_bytes(pickle.dumps(pages))
    extract = [sys.executable, __file__, "--extract-child", str(pages_file), str(result_file)]
    measured = run_measured(extract, env)
    row["extract"] = json.loads(result_file.read_text()), measured
    return row


def _ms(seconds: float, n: int) -> str:
    return f"{seconds / max(1, n) * 1000:.2f} ms"


def report(
    rows: list[dict[str, Any]], args: argparse.Namespace, cores: int, code: Path, site: NewsSite
) -> None:
    mib = 1024 * 1024
    print(f"site: {args.articles} articles + listing pages on {site.base}; cores {cores}")
    print(f"code: {code}; workers {args.workers or 'default'}; rounds {len(rows)}")
    ratios: list[tuple[float, float]] = []
    for n, row in enumerate(rows, 1):
        (bare, _), (loop, m_loop) = row["bare"], row["loop"]
        print(f"round {n}:")
        runs = [(k, row[k][1]) for k in ("whole", "bare", "loop") if k in row]
        for name, m in sorted(runs, key=lambda r: list(row).index(r[0])):
            print(
                f"  {name:7} load {m.load[0]:.1f}->{m.load[1]:.1f}; wall {m.wall:.2f} s; CPU: "
                f"crawl process {m.cpu_main:.1f} s, workers {m.cpu_children:.1f} s (the "
                f"forkserver's {m.cpu_direct:.1f} s of it, its start mostly), site "
                f"server {m.cpu_server:.1f} s; peak RSS {m.rss / mib:.0f} MiB"
            )
        b_pages, b_secs = int(bare["response_received_count"]), float(bare["elapsed_time_seconds"])
        l_pages, l_secs = loop["crawl"]["pages_fetched"], loop["crawl"]["seconds"]
        b_cpu, l_cpu = float(bare["cpu_seconds"]), loop["crawl"].get("cpu_seconds", m_loop.cpu_main)
        print(
            f"  bare    {b_pages / b_secs:.1f} pages/s ({b_pages} pages in {b_secs:.2f} s; "
            f"{_ms(b_cpu, b_pages)} CPU per page during the crawl)"
        )
        print(
            f"  loop    {l_pages / l_secs:.1f} pages/s ({l_pages} pages in {l_secs:.2f} s; "
            f"{_ms(l_cpu, l_pages)} CPU per page in the crawl process during the crawl, "
            f"{_ms(m_loop.cpu_children, l_pages)} in its workers)"
        )
        ratio = ((l_pages / l_secs) / (b_pages / b_secs), (b_cpu / b_pages) / (l_cpu / l_pages))
        ratios.append(ratio)
        print(
            f"  fetch loop / bare Scrapy: {ratio[0]:.2f} in pages/s (target >= 0.7), "
            f"{ratio[1]:.2f} in CPU per page"
        )
        if "whole" in row:
            whole_report(row, cores, b_cpu / max(1, b_pages))
    if len(ratios) > 1:
        wall, cpu = sorted(r[0] for r in ratios), sorted(r[1] for r in ratios)
        print(
            f"fetch loop / bare Scrapy over {len(ratios)} rounds: median {median(wall):.2f} in "
            f"pages/s ({wall[0]:.2f}-{wall[-1]:.2f}), median {median(cpu):.2f} in CPU per page "
            f"({cpu[0]:.2f}-{cpu[-1]:.2f})"
        )


def scrapy_bound(extract_cpu: float, bare_cpu: float, pages_per_article: float) -> float:
    """The most any crawl built on Scrapy can reach of `whole / (cores x extraction)` on these
    cores, whatever their number: every article costs at least its extraction (`extract_cpu`
    seconds, in a worker) and the Scrapy work of the pages fetched for it (`bare_cpu` seconds
    a page, as a bare spider spends, in the crawl process), all of it sharing the same cores,
    with nothing else (no page type, archive, hand-off, dedup or commit) and no core idle."""
    return extract_cpu / (extract_cpu + bare_cpu * pages_per_article)


def whole_report(row: dict[str, Any], cores: int, bare_cpu: float) -> None:
    """The whole crawl against the extraction rate (a round with `whole` and `extract`);
    `bare_cpu` is the bare spider's CPU seconds a page in the same round."""
    (whole, m_whole), (extract, m_extract) = row["whole"], row["extract"]
    one_core = extract["pages"] / extract["wall"]
    print(
        f"  extract load {m_extract.load[0]:.1f}->{m_extract.load[1]:.1f}; "
        f"{extract['pages']} article pages ({extract['stored']} give a document): "
        f"{one_core:.1f} pages/s on one core, {_ms(extract['cpu'], extract['pages'])} CPU "
        "per page"
    )
    crawl = whole["crawl"]
    cleaned, w_secs = crawl["articles"], crawl["seconds"]
    w_cpu = crawl.get("cpu_seconds", m_whole.cpu_main)
    print(
        f"  whole   {cleaned / w_secs:.1f} articles cleaned/s ({cleaned} articles of "
        f"{crawl['pages_fetched']} pages in {w_secs:.2f} s; {crawl['stored']} stored, "
        f"{whole['summary']['added']} added, dropped {crawl['dropped']}; "
        f"{_ms(w_cpu, crawl['pages_fetched'])} CPU per page in the crawl process during "
        f"the crawl, {_ms(m_whole.cpu_children, cleaned)} per article in its workers; "
        f"records digest {whole.get('records_digest')})"
    )
    # the step after the crawl: dedup and commit, in the crawl process
    seconds = whole["summary"]["seconds"]
    dedup, commit = seconds.get("dedup", 0.0), seconds.get("write_and_commit", 0.0)
    f_cpu = crawl.get("finish_cpu_seconds")
    run_secs = w_secs + dedup + commit  # fetch + clean, then dedup + commit
    print(
        f"  finish  dedup {dedup:.2f} s + write and commit {commit:.2f} s"
        + (f" ({f_cpu:.1f} s CPU)" if f_cpu is not None else "")
        + f"; whole run {run_secs:.2f} s = {cleaned / run_secs:.1f} articles/s "
        f"(process wall {m_whole.wall:.2f} s, start-up and exit included)"
    )
    bound = cores * one_core
    print(
        f"  whole crawl (crawl + dedup + commit) / (cores x extraction rate): "
        f"{cleaned / run_secs / bound:.2f} (target >= 0.9; {cores} x {one_core:.1f} = "
        f"{bound:.1f} pages/s); the crawl alone (fetch + clean): "
        f"{cleaned / w_secs / bound:.2f}"
    )
    # the same in CPU per article, which the load moves far less than wall-clock rates:
    # what idle cores would give, the crawl process sharing them with the workers
    finish_cpu = (f_cpu or 0.0) / max(1, cleaned)
    whole_cpu = w_cpu / crawl["pages_fetched"] + m_whole.cpu_children / max(1, cleaned)
    extract_cpu = extract["cpu"] / extract["pages"]
    print(
        f"  in CPU per article: whole crawl {(whole_cpu + finish_cpu) * 1000:.2f} ms (crawl "
        f"process {w_cpu / crawl['pages_fetched'] * 1000:.2f} ms per page fetched + "
        f"workers {m_whole.cpu_children / max(1, cleaned) * 1000:.2f} + dedup and commit "
        f"{finish_cpu * 1000:.2f}) vs extraction {extract_cpu * 1000:.2f} ms: "
        f"{extract_cpu / (whole_cpu + finish_cpu):.2f}"
    )
    per_article = crawl["pages_fetched"] / max(1, cleaned)
    limit = scrapy_bound(extract_cpu, bare_cpu, per_article)
    print(
        f"  bound with Scrapy's own loop: extraction {extract_cpu * 1000:.2f} ms / (extraction "
        f"+ bare Scrapy {bare_cpu * 1000:.2f} ms a page x {per_article:.2f} pages an article) "
        f"= {limit:.2f} of cores x extraction at most (target 0.9: the crawl process, dedup and "
        f"commit within {extract_cpu / 9 * 1000:.2f} ms an article, where bare Scrapy alone "
        f"spends {bare_cpu * per_article * 1000:.2f})"
    )


if __name__ == "__main__":
    sys.exit(main())
