"""The Prefect ingest flow vs `corpus ingest` (the CLI's `run_ingest`) on the same inputs: wall
time, CPU time of the whole process tree and the largest process's peak RSS, as ratios. Each
run is a child process on a fresh dataset; the two are interleaved, `--runs` times each, and
the best of each is compared. The 1-minute load average is printed with every run (the machine
is shared: figures, not a test).

    PREFECT_HOME=$PWD/.prefect PREFECT_SERVER_ANALYTICS_ENABLED=false \\
        .venv/bin/python bench/flow_workers.py [--inputs DIR] [--runs 2] [--batch-size N]
                                               [--tree DIR]

`--tree DIR` measures the code of another checkout (e.g. `git worktree add /tmp/before main`).

`--inputs` defaults to the 10k generated dumps of bench/scale_bench.py (generated if missing).
Target (issue 15): the flow within 10% of the CLI.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

GB = 1 << 30
CLI = """
import json, sys, time
from crawler.config import Settings
from crawler.run.ingest import run_ingest
inputs, out, batch, result = sys.argv[1:5]
settings = Settings().with_overrides(batch_size=int(batch) if batch else None)
started = time.perf_counter()
run_ingest([inputs], out, settings)
json.dump({"run": time.perf_counter() - started, "server": 0.0}, open(result, "w"))
"""
# The temporary Prefect server is started first (a flow that does nothing), and timed apart:
# a scheduled flow run (`corpus serve`) finds its server running.
FLOW = """
import json, sys, time
from prefect import flow
from flows.ingest import ingest_flow
inputs, out, batch, result = sys.argv[1:5]
started = time.perf_counter()
flow(lambda: None, name="start-server")()
server = time.perf_counter() - started
started = time.perf_counter()
ingest_flow(paths=[inputs], out=out, batch_size=int(batch) if batch else None)
json.dump({"run": time.perf_counter() - started, "server": server}, open(result, "w"))
"""


@dataclass
class Figures:
    wall: float  # the ingest itself, timed in the child (without the Prefect server's start)
    server: float  # the temporary Prefect server's start, before the flow run
    cpu: float  # user + system seconds of every process of the child's tree (sampled)
    max_rss: int  # bytes, the largest single process of the tree (sampled)
    load: float


class TreeSampler(threading.Thread):
    """Samples the child's process tree from /proc until stopped: the last CPU seconds seen
    of every process (workers of a forkserver are not reaped by the child, so its rusage
    misses them) and the largest single RSS."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.cpu: dict[int, float] = {}
        self.max_rss = 0
        self.done = threading.Event()

    def run(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        while not self.done.wait(self.interval):
            for pid in tree_pids(self.pid):
                try:
                    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    rss = int(stat[21]) * os.sysconf("SC_PAGE_SIZE")
                except (OSError, IndexError):
                    continue
                self.cpu[pid] = (int(stat[11]) + int(stat[12])) / tick
                self.max_rss = max(self.max_rss, rss)


def tree_pids(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def run(code: str, inputs: str, batch: int | None, tree: Path | None) -> Figures:
    with tempfile.TemporaryDirectory(prefix="flow-bench-") as tmp:
        result = Path(tmp) / "result.json"
        args = [sys.executable, "-c", code, inputs, str(Path(tmp) / "corpus"), str(batch or "")]
        args.append(str(result))
        load = os.getloadavg()[0]
        env = dict(os.environ)
        if tree is not None:  # its packages first (the child's cwd is first on sys.path too)
            env["PYTHONPATH"] = str(tree)
        child = subprocess.Popen(args, stdout=subprocess.DEVNULL, env=env, cwd=tree)
        sampler = TreeSampler(child.pid)
        sampler.start()
        if child.wait():
            raise SystemExit(f"run failed: {args}")
        sampler.done.set()
        sampler.join()
        load = (load + os.getloadavg()[0]) / 2
        times = json.loads(result.read_text())
        cpu = sum(sampler.cpu.values())
        return Figures(times["run"], times["server"], cpu, sampler.max_rss, load)


def show(label: str, f: Figures, docs: int) -> None:
    print(
        f"{label:5} {f.wall:7.1f} s ({docs / f.wall:5.0f} docs/s; server start {f.server:.1f} s),"
        f" {f.cpu:7.1f} s CPU, largest process {f.max_rss / GB:.2f} GB (load {f.load:.1f})",
        flush=True,
    )


def default_inputs() -> str:
    corpus = Path("/tmp/corpus-scale-bench/n10000/corpus")
    if not (corpus / "truth.jsonl").exists():
        sys.path.insert(0, str(Path(__file__).parent))
        from gen_corpus import generate

        shutil.rmtree(corpus, ignore_errors=True)
        generate(corpus, 10_000, 0.3, 7)
    return str(corpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", help="default: the 10k dumps of bench/scale_bench.py")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--tree", type=Path, help="run the code of this checkout (e.g. older code)")
    args = parser.parse_args()
    inputs = args.inputs or default_inputs()
    from crawler.run.ingest import discover_inputs

    docs = len(discover_inputs([inputs]))
    results: dict[str, list[Figures]] = {"cli": [], "flow": []}
    for _ in range(args.runs):
        for label, code in (("cli", CLI), ("flow", FLOW)):
            figures = run(code, inputs, args.batch_size, args.tree)
            show(label, figures, docs)
            results[label].append(figures)
    cli = min(results["cli"], key=lambda f: f.wall)
    flow = min(results["flow"], key=lambda f: f.wall)
    print(
        f"flow / cli (best of {args.runs}, {docs} docs): wall {flow.wall / cli.wall:.2f}x"
        f" (+{flow.wall - cli.wall:.1f} s), CPU {flow.cpu / cli.cpu:.2f}x"
        f" (+{flow.cpu - cli.cpu:.1f} s), largest process {flow.max_rss / cli.max_rss:.2f}x"
        f" ({(flow.max_rss - cli.max_rss) / GB:+.2f} GB); target: wall within 1.10x"
    )


if __name__ == "__main__":
    main()
