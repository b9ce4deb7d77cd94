"""Scale benchmark: the whole ingest at N generated dumps, against the targets of issue 5.

    .venv/bin/python bench/scale_bench.py [--sizes 10000 100000] [--work DIR] [--no-baseline]
                                          [--set workers=2 --set batch_size=200 ...]
                                          [--before DIR]

With `--before DIR` (a checkout of older code, e.g. `git worktree add /tmp/before main`), each
size is ingested by that code too, interleaved with this one, and the script prints both runs'
figures side by side as ratios, with the machine's load during each, and whether the two
datasets hold the same records and merges (a digest of their sorted rows).

Per size: generates N dumps with `bench/gen_corpus.py` (cached in WORK), runs
`crawler.run.ingest.run_ingest` in a child process on a fresh dataset and measures wall time and
peak memory (the largest single process, from the kernel via wait4, and the peak of the summed
RSS of the child's whole process tree, sampled 5 times a second; with SCALE_BENCH_STAGES=FILE,
the main process's RSS and peak at each stage go to FILE: `bench/stage_memory.py`), then
scores dedup pairwise against truth.jsonl (records' `sources` + the `merges` table -> files).
The baseline dedups the same cleaned texts with the same shingles twice, with datasketch's
MinHash.bulk + MinHashLSH and with ours, using the same containment check and visit order as
`crawler.dedup.resolve`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import polars as pl
from datasketch import MinHash, MinHashLSH
from dedup_bench import Truth, clean_corpus, load_truth, pairwise
from gen_corpus import generate

from crawler.config import Settings
from crawler.dedup.minhash import U64, LSHIndex, MinHasher, containment, shingle_set
from crawler.readers.files import file_uri

GB = 1 << 30
CHILD = """
import json, os, sys, time
if os.environ.get("SCALE_BENCH_STAGES"):  # bench/stage_memory.py: the main process's stages
    sys.path.insert(0, os.environ["SCALE_BENCH_DIR"])
    import stage_memory
    stage_memory.install(os.environ["SCALE_BENCH_STAGES"])
from crawler.config import Settings
from crawler.run.ingest import run_ingest
corpus, out, overrides, result = sys.argv[1:5]
settings = Settings().with_overrides(**json.loads(overrides))
started = time.perf_counter()
summary = run_ingest([corpus], out, settings).to_dict()
summary["wall"] = time.perf_counter() - started
for bulky in ("records", "rejects"):
    summary.pop(bulky, None)
open(result, "w").write(json.dumps(summary, default=str))
"""


@dataclass
class Run:
    n: int
    wall: float
    max_rss: int  # bytes, largest single process of the tree (kernel's ru_maxrss)
    tree_rss: int  # bytes, peak of the sampled sum over the process tree
    summary: dict[str, Any]
    scores: tuple[float, float, float]
    digest: str = ""  # of the committed records and merges (`dataset_digest`)
    load: float = 0.0  # the 1-minute load average, mean of its values before and after


# -- memory of a process tree ------------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            tree.setdefault(ppid, []).append(int(entry))
    return tree


def tree_rss(pid: int) -> int:
    """Summed RSS (bytes) of pid and all its descendants."""
    tree, todo, total = _children(), [pid], 0
    while todo:
        p = todo.pop()
        todo += tree.get(p, [])
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


class TreeSampler(threading.Thread):
    """Samples tree_rss(pid) until stopped; keeps the peak."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.interval):
            self.peak = max(self.peak, tree_rss(self.pid))


# -- one ingest --------------------------------------------------------------------------------


def run_child_ingest(
    corpus: Path, out: Path, overrides: dict[str, Any], tree: Path | None = None
) -> tuple[Any, ...]:
    """(wall seconds, max single-process RSS, peak tree RSS, summary) of one ingest, by the
    code in `tree` (default: this checkout)."""
    result = out.parent / f"{out.name}.summary.json"
    args = [sys.executable, "-c", CHILD, str(corpus), str(out), json.dumps(overrides), str(result)]
    env = dict(os.environ, SCALE_BENCH_DIR=str(Path(__file__).resolve().parent))
    if tree is not None:  # its packages first (the child's cwd is first on sys.path too)
        env["PYTHONPATH"] = str(tree)
    started = time.perf_counter()
    child = subprocess.Popen(args, env=env, cwd=str(tree or Path.cwd()))
    sampler = TreeSampler(child.pid)
    sampler.start()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    sampler.done.set()
    sampler.join()
    if child.returncode:
        raise SystemExit(f"ingest of {corpus} failed with exit status {child.returncode}")
    summary = json.loads(result.read_text())
    return wall, usage.ru_maxrss * 1024, sampler.peak, summary


