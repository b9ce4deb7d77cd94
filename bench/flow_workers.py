"""The Prefect ingest flow vs `corpus ingest`, each run as the README prints it, on the same
inputs: wall time, CPU time of the whole process tree and peak memory, as ratios flow / CLI.

    PREFECT_HOME=$PWD/.prefect PREFECT_SERVER_ANALYTICS_ENABLED=false \\
        .venv/bin/python bench/flow_workers.py [--inputs DIR] [--runs 2] [--batch-size N]
                                               [--before DIR] [--fresh-home]

The two commands, each a child process on a fresh dataset, interleaved (cli flow cli flow ...):

    .venv/bin/corpus ingest INPUTS --out OUT
    .venv/bin/python -m flows.ingest INPUTS --out OUT      (Prefect's temporary server: the
                                                            README's default, `make run`)

The wall time is the whole command's (imports, the temporary server's start and stop, the flow
run's API calls); `outside stages` is the wall time less the run's own stages (scan, clean,
dedup, commit as its summary prints them), i.e. what the command costs around the work.
Each run's records digest (bench/scale_bench.py's) is printed, and whether all runs committed
the same records, merges and audit rows. CPU is exact for the whole tree: this script makes
itself the subreaper of its children (prctl PR_SET_CHILD_SUBREAPER), so every process of the
tree (the temporary server, the forkserver and its workers) is reaped here with its rusage.
`largest` is the largest single process's peak RSS (kernel's maxrss); `tree` the peak of the
summed RSS of the tree, sampled 5 times a second. The 1-minute load average is printed with
every run (a shared machine).

`--before DIR` runs the flow of another checkout too (e.g. `git archive COMMIT | tar -x -C
DIR`, with its `crawler/extract/boilerplate/_compiled` copied in), as a third variant of every
round: before and after in the same script. `--inputs` defaults to 10k dumps of
bench/gen_corpus.py (as bench/scale_bench.py makes them; generated if missing).
`--fresh-home` gives every flow run a new, empty `PREFECT_HOME` (its temporary server then
creates the database: a fresh clone's first `make run`); by default all share one, which the
script warms first with a flow run on an empty input directory (not counted).
`--server-starts N` times only the temporary server's start instead, N rounds interleaved over
the flow variants (each started from its own tree as its flow starts it, on the warmed home):
its CPU from launch to healthy, read from /proc before it is stopped.
Target (issue 15): the flow within 10% of the CLI.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

GB = 1 << 30
HERE = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PR_SET_CHILD_SUBREAPER = 36
STRAGGLER_SECONDS = 30.0  # how long the tree may outlive its root (a forkserver's exit)


@dataclass
class Variant:
    label: str
    args: list[str]  # the command, without inputs and --out
    tree: Path  # the checkout it runs from (its cwd)
    fresh_home: bool = False  # a new PREFECT_HOME for each run


@dataclass
class Figures:
    wall: float  # the whole command, start to exit
    stages: float  # the run's own stages, from its printed summary
    cpu: float  # user + system seconds of every process of the tree
    largest: int  # bytes: the largest single process's peak RSS
    tree_rss: int  # bytes: the peak of the tree's summed RSS (sampled)
    load: float
    roles: dict[str, float]  # CPU seconds by process role (sampled)
    digest: str  # of the committed records, merges and audit rows (scale_bench.dataset_digest)


class TreeSampler(threading.Thread):
    """The peak of the summed RSS of a process tree, sampled from /proc until stopped, and the
    last CPU seconds seen of each of its processes by role (`role_of`): where the CPU goes,
    approximately (a process's last 0.2 s is missed)."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak = 0
        self.cpu: dict[int, tuple[str, float]] = {}
        self.done = threading.Event()

    def run(self) -> None:
        page, tick = os.sysconf("SC_PAGE_SIZE"), os.sysconf("SC_CLK_TCK")
        while not self.done.wait(self.interval):
            total = 0
            for pid in tree_pids(self.pid):
                try:
                    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    total += int(stat[21]) * page
                    role = self.cpu[pid][0] if pid in self.cpu else role_of(pid, self.pid)
                except (OSError, IndexError, ValueError):
                    continue
                self.cpu[pid] = (role, (int(stat[11]) + int(stat[12])) / tick)
            self.peak = max(self.peak, total)

    def by_role(self) -> dict[str, float]:
        roles: dict[str, float] = {}
        for role, seconds in self.cpu.values():
            roles[role] = roles.get(role, 0.0) + seconds
        return roles


def role_of(pid: int, root: int) -> str:
    """`main` (the command's process), `server` (Prefect's temporary server), `workers` (the
    forkserver and its workers) or `other`."""
    if pid == root:
        return "main"
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    if b"uvicorn" in cmdline or b"prefect" in cmdline:
        return "server"
    return "workers" if b"forkserver" in cmdline or b"multiprocessing" in cmdline else "other"


def tree_pids(root: int) -> list[int]:
    """`root` and its descendants, and the orphans of the tree (reparented to this script)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root, *[p for p in children.get(os.getpid(), []) if p != root]]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def become_subreaper() -> None:
    """Orphaned descendants (a forkserver outliving its parent) are reparented to this process,
    so their CPU time is counted when this process reaps them."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise SystemExit(f"prctl(PR_SET_CHILD_SUBREAPER): errno {ctypes.get_errno()}")


def reap_tree(root: int) -> tuple[int, float, int]:
    """Wait for `root` and then, for up to STRAGGLER_SECONDS, for every orphan of its tree.
    Returns root's exit status, the CPU seconds and the largest maxrss (bytes) of them all."""
    status, cpu, largest = None, 0.0, 0
    deadline = None
    while True:
        try:
            pid, code, usage = os.wait4(-1, 0 if deadline is None else os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:  # stragglers still running
            if time.monotonic() > deadline:  # type: ignore[operator]
                raise SystemExit(f"processes of the run still alive {STRAGGLER_SECONDS} s after it")
            time.sleep(0.1)
            continue
        cpu += usage.ru_utime + usage.ru_stime
        largest = max(largest, usage.ru_maxrss * 1024)
        if pid == root:
            status = os.waitstatus_to_exitcode(code)
            deadline = time.monotonic() + STRAGGLER_SECONDS
    assert status is not None
    return status, cpu, largest


STAGES = re.compile(r"^time per stage \(s\):\n(.+)$", re.M)


def stage_seconds(summary: str) -> float:
    """The run's stages from its printed summary (`scan 1.2, clean 3.4, ...`), without
    `clean_work` (the workers' summed time, inside `clean`)."""
    match = STAGES.search(summary)
    if match is None:
        return float("nan")
    pairs = (item.strip().split() for item in match.group(1).split(","))
    return sum(float(value) for name, value in pairs if name != "clean_work")


def run(variant: Variant, inputs: str, batch: int | None) -> Figures:
    with tempfile.TemporaryDirectory(prefix="flow-bench-") as tmp:
        args = [*variant.args, inputs, "--out", str(Path(tmp) / "corpus")]
        if batch:
            args += ["--batch-size", str(batch)]
        env = dict(os.environ, PYTHONPATH=str(variant.tree))  # its packages first
        if variant.fresh_home:
            env["PREFECT_HOME"] = str(Path(tmp) / "prefect")
        out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
        load = os.getloadavg()[0]
        started = time.perf_counter()
        with out.open("w") as stdout, err.open("w") as stderr:
            child = subprocess.Popen(args, stdout=stdout, stderr=stderr, env=env, cwd=variant.tree)
        sampler = TreeSampler(child.pid)
        sampler.start()
        status, cpu, largest = reap_tree(child.pid)
        wall = time.perf_counter() - started
        child.returncode = status  # reaped above
        sampler.done.set()
        sampler.join()
        if status:
            tail = err.read_text()[-2000:]
            raise SystemExit(f"{variant.label} failed with status {status}: {args}\n{tail}")
        load = (load + os.getloadavg()[0]) / 2
        stages = stage_seconds(out.read_text())
        digest = dataset_digest(Path(tmp) / "corpus")
        return Figures(wall, stages, cpu, largest, sampler.peak, load, sampler.by_role(), digest)


def show(label: str, f: Figures, docs: int) -> None:
    print(
        f"{label:11} {f.wall:6.1f} s wall ({docs / f.wall:4.0f} docs/s, outside stages"
        f" {f.wall - f.stages:5.1f} s), {f.cpu:6.1f} s CPU, largest process"
        f" {f.largest / GB:.2f} GB, tree {f.tree_rss / GB:.2f} GB (load {f.load:.1f})",
        flush=True,
    )
    roles = ", ".join(f"{role} {seconds:.1f}" for role, seconds in sorted(f.roles.items()))
    print(f"{'':11} CPU s by process (sampled): {roles}; records digest {f.digest}", flush=True)


def ratio(label: str, flow: list[Figures], cli: list[Figures]) -> str:
    """Medians of the rounds (each is interleaved with the other's)."""

    def median(values: list[float]) -> float:
        ordered = sorted(values)
        middle = len(ordered) // 2
        return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2

    wall = median([f.wall for f in flow]), median([f.wall for f in cli])
    cpu = median([f.cpu for f in flow]), median([f.cpu for f in cli])
    big = median([f.largest for f in flow]), median([f.largest for f in cli])
    tree = median([f.tree_rss for f in flow]), median([f.tree_rss for f in cli])
    return (
        f"{label} / cli (median of {len(flow)}): wall {wall[0] / wall[1]:.2f}x"
        f" ({wall[0] - wall[1]:+.1f} s), CPU {cpu[0] / cpu[1]:.2f}x ({cpu[0] - cpu[1]:+.1f} s),"
        f" largest process {big[0] / big[1]:.2f}x ({(big[0] - big[1]) / GB:+.2f} GB),"
        f" tree {tree[0] / tree[1]:.2f}x ({(tree[0] - tree[1]) / GB:+.2f} GB)"
    )


def dataset_digest(dataset: Path) -> str:
    """bench/scale_bench.py's digest of a dataset's rows: equal for runs that committed the same."""
    sys.path.insert(0, str(Path(__file__).parent))
    from scale_bench import dataset_digest as digest_of

    return digest_of(dataset)


def default_inputs() -> str:
    corpus = Path(tempfile.gettempdir()) / "corpus-flow-bench" / "n10000" / "corpus"
    if not (corpus / "truth.jsonl").exists():
        sys.path.insert(0, str(Path(__file__).parent))
        from gen_corpus import generate

        shutil.rmtree(corpus, ignore_errors=True)
        generate(corpus, 10_000, 0.3, 7)
    return str(corpus)


def warm_home(variant: Variant) -> None:
    """One flow run on an empty directory, so the shared PREFECT_HOME holds its database."""
    with tempfile.TemporaryDirectory(prefix="flow-bench-warm-") as tmp:
        (Path(tmp) / "empty").mkdir()
        args = [*variant.args, str(Path(tmp) / "empty"), "--out", str(Path(tmp) / "corpus")]
        env = dict(os.environ, PYTHONPATH=str(variant.tree))
        done = subprocess.run(args, env=env, cwd=variant.tree, capture_output=True, timeout=600)
        if done.returncode:
            raise SystemExit(f"warming PREFECT_HOME failed: {done.stderr[-2000:]!r}")


# run in a flow variant's tree: its temporary server started as its flow starts it
SERVER_START = """
import json, os, sys, time
from pathlib import Path
from flows.prefect_server import launch_server
log = Path(sys.argv[1])
pending = launch_server(Path(os.environ["PREFECT_HOME"]), 300.0, ui=False, port=None,
                        ephemeral=True, log=log)
started = time.monotonic()
server = pending.ready()
wall = time.monotonic() - started
stat = Path(f"/proc/{server.pid}/stat").read_text().rsplit(")", 1)[1].split()
cpu = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
pending.stop()
print(json.dumps([cpu, wall]))
"""


def server_starts(variants: list[Variant], rounds: int) -> None:
    """Each variant's temporary server started `rounds` times, interleaved: CPU to healthy."""
    cpus: dict[str, list[float]] = {v.label: [] for v in variants}
    with tempfile.TemporaryDirectory(prefix="flow-bench-server-") as tmp:
        for _ in range(rounds):
            for variant in variants:
                env = dict(os.environ, PYTHONPATH=str(variant.tree))
                args = [str(BIN / "python"), "-c", SERVER_START, str(Path(tmp) / "server.log")]
                done = subprocess.run(
                    args, env=env, cwd=variant.tree, capture_output=True, text=True, timeout=600
                )
                if done.returncode:
                    raise SystemExit(f"{variant.label}: {done.stderr[-2000:]}")
                cpu, wall = json.loads(done.stdout)
                cpus[variant.label].append(cpu)
                load = os.getloadavg()[0]
                figures = f"{cpu:5.2f} s CPU, {wall:5.2f} s wall (load {load:.1f})"
                print(f"{variant.label:<12} server start {figures}")
    for label, values in cpus.items():
        print(f"{label:<12} median {statistics.median(values):.2f} s CPU over {len(values)} starts")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", help="default: 10k dumps of bench/gen_corpus.py")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--runs", type=int, default=2, help="rounds (each runs every variant)")
    parser.add_argument("--before", type=Path, help="a checkout whose flow runs as a third variant")
    parser.add_argument("--fresh-home", action="store_true", help="a new PREFECT_HOME per flow run")
    parser.add_argument(
        "--server-starts", type=int, metavar="N", help="time N starts of the server only"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from flows.prefect_env import apply_defaults

    apply_defaults()  # the same PREFECT_HOME for every variant (the --before tree's too)
    inputs = args.inputs or default_inputs()
    from crawler.run.ingest import discover_inputs

    docs = len(discover_inputs([inputs]))
    variants = [
        Variant("cli", [str(BIN / "corpus"), "ingest"], HERE),
        Variant("flow", [str(BIN / "python"), "-m", "flows.ingest"], HERE, args.fresh_home),
    ]
    if args.before is not None:
        before = args.before.resolve()
        flow = [str(BIN / "python"), "-m", "flows.ingest"]
        variants.append(Variant("flow-before", flow, before, args.fresh_home))
    if not args.fresh_home:  # before becoming the subreaper: its processes are not counted
        warm_home(variants[1])
    if args.server_starts:
        server_starts(variants[1:], args.server_starts)
        return
    become_subreaper()
    print(f"{docs} inputs, {os.cpu_count()} CPUs; {' | '.join(v.label for v in variants)}")
    results: dict[str, list[Figures]] = {v.label: [] for v in variants}
    for _ in range(args.runs):
        for variant in variants:
            figures = run(variant, inputs, args.batch_size)
            show(variant.label, figures, docs)
            results[variant.label].append(figures)
    for variant in variants[1:]:
        print(ratio(variant.label, results[variant.label], results["cli"]))
    digests = {f.digest for runs in results.values() for f in runs}
    print(f"records: {'identical' if len(digests) == 1 else 'DIFFERENT'} in every run ({digests})")
    print("target: the flow within 1.10x of the CLI")


if __name__ == "__main__":
    main()
