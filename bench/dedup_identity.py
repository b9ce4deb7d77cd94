"""The finish stage's dedup, this code against older code on the same staged batches: the same
decisions, and the CPU time and memory each takes.

    .venv/bin/python bench/dedup_identity.py --before DIR [--n 20000] [--rounds 2]
                                             [--work DIR] [--profile]

`DIR` is a checkout of the older code (`git archive COMMIT | tar -x -C DIR`). Generates N dumps
with `bench/gen_corpus.py` (seed 7, cached in WORK) and cleans them once with the real ingest
stages (`run_stages`, both cores), keeping the staged batches (texts, signatures and the lines
the cleaners removed, which dedup's page view reads). Then each code tree runs the dedup of
`finish_run` (`strip_site_lines`, then `resolve_run`) on copies of those batches in a child
process, the trees interleaved for `--rounds` rounds; the child reports its CPU time (user +
system, `time.process_time`: the child's own, not its workers' since the finish shares its
first pass with one; the forkserver is started before, untimed, as a run's is running when it
finishes), its wall time, its peak RSS (kernel) and its whole Resolution (every source's
record, the merges with their kinds and scores, the records' sources, the kept sources and the
joined records). The script prints CPU time per tree, the ratio, the load around each run, and
whether every resolution is identical (or how many sources differ). `--profile`: the child of
each tree also writes a cProfile of the dedup (top functions by own time, WORK/*.profile.txt).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from gen_corpus import generate

from crawler.config import Settings
from crawler.run.ingest import discover_inputs, run_stages
from crawler.run.session import RunSession
from crawler.run_types import BatchResult, RunContext, RunSummary

GB = 1 << 30
CHILD = """
import cProfile, io, json, pstats, resource, shutil, sys, time
from dataclasses import asdict
from pathlib import Path
from crawler.config import Settings
from crawler.dedup.site_lines import strip_site_lines
from crawler.run.finish import resolve_run
from crawler.run.session import cleanup, start_run
from crawler.store.dataset import Dataset
staged, out, result, profile = sys.argv[1:5]
names = json.loads(Path(staged, "batches.json").read_text())
copies = Path(out).parent / (Path(out).name + "-staged")
shutil.rmtree(copies, ignore_errors=True)
copies.mkdir(parents=True)
paths = []
for name in names:  # strip_site_lines may rewrite them
    shutil.copy(Path(staged, name), copies / name)
    paths.append(str(copies / name))
settings = Settings()
ctx = start_run(out, settings)
dataset = Dataset(ctx.dataset_root)
try:  # a run's forkserver is up when it finishes (it cleaned with it): started here, untimed
    import os
    from crawler.run.workers import IsolatingPool
    warm = IsolatingPool(1)
    warm.call(os.getpid, (), 1, 600.0)
    warm.close()
except ImportError:  # older code: the finish starts no worker
    pass
prof = cProfile.Profile() if profile == "1" else None
cpu, wall = time.process_time(), time.perf_counter()
if prof is not None:
    prof.enable()
strip_site_lines(dataset, paths, settings)
res = resolve_run(ctx, dataset, paths)
if prof is not None:
    prof.disable()
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
cleanup(ctx)
shutil.rmtree(copies, ignore_errors=True)
if prof is not None:
    prof.dump_stats(result + ".prof")
    text = io.StringIO()
    stats = pstats.Stats(prof, stream=text)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(40)
    Path(result + ".profile.txt").write_text(text.getvalue())
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
resolution = {
    "doc_of_source": res.doc_of_source,
    "merges": sorted([list(asdict(m).values()) for m in res.merges]),
    "sources": {d: sorted(s) for d, s in res.sources.items()},
    "kept_sources": sorted(res.kept_sources),
    "alias": res.alias,
    "new_records": sorted(res.new_records),
}
Path(result).write_text(json.dumps(
    {"cpu": cpu, "wall": wall, "peak": peak, "resolution": resolution}, sort_keys=True))