def _parquet_files(root: Path) -> list[str]:
    return sorted(
        str(p) for p in root.rglob("*.parquet") if not any(s.startswith(".") for s in p.parts)
    )


def predicted_clusters(dataset: Path, uri_to_file: dict[str, str]) -> dict[str, str]:
    """file -> doc_id, from the records' sources and the merges table."""
    pred: dict[str, str] = {}
    records = _parquet_files(dataset / "records")
    if records:
        frame = pl.read_parquet(records, columns=["doc_id", "sources"])
        for doc_id, sources in frame.iter_rows():
            for uri in sources:
                pred[uri_to_file.get(uri, uri)] = doc_id
    merges = _parquet_files(dataset / "_merges")
    if merges:
        for uri, doc_id in pl.read_parquet(merges, columns=["source_uri", "doc_id"]).iter_rows():
            pred[uri_to_file.get(uri, uri)] = doc_id
    return pred


def dataset_digest(dataset: Path) -> str:
    """sha256 over the dataset's records (doc_id, text, sorted sources, metadata) and merges,
    each sorted: equal for two runs that committed the same rows, whatever the files' layout."""
    digest = hashlib.sha256()
    for table, columns in (
        ("records", ["doc_id", "text", "sources", "title", "language", "word_count"]),
        ("_merges", ["source_uri", "doc_id", "kind", "similarity"]),
        ("audit", ["source_uri", "line_no", "line", "reason"]),
    ):
        files = _parquet_files(dataset / table)
        if not files:
            continue
        frame = pl.read_parquet(files, columns=columns).sort(columns[:2])
        if "sources" in columns:
            frame = frame.with_columns(pl.col("sources").list.sort())
        for row in frame.iter_rows():
            digest.update(repr(row).encode())
    return digest.hexdigest()[:16]


def load_avg() -> float:
    return os.getloadavg()[0]


def measure(
    n: int, work: Path, overrides: dict[str, Any], seed: int, tree: Path | None = None
) -> tuple[Run, Path, Truth]:
    corpus = work / f"n{n}" / "corpus"
    if not (corpus / "truth.jsonl").exists():
        seconds = _timed_generate(corpus, n, seed)
        print(f"[{n}] generated {n} dumps in {seconds:.0f} s")
    out = work / f"n{n}" / ("dataset-before" if tree else "dataset")
    shutil.rmtree(out, ignore_errors=True)
    load_before = load_avg()
    wall, max_rss, peak, summary = run_child_ingest(corpus, out, overrides, tree)
    truth = load_truth(corpus)
    uri_to_file = {file_uri(corpus / f): f for f in truth.cluster}
    scores = pairwise(predicted_clusters(out, uri_to_file), truth.cluster, truth.cluster)
    run = Run(n, wall, max_rss, peak, summary, scores, dataset_digest(out))
    run.load = (load_before + load_avg()) / 2
    print_run(run, "before" if tree else "this code")
    return run, corpus, truth


def _timed_generate(corpus: Path, n: int, seed: int) -> float:
    started = time.perf_counter()
    generate(corpus, n, 0.3, seed)
    return time.perf_counter() - started


def print_run(run: Run, label: str = "this code") -> None:
    s = run.summary
    p, r, f1 = run.scores
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in s.get("seconds", {}).items())
    print(
        f"[{run.n}] {label}: {run.wall:.1f} s wall, {run.n / run.wall:.0f} docs/s"
        f" (load {run.load:.1f}), records digest {run.digest}"
        f" | peak RSS: largest process {run.max_rss / GB:.2f} GB,"
        f" process tree {run.tree_rss / GB:.2f} GB"
        f"\n[{run.n}]   stages: {stages}"
        f"\n[{run.n}]   added {s.get('added')}, merged exact {s.get('merged_exact')},"
        f" near {s.get('merged_near')}, rejected {s.get('rejected')}"
        f"\n[{run.n}]   dedup pairwise P {p:.4f}  R {r:.4f}  F1 {f1:.4f}"
    )


