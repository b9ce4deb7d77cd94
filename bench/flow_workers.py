"""The Prefect ingest flow with its batch tasks cleaning in worker processes (the default) vs
in Prefect's task threads, on the same inputs, in one process (one temporary Prefect server).

    .venv/bin/python bench/flow_workers.py [--inputs eval/dev/html] [--batch-size 8] [--runs 2]

Prints docs/s for each and the ratio. Figures, not a test: the machine is shared.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from crawler.run.ingest import discover_inputs
from flows.ingest import ingest_flow


def timed(inputs: str, batch_size: int, worker_processes: bool) -> float:
    with tempfile.TemporaryDirectory(prefix="flow-bench-") as out:
        started = time.perf_counter()
        ingest_flow(
            paths=[inputs],
            out=str(Path(out) / "corpus"),
            batch_size=batch_size,
            worker_processes=worker_processes,
        )
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", default="eval/dev/html")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    docs = len(discover_inputs([args.inputs]))
    timed(args.inputs, args.batch_size, True)  # warm-up: the server, imports, the forkserver
    best = {
        mode: min(timed(args.inputs, args.batch_size, mode) for _ in range(args.runs))
        for mode in (True, False)
    }
    for mode, label in ((True, "worker processes"), (False, "task threads")):
        print(f"{label:17} {docs} docs in {best[mode]:.2f} s = {docs / best[mode]:.1f} docs/s")
    print(f"worker processes / task threads: {best[False] / best[True]:.2f}x the speed")


if __name__ == "__main__":
    main()
