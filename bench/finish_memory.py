"""Memory of the finish stage (dedup + write + commit) as the run grows: the stage that held
every text of the run. The same staged batches are finished by this code and, with `--before
DIR`, by older code, each in a child process on a fresh dataset; peak RSS from the kernel.

    .venv/bin/python bench/finish_memory.py [--sizes 10000 100000] [--before DIR] [--work DIR]
                                            [--copies-of 10000]

The staged batches are made once per size (cached in WORK) from the dumps bench/scale_bench.py
generates (generated if missing): each dump's lines of 10 words or more stand for its cleaned
text (the cleaner is not run: this measures finish alone, quickly), with its real MinHash
signature, so dedup meets the generator's exact and near duplicates. On a busy machine,
`--copies-of 10000` makes the bigger sizes from copies of the 10k staged batches instead (each
copy with its own sources, content hashes and signatures, XOR-masked so that copies are not
near duplicates of each other; the texts as they were): minutes instead of an hour. The clean
stage's
workers hold one batch at a time (flat in N); the whole run's figures are
bench/scale_bench.py's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from gen_corpus import generate

from crawler.config import Settings
from crawler.dedup.minhash import MinHasher
from crawler.model import Document
from crawler.readers.files import file_uri
from crawler.run.clean import staged_row
from crawler.store.staged import write_batch

GB = 1 << 30
CHILD = """
import json, sys, time
from crawler.config import Settings
from crawler.run.finish import finish_run
from crawler.run.session import cleanup, start_run
from crawler.run_types import BatchResult
staged, out, result = sys.argv[1:4]
pairs = json.loads(open(staged + "/batches.json").read())
batches = [BatchResult(d, r, {}, 0.0) for d, r in pairs]
ctx = start_run(out, Settings())
started = time.perf_counter()
summary = finish_run(ctx, batches, len(batches), 0)
wall = time.perf_counter() - started
cleanup(ctx)
open(result, "w").write(json.dumps({"wall": wall, "added": summary.added,
    "merged": summary.merged_exact + summary.merged_near}))
"""


def stage(corpus: Path, staged: Path, batch_size: int = 200) -> None:
    """Staged batches of the dumps under `corpus` (see the module's doc)."""
    settings = Settings()
    hasher = MinHasher(settings.num_perm)
    files = sorted(corpus.rglob("*.txt"))
    staged.mkdir(parents=True, exist_ok=True)
    pairs = []
    for n in range(0, len(files), batch_size):
        rows = []
        for path in files[n : n + batch_size]:
            raw = path.read_text("utf-8")
            text = "\n\n".join(line for line in raw.splitlines() if len(line.split()) >= 10)
            doc = Document(
                source_uri=file_uri(path),
                source_kind="text",
                text=text,
                content_hash=hashlib.sha256(text.encode()).hexdigest(),
                word_count=len(text.split()),
            )
            rows.append(staged_row(doc, hashlib.sha256(raw.encode()).hexdigest(), hasher, 5))
        docs, rejects = staged / f"b{n:07d}.docs", staged / f"b{n:07d}.rejects"
        write_batch(rows, [], str(docs), str(rejects))
        pairs.append((str(docs), str(rejects)))
    (staged / "batches.json").write_text(json.dumps(pairs))


def copy_staged(base: Path, staged: Path, copies: int) -> None:
    """Staged batches made of `copies` copies of those in `base` (see the module's doc)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from crawler.store.staged import read_docs

    staged.mkdir(parents=True, exist_ok=True)
    pairs = []
    rng = np.random.default_rng(7)
    for k in range(copies):
        mask = rng.integers(1, 2**32, size=Settings().num_perm, dtype=np.uint32)
        for docs, _ in json.loads((base / "batches.json").read_text()):
            table = read_docs(docs)
            sigs = np.frombuffer(b"".join(table["signature"].to_pylist()), dtype="<u4")
            sigs = (sigs.reshape(len(table), -1) ^ (mask if k else 0)).astype("<u4")
            masked = pa.array([row.tobytes() for row in sigs], pa.binary())
            for name, column in (
                ("source_uri", pc.binary_join_element_wise(table["source_uri"], f"#{k}", "")),
                ("content_hash", pc.binary_join_element_wise(table["content_hash"], f"#{k}", "")),
                ("signature", masked),
            ):
                table = table.set_column(table.schema.get_field_index(name), name, column)
            out = staged / f"c{k}-{Path(docs).name}"
            rejects = staged / f"c{k}-{Path(docs).name}.rejects"
            write_batch(table.to_pylist(), [], str(out), str(rejects))
            pairs.append((str(out), str(rejects)))
    (staged / "batches.json").write_text(json.dumps(pairs))


def finish(staged: Path, out: Path, tree: Path | None) -> tuple[float, int, dict[str, int]]:
    """(wall, peak RSS bytes, summary) of finishing the staged batches in a child process."""
    result = out.parent / f"{out.name}.json"
    env = dict(os.environ)
    if tree is not None:  # its packages first (the child's cwd is first on sys.path too)
        env["PYTHONPATH"] = str(tree)
    args = [sys.executable, "-c", CHILD, str(staged), str(out), str(result)]
    started = time.perf_counter()
    child = subprocess.Popen(args, env=env, cwd=str(tree or Path.cwd()))
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"finish failed: {args}")
    wall = time.perf_counter() - started
    return wall, usage.ru_maxrss * 1024, json.loads(result.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/corpus-scale-bench"))
    parser.add_argument("--before", type=Path, metavar="DIR", help="older code to compare with")
    parser.add_argument("--copies-of", type=int, metavar="N", help="bigger sizes as copies of N")
    args = parser.parse_args()
    peaks: dict[str, list[int]] = {"before": [], "this code": []}
    for n in args.sizes:
        corpus, staged = args.work / f"n{n}" / "corpus", args.work / f"n{n}" / "finish-staged"
        base = args.work / f"n{args.copies_of}" / "finish-staged"
        if args.copies_of and n > args.copies_of and n % args.copies_of == 0:
            staged = args.work / f"n{n}" / f"finish-staged-copies-of-{args.copies_of}"
            if not (staged / "batches.json").exists():
                copy_staged(base, staged, n // args.copies_of)
        elif not (corpus / "truth.jsonl").exists():
            generate(corpus, n, 0.3, 7)
        if not (staged / "batches.json").exists():
            started = time.perf_counter()
            stage(corpus, staged)
            print(f"[{n}] staged in {time.perf_counter() - started:.0f} s", flush=True)
        codes = ([("before", args.before)] if args.before else []) + [("this code", None)]
        for label, tree in codes:
            out = args.work / f"n{n}" / "finish-dataset"
            subprocess.run(["rm", "-rf", str(out)], check=True)
            load = os.getloadavg()[0]
            wall, peak, summary = finish(staged, out, tree)
            peaks[label].append(peak)
            print(
                f"[{n}] {label:9}: finish {wall:6.1f} s, peak RSS {peak / GB:.3f} GB"
                f" (load {load:.1f}); added {summary['added']}, merged {summary['merged']}",
                flush=True,
            )
    for label, values in peaks.items():
        if len(values) > 1:
            print(
                f"{label}: peak RSS {args.sizes[0]} -> {args.sizes[-1]} docs:"
                f" {values[-1] / values[0]:.2f}x ({values[0] / GB:.3f} -> {values[-1] / GB:.3f} GB)"
            )


if __name__ == "__main__":
    main()