# -- baseline: datasketch vs ours on the same shingles -----------------------------------------


def greedy_dedup(
    frame: pl.DataFrame,
    sets: Sequence[U64],
    add: Callable[[int], None],
    query: Callable[[int], list[int]],
    threshold: float,
) -> dict[str, str]:
    """file -> kept file: exact hash first, then LSH candidates verified by containment, most
    complete document first (what `crawler.dedup.resolve.resolve` does)."""
    files, hashes = frame["file"].to_list(), frame["content_hash"].to_list()
    words = frame["word_count"].to_list()
    order = sorted(range(len(files)), key=lambda i: (-words[i], hashes[i], files[i]))
    by_hash: dict[str, int] = {}
    kept_of: dict[str, str] = {}
    for i in order:
        target = by_hash.get(hashes[i])
        if target is None:
            scored = [(containment(sets[i], sets[j]), j) for j in query(i)]
            best = max((s for s in scored if s[0] >= threshold), default=None)
            target = best[1] if best else None
        if target is None:
            add(i)
            by_hash[hashes[i]] = target = i
        kept_of[files[i]] = files[target]
    return kept_of


def dedup_ours(frame: pl.DataFrame, sets: list[U64], s: Settings) -> tuple[float, dict[str, str]]:
    started = time.perf_counter()
    sigs = MinHasher(s.num_perm).signatures(sets)
    index = LSHIndex(s.lsh_bands)

    def query(i: int) -> list[int]:
        return index.candidates(sigs[i])

    kept = greedy_dedup(frame, sets, lambda i: index.add(i, sigs[i]), query, s.near_dup_threshold)
    return time.perf_counter() - started, kept


