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
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

GB = 1 << 30
CLI = """
import sys
from crawler.config import Settings
from crawler.run.ingest import run_ingest
inputs, out, batch = sys.argv[1:4]
settings = Settings().with_overrides(batch_size=int(batch) if batch else None)
run_ingest([inputs], out, settings)
"""
FLOW = """
import sys
from flows.ingest import ingest_flow
inputs, out, batch = sys.argv[1:4]
ingest_flow(paths=[inputs], out=out, batch_size=int(batch) if batch else None)
"""


@dataclass
class Figures:
    wall: float
    cpu: float  # user + system seconds of the child and every process it reaped
    max_rss: int  # bytes, the largest single process (the kernel's ru_maxrss)
    load: float


def run(code: str, inputs: str, batch: int | None, tree: Path | None) -> Figures:
    with tempfile.TemporaryDirectory(prefix="flow-bench-") as tmp:
        args = [sys.executable, "-c", code, inputs, str(Path(tmp) / "corpus"), str(batch or "")]
        load = os.getloadavg()[0]
        started = time.perf_counter()
        env = dict(os.environ)
        if tree is not None:  # its packages first (the child's cwd is first on sys.path too)
            env["PYTHONPATH"] = str(tree)
        child = subprocess.Popen(args, stdout=subprocess.DEVNULL, env=env, cwd=tree)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status):
            raise SystemExit(f"run failed: {args}")
        load = (load + os.getloadavg()[0]) / 2
        return Figures(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, load)


def show(label: str, f: Figures, docs: int) -> None:
    print(
        f"{label:5} {f.wall:7.1f} s wall ({docs / f.wall:5.0f} docs/s), {f.cpu:7.1f} s CPU,"
        f" largest process {f.max_rss / GB:.2f} GB (load {f.load:.1f})",
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