"""


def stage(n: int, work: Path) -> Path:
    """The staged batches of an ingest of N generated dumps (made once, kept in WORK)."""
    corpus, staged = work / f"n{n}" / "corpus", work / f"n{n}" / "staged"
    if (staged / "batches.json").exists():
        return staged
    if not (corpus / "truth.jsonl").exists():
        generate(corpus, n, 0.3, 7)
    shutil.rmtree(staged, ignore_errors=True)

    def keep(ctx: RunContext, batches: list[BatchResult], inputs: int, _: int) -> RunSummary:
        names = [Path(b.docs_path).name for b in batches]
        (staged / "batches.json").write_text(json.dumps(names))
        return RunSummary(run_id=ctx.run_id, dataset=ctx.dataset_root, inputs=inputs)

    started = time.perf_counter()
    out = work / f"n{n}" / "stage-dataset"
    shutil.rmtree(out, ignore_errors=True)
    with RunSession(out, Settings(), staging=staged) as session:
        run_stages(session, discover_inputs([str(corpus)]), commit=keep)
    shutil.rmtree(out, ignore_errors=True)
    print(f"[{n}] cleaned and staged in {time.perf_counter() - started:.0f} s", flush=True)
    return staged


def run_child(staged: Path, out: Path, tree: Path | None, profile: bool) -> dict[str, Any]:
    """One dedup of the staged batches by the code in `tree` (default: this checkout)."""
    result = out.parent / f"{out.name}.json"
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ)
    if tree is not None:  # its packages first (the child's cwd is first on sys.path too)
        env["PYTHONPATH"] = str(tree)
    args = [sys.executable, "-c", CHILD, str(staged), str(out), str(result), str(int(profile))]
    subprocess.run(args, env=env, cwd=str(tree or Path.cwd()), check=True)
    shutil.rmtree(out, ignore_errors=True)
    data: dict[str, Any] = json.loads(result.read_text())
    return data


def digest(resolution: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(resolution, sort_keys=True).encode()).hexdigest()[:16]


def differing_sources(a: dict[str, Any], b: dict[str, Any]) -> int:
    """Sources whose record (by its group: the set of sources sharing it) differs."""

    def groups(res: dict[str, Any]) -> dict[str, frozenset[str]]:
        members: dict[str, set[str]] = {}
        for source, doc in res["doc_of_source"].items():
            members.setdefault(doc, set()).add(source)
        return {s: frozenset(members[d]) for s, d in res["doc_of_source"].items()}

    ga, gb = groups(a), groups(b)
    return sum(ga.get(s) != gb.get(s) for s in set(ga) | set(gb))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before", type=Path, required=True, metavar="DIR")
    parser.add_argument("--n", type=int, default=20_000, help="generated dumps")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--work", type=Path, default=Path("/tmp/corpus-dedup-identity"))
    parser.add_argument("--profile", action="store_true", help="cProfile each tree once")
    parser.add_argument(
        "--reuse-before", action="store_true", help="the older code's last run, not a new one"
    )
    args = parser.parse_args()
    staged = stage(args.n, args.work)
    trees: list[tuple[str, Path | None]] = [("before", args.before.resolve()), ("this code", None)]
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label, _ in trees}
    for r in range(args.rounds):
        for label, tree in trees if r % 2 == 0 else trees[::-1]:
            load = os.getloadavg()[0]
            tag = "before" if tree is not None else "after"
            out = args.work / f"n{args.n}" / f"dedup-{tag}"
            saved = out.parent / f"{out.name}.json"
            if args.reuse_before and tree is not None and saved.exists():
                run = json.loads(saved.read_text())
                run.setdefault("load", float("nan"))
            else:
                run = run_child(staged, out, tree, args.profile and r == 0)
                run["load"] = (load + os.getloadavg()[0]) / 2
                saved.write_text(json.dumps(run))
            runs[label].append(run)
            res = run["resolution"]
            merged = len(res["merges"])
            print(
                f"[{args.n}] round {r + 1} {label:9}: CPU {run['cpu']:7.1f} s, wall"
                f" {run['wall']:7.1f} s, peak RSS {run['peak'] / GB:.3f} GB (load"
                f" {run['load']:.1f}); {len(res['new_records'])} records, {merged} merges,"
                f" resolution {digest(res)}",
                flush=True,
            )
            if args.profile and r == 0:
                profile = Path(f"{out.parent / out.name}.json.profile.txt")
                print(f"    profile: {profile}")
    before, after = runs["before"], runs["this code"]
    cpu_before = min(r["cpu"] for r in before)
    cpu_after = min(r["cpu"] for r in after)
    print(
        f"dedup CPU, best of {args.rounds}: before {cpu_before:.1f} s, this code"
        f" {cpu_after:.1f} s: {cpu_before / cpu_after:.2f}x less"
    )
    print(
        f"peak RSS: before {max(r['peak'] for r in before) / GB:.3f} GB, this code"
        f" {max(r['peak'] for r in after) / GB:.3f} GB"
    )
    reference = before[0]["resolution"]
    differ = [differing_sources(reference, r["resolution"]) for r in before + after]
    same = all(digest(r["resolution"]) == digest(reference) for r in before + after)
    print(
        f"resolutions identical: {'yes' if same else 'NO'}"
        f" (sources in another group than before's first run, per run: {differ})"
    )


if __name__ == "__main__":
    main()