def dedup_datasketch(
    frame: pl.DataFrame, sets: list[U64], s: Settings
) -> tuple[float, dict[str, str]]:
    started = time.perf_counter()
    as_bytes = [[raw[j : j + 8] for j in range(0, len(raw), 8)] for raw in map(bytes, sets)]
    mhs = MinHash.bulk(as_bytes, num_perm=s.num_perm)
    index = MinHashLSH(num_perm=s.num_perm, params=(s.lsh_bands, s.num_perm // s.lsh_bands))

    def query(i: int) -> list[int]:
        return [int(k) for k in index.query(mhs[i])]

    kept = greedy_dedup(
        frame, sets, lambda i: index.insert(str(i), mhs[i]), query, s.near_dup_threshold
    )
    return time.perf_counter() - started, kept


def baseline(n: int, corpus: Path, truth: Truth, s: Settings) -> dict[str, tuple[float, ...]]:
    """Dedup the same cleaned texts with ours and with datasketch; print and return figures."""
    frame = clean_corpus(corpus, corpus.parent / "cleaned.parquet")
    started = time.perf_counter()
    sets = [shingle_set(t, s.shingle_size) for t in frame["text"]]
    shingling = time.perf_counter() - started
    out: dict[str, tuple[float, ...]] = {}
    for name, fn in (("ours", dedup_ours), ("datasketch", dedup_datasketch)):
        seconds, kept = fn(frame, sets, s)
        out[name] = (seconds, *pairwise(kept, truth.cluster, truth.cluster))
    ours = out["ours"][0]
    print(f"[{n}] baseline on the same {len(sets)} cleaned texts, shingling {shingling:.1f} s:")
    for name, (seconds, p, r, f1) in out.items():
        print(
            f"[{n}]   {name:<10} MinHash+LSH+verify {seconds:6.1f} s"
            f" ({1e3 * seconds / len(sets):.3f} ms/doc, {seconds / ours:.1f}x ours)"
            f"  P {p:.4f}  R {r:.4f}  F1 {f1:.4f}"
        )
    return out


# -- targets -----------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "met   " if ok else "MISSED"


def print_targets(runs: list[Run]) -> None:
    print("\n== targets (issue 5)")
    by_n = {r.n: r for r in runs}
    if 100_000 in by_n:
        wall = by_n[100_000].wall
        print(f"  {verdict(wall <= 180)} 100k docs end to end <= 180 s: {wall:.0f} s")
    else:
        big = max(runs, key=lambda r: r.n)
        projected = big.wall * 100_000 / big.n
        print(
            f"  n/a    100k docs end to end <= 180 s: not run; linear projection from"
            f" {big.n}: {projected:.0f} s ({verdict(projected <= 180).strip()} if linear)"
        )
    for r in runs:
        peak = max(r.max_rss, r.tree_rss)
        print(f"  {verdict(peak <= 2 * GB)} peak RSS <= 2 GB at {r.n}: {peak / GB:.2f} GB")
    if len(runs) > 1:
        lo, hi = min(runs, key=lambda r: r.n), max(runs, key=lambda r: r.n)
        growth = max(hi.max_rss, hi.tree_rss) / max(lo.max_rss, lo.tree_rss)
        print(
            f"  {verdict(growth <= 1.5)} peak RSS flat in N (<= 1.5x from {lo.n} to {hi.n}):"
            f" {growth:.2f}x"
        )
        ratio = hi.wall / lo.wall
        allowed = 12 * (hi.n / lo.n) / 10  # 12x per 10x docs
        print(
            f"  {verdict(ratio <= allowed)} time {lo.n} -> {hi.n} <= {allowed:.1f}x"
            f" (12x per 10x docs): {ratio:.2f}x"
        )
    for r in runs:
        print(f"  {verdict(r.scores[2] >= 0.98)} pairwise F1 >= 0.98 at {r.n}: {r.scores[2]:.4f}")


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """--set key=value pairs, typed like the Settings field."""
    types = {f.name: type(getattr(Settings(), f.name)) for f in fields(Settings)}
    out: dict[str, Any] = {}
    for item in items:
        key, _, value = item.partition("=")
        if key not in types:
            raise SystemExit(f"unknown setting {key!r}")
        kind = types[key]
        out[key] = value.lower() in ("1", "true", "yes") if kind is bool else kind(value)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/corpus-scale-bench"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--before", type=Path, metavar="DIR", help="older code to compare with")
    args = parser.parse_args()
    overrides = parse_overrides(args.set)
    settings = Settings().with_overrides(**overrides)
    commit = subprocess.run(
        ["git", "log", "-1", "--oneline"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(f"commit {commit}; {os.cpu_count()} CPUs; settings {settings}")
    runs, befores = [], []
    for n in args.sizes:
        if args.before is not None:
            befores.append(measure(n, args.work, overrides, args.seed, args.before)[0])
        run, corpus, truth = measure(n, args.work, overrides, args.seed)
        runs.append(run)
        if not args.no_baseline:
            baseline(n, corpus, truth, settings)
    if befores:
        print_before_after(befores, runs)
    print_targets(runs)


def print_before_after(befores: list[Run], afters: list[Run]) -> None:
    print("\n== before -> this code (same inputs, same machine, interleaved)")
    for old, new in zip(befores, afters, strict=True):
        same = "identical" if old.digest == new.digest else "DIFFERENT"
        print(
            f"  [{new.n}] wall {old.wall:.0f} -> {new.wall:.0f} s ({old.wall / new.wall:.2f}x"
            f" faster; load {old.load:.1f} / {new.load:.1f}) | largest process"
            f" {old.max_rss / GB:.2f} -> {new.max_rss / GB:.2f} GB | process tree"
            f" {old.tree_rss / GB:.2f} -> {new.tree_rss / GB:.2f} GB | records and merges {same}"
        )
    if len(afters) > 1:
        for label, runs in (("before", befores), ("this code", afters)):
            lo, hi = runs[0], runs[-1]
            growth = hi.max_rss / lo.max_rss
            print(
                f"  {label}: largest process {lo.n} -> {hi.n} docs: {growth:.2f}x"
                f" ({lo.max_rss / GB:.2f} -> {hi.max_rss / GB:.2f} GB)"
            )


if __name__ == "__main__":
    main()
