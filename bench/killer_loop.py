"""Inputs that kill their worker process, over and over: does a dead worker ever cost more
than its own input (an innocent loss), or hang the run?

    nice .venv/bin/python bench/killer_loop.py [--iterations 50] [--timeout 300]
        [--paths ingest,pool,crawl]

Three paths, all on THE crash-isolating pool (crawler.run.workers.IsolatingPool), each run
`--iterations` times, every run in a process group of its own that is killed after `--timeout`
seconds (a hang):
  ingest  `clean_batches` (what `corpus ingest` runs): 8 eval/dev pages and a copy of one
          named die-*.html, batches of 2 on 2 workers; the worker that gets die-* dies.
  pool    `WorkerPool` (what the Prefect ingest flow's batch tasks share), called from 4
          threads as the flow's task runner does, same inputs.
  crawl   `corpus crawl`'s job (crawler.crawl.runner in a child process) on the fixture news site
          (tests/newssite.py, 5 articles), 2 workers (crawler.crawl.pipelines); cleaning the first
          article kills its worker (tests/crashy.py).
An innocent loss is an input that the run without a killer accounts for (stored, or rejected
for its own reason) and the run with the killer does not. Prints one line per iteration that
went wrong and, per path, iterations / hangs / innocent losses / killer not rejected as
`crashed`. Target: 0 hangs, 0 innocent losses.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
PATHS = ("ingest", "pool", "crawl")
DEV_PAGES = 8


def _name(uri: str) -> str:
    """A file's name or a page's path: what an input is known by across runs."""
    parts = urlsplit(uri)
    return Path(unquote(parts.path)).name if parts.scheme == "file" else parts.path


def _outcomes(out: Path, rejects: list[dict[str, str]]) -> dict[str, str]:
    """Input -> "stored" or its reject reason."""
    import pyarrow.dataset as pads

    found = {_name(r["source_uri"]): str(r["reason"]) for r in rejects}
    if (out / "records").exists():
        table = pads.dataset(out / "records", format="parquet", partitioning="hive").to_table(
            columns=["source_uri", "url"]
        )
        for source, url in zip(
            table["source_uri"].to_pylist(), table["url"].to_pylist(), strict=True
        ):
            found[_name(url or source)] = "stored"
    return found


def _ingest_once(work: Path, killer: bool, pool: bool) -> tuple[str, dict[str, str]]:
    from crashy import clean_or_die

    from crawler.config import Settings
    from crawler.run.ingest import cleanup, finish_run, plan_batches, scan_inputs, start_run
    from crawler.run.workers import WorkerPool, clean_batches

    inputs = work / "inputs"
    inputs.mkdir()
    pages = sorted((ROOT / "eval" / "dev" / "html").glob("*.html"))[:DEV_PAGES]
    for page in pages:
        shutil.copy(page, inputs / page.name)
    killer_name = f"die-{pages[3].name}"
    if killer:
        shutil.copy(pages[3], inputs / killer_name)
    files = sorted(str(p) for p in inputs.iterdir())
    out = work / "corpus"
    ctx = start_run(out, Settings(batch_size=2, workers=2))
    try:
        scan = scan_inputs(ctx, files)
        batches = plan_batches(scan.new_files, 2)
        if pool:
            workers = WorkerPool(2, clean=clean_or_die)
            try:
                with ThreadPoolExecutor(4) as threads:  # the flow's task runner threads
                    parts = threads.map(
                        lambda nb: workers.clean(ctx, nb[0], nb[1], scan.line_stats_path),
                        enumerate(batches),
                    )
                    results = [r for part in parts for r in part]
            finally:
                workers.close()
        else:
            results = clean_batches(ctx, batches, scan.line_stats_path, clean=clean_or_die)
        summary = finish_run(ctx, results, len(files), scan.unchanged)
    finally:
        cleanup(ctx)
    return killer_name, _outcomes(out, summary.rejects)


def _crawl_once(work: Path, killer: bool) -> tuple[str, dict[str, str]]:
    from newssite import FAST, serve

    from crawler.crawl.job import job_from_options, run_crawl_job

    with serve(5, traps=False) as site:
        first = sorted(p for p in site.pages if p.startswith("/articles/"))[0]
        os.environ["CRASHY_URL_PART"] = first if killer else "/no-page-has-this-path/"
        job = job_from_options(
            urls=[site.url("/")],
            out=str(work / "corpus"),
            allowed_networks=("127.0.0.0/8",),
            workers=2,
            scrapy_settings={**FAST, "CORPUS_CLEAN_PAGE": "crashy.clean_page_or_die"},
        )
        report = run_crawl_job(job, capture_log=True)
        rejects = [  # drops by their reason; skips and errors too, to tell why a page is missing
            {
                "source_uri": e["url"],
                "reason": e["reason"] if e["outcome"] == "dropped" else f"{e['outcome']} {e}",
            }
            for e in report.events
        ]
        found = {
            k: v
            for k, v in _outcomes(work / "corpus", rejects).items()
            if k.startswith("/articles/")
        }
        if len(found) < len([p for p in site.pages if p.startswith("/articles/")]):
            # a page with no outcome at all: keep the crawl log's errors to tell why
            errors = [
                line for line in report.log.splitlines() if "ERROR" in line or "Error" in line
            ]
            found["<crawl log errors>"] = " | ".join(errors[-8:])
        return first, found


def one(path: str, killer: bool) -> tuple[str, dict[str, str]]:
    """One run of `path` in a fresh folder: the killer's name, the inputs' outcomes."""
    with tempfile.TemporaryDirectory(prefix="killer-loop-") as tmp:
        if path == "crawl":
            return _crawl_once(Path(tmp), killer)
        return _ingest_once(Path(tmp), killer, pool=path == "pool")


def run_isolated(path: str, killer: bool, timeout: float) -> tuple[str, dict[str, str]] | None:
    """`one` in a child process group, killed whole after `timeout` s: None if it hung."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)])}
    command = [sys.executable, __file__, "--one", path] + ([] if killer else ["--no-killer"])
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, start_new_session=True
    ) as child:
        try:
            out, _ = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.communicate()
            return None
    if child.returncode != 0:
        return "", {"<run failed>": f"exit {child.returncode}"}
    name, outcomes = json.loads(out.decode().strip().splitlines()[-1])
    return str(name), dict(outcomes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per iteration")
    parser.add_argument("--paths", default=",".join(PATHS))
    parser.add_argument("--one", choices=PATHS, help=argparse.SUPPRESS)
    parser.add_argument("--no-killer", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, not args.no_killer)))
        return 0
    totals = {}
    for path in args.paths.split(","):
        first = run_isolated(path, False, args.timeout)
        if first is None or "<run failed>" in first[1]:
            print(f"{path}: the run without a killer failed: {first}", flush=True)
            return 1
        baseline = first[1]
        hangs = losses = wrong = 0
        started = time.monotonic()
        for i in range(args.iterations):
            result = run_isolated(path, True, args.timeout)
            if result is None:
                hangs += 1
                print(f"{path} #{i}: HANG (killed after {args.timeout:g} s)", flush=True)
                continue
            killer, got = result
            lost = {k: v for k, v in baseline.items() if k != killer and got.get(k) != v}
            if lost:
                losses += len(lost)
                print(f"{path} #{i}: innocent inputs lost: {lost} -> {got}", flush=True)
            if got.get(killer) != "crashed":
                wrong += 1
                print(f"{path} #{i}: the killer {killer}: {got.get(killer)}", flush=True)
            if (i + 1) % 10 == 0 and i + 1 < args.iterations:
                print(f"{path}: {i + 1} done: {hangs} hangs, {losses} innocent losses", flush=True)
        totals[path] = (args.iterations, hangs, losses, wrong, time.monotonic() - started)
        print(
            f"{path}: {args.iterations} iterations, {hangs} hangs, {losses} innocent losses, "
            f"{wrong} with the killer not rejected as crashed ({totals[path][4]:.0f} s)",
            flush=True,
        )
    return 0 if all(t[1] == t[2] == t[3] == 0 for t in totals.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
