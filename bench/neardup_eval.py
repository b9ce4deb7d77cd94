"""Near-duplicate decisions on a near-dup truth set, per perturbation class.

    .venv/bin/python bench/neardup_eval.py SET_DIR [SET_DIR ...] [--work DIR] [--show N]

SET_DIR is a folder with `docs/*.txt`, `truth.json` (file -> cluster) and `manifest.json` (file
-> role, perturbations), as in ../shared/eval/neardup/* or what `bench/repost_set.py` writes.
Each set is cleaned once with the chain (LineStats over the set, as `corpus ingest` does) and
cached under WORK (outside the repo: the pages are third-party text); then
`crawler.dedup.resolve.resolve` groups the documents as `corpus ingest` would, and this prints
pairwise P/R/F1 (the metric of score_neardup.py, files that gave no document as singletons),
the same on two fixed halves of the clusters (a change should gain on both, not on one),
the recall of each perturbation class (a variant merged with its cluster's original or,
without one, with another member) and, for negatives (`role` "negative": another article in a frame
already in the set), the share kept apart from the frame's page.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import polars as pl

from crawler.config import Settings
from crawler.dedup.index import DedupIndex
from crawler.dedup.minhash import MinHasher, shingle_set
from crawler.dedup.pages import removed_prose
from crawler.dedup.resolve import resolve
from crawler.errors import Drop
from crawler.extract.boilerplate import LineStats
from crawler.extract.chain import process
from crawler.readers.files import read_input

_STATS: list[LineStats | None] = []


def _set_stats(stats: LineStats | None) -> None:
    _STATS[:] = [stats]


def _clean_one(path: str) -> dict[str, Any] | None:
    try:
        doc = process(read_input(Path(path), 20 << 20), Settings(), _STATS[0])
    except Drop:
        return None
    return {
        "file": Path(path).name,
        "text": doc.text,
        "word_count": doc.word_count,
        "content_hash": doc.content_hash,
        "removed": [r.text for r in doc.removed],
        "reasons": [r.reason for r in doc.removed],
    }


def clean_set(docs: Path, cache: Path, line_stats: bool = True) -> pl.DataFrame:
    """Cleaned text of every file in docs (cached: the chain is the slow part)."""
    if cache.exists():
        return pl.read_parquet(cache)
    paths = sorted(str(p) for p in docs.iterdir() if p.is_file())
    stats: LineStats | None = None
    if line_stats:
        stats = LineStats()
        for p in paths:
            stats.add(Path(p).read_text("utf-8", errors="replace"))
    with ProcessPoolExecutor(2, initializer=_set_stats, initargs=(stats,)) as pool:
        rows = [r for r in pool.map(_clean_one, paths, chunksize=16) if r is not None]
    frame = pl.DataFrame(rows)
    cache.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(cache)
    return frame


def predict(frame: pl.DataFrame, settings: Settings, pages: bool = True) -> dict[str, str]:
    """file -> doc_id as one `corpus ingest` run of these documents would decide (without
    `pages`: on the kept texts alone, as dedup did before it read the removed prose)."""
    texts = frame["text"].to_list()
    removed = [removed_prose(r) for r in frame["removed"].to_list()]
    hasher = MinHasher(settings.num_perm)
    sigs = hasher.signatures([shingle_set(t, settings.shingle_size) for t in texts])
    rows = [
        {
            "source_uri": f,
            "content_hash": h,
            "word_count": w,
            "signature": s.astype("<u4").tobytes(),
        }
        for f, h, w, s in zip(
            frame["file"], frame["content_hash"], frame["word_count"], sigs, strict=True
        )
    ]
    result = resolve(
        rows,
        texts.__getitem__,
        DedupIndex(settings.lsh_bands),
        lambda ids: {},
        settings.shingle_size,
        settings.near_dup_threshold,
        page_of=removed.__getitem__ if pages else None,
    )
    return dict(result.doc_of_source)


def _pairs(counts: Iterable[int]) -> int:
    return sum(n * (n - 1) // 2 for n in counts)


def _half(cluster: str) -> int:
    return hashlib.sha256(cluster.encode()).digest()[0] & 1


def pairwise(pred: dict[str, str], truth: dict[str, str]) -> tuple[float, float, float]:
    labels = {f: pred.get(f, f"alone:{f}") for f in truth}
    tp = _pairs(Counter((labels[f], truth[f]) for f in truth).values())
    n_pred = _pairs(Counter(labels.values()).values())
    n_true = _pairs(Counter(truth.values()).values())
    p = tp / n_pred if n_pred else 1.0
    r = tp / n_true if n_true else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def per_class(
    pred: dict[str, str], truth: dict[str, str], manifest: dict[str, Any]
) -> dict[str, list[int]]:
    """class -> [right, total]: variants merged with their original (or another member of
    their cluster), negatives kept apart from every file of another cluster."""
    members: dict[str, list[str]] = defaultdict(list)
    for f, c in truth.items():
        members[c].append(f)
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for f, m in sorted(manifest.items()):
        role = m.get("role")
        label = pred.get(f, f"alone:{f}")
        if role == "variant":
            others = [g for g in members[truth[f]] if g != f]
            originals = [g for g in others if manifest[g].get("role") == "original"] or others
            ok = any(pred.get(g) == label for g in originals)
            for cls in m.get("perturbations") or ["none"]:
                out[cls][0] += ok
                out[cls][1] += 1
            out["all variants"][0] += ok
            out["all variants"][1] += 1
        elif role == "negative":
            apart = not any(pred.get(g) == label for g in truth if truth[g] != truth[f])
            out["negative: kept apart"][0] += apart
            out["negative: kept apart"][1] += 1
    return dict(out)


def false_merges(pred: dict[str, str], truth: dict[str, str]) -> list[list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for f in truth:
        if f in pred:
            groups[pred[f]].append(f)
    return [g for g in groups.values() if len({truth[f] for f in g}) > 1]


def missed(pred: dict[str, str], truth: dict[str, str], manifest: dict[str, Any]) -> list[str]:
    out = []
    for f, m in sorted(manifest.items()):
        if m.get("role") == "variant":
            others = [g for g in truth if g != f and truth[g] == truth[f]]
            if not any(g in pred and pred.get(g) == pred.get(f) for g in others):
                out.append(f)
    return out


def cpu_ratio(frame: pl.DataFrame, settings: Settings, before: Path, rounds: int = 3) -> str:
    """Dedup's CPU time (this process, `time.process_time`) on the set, this code against an
    older resolve module, interleaved so that the machine's load hits both alike."""
    spec = importlib.util.spec_from_file_location("resolve_before", before)
    assert spec is not None and spec.loader is not None
    old = importlib.util.module_from_spec(spec)
    sys.modules["resolve_before"] = old
    spec.loader.exec_module(old)
    spent = {"before": 0.0, "now": 0.0}
    for _ in range(rounds):
        for name, fn in (("before", old.resolve), ("now", resolve)):
            globals()["resolve"] = fn
            start = time.process_time()
            predict(frame, settings)
            spent[name] += time.process_time() - start
    globals()["resolve"] = _RESOLVE
    b, n = spent["before"] / rounds, spent["now"] / rounds
    return f"dedup CPU s: before {b:.2f}  now {n:.2f}  ratio {n / b:.2f}"


_RESOLVE = resolve


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sets", nargs="+", type=Path)
    parser.add_argument("--work", type=Path, default=Path("/tmp/corpus-neardup-eval"))
    parser.add_argument("--show", type=int, default=0, help="list N misses and false merges")
    parser.add_argument(
        "--kept-only", action="store_true", help="dedup on the kept texts only (the old way)"
    )
    parser.add_argument(
        "--cpu-before",
        type=Path,
        help="an older crawler/dedup/resolve.py (git show REV:crawler/dedup/resolve.py > F): "
        "print dedup's CPU time on each set, this code against it (3 interleaved rounds)",
    )
    args = parser.parse_args()
    settings = Settings()
    for root in args.sets:
        truth = json.loads((root / "truth.json").read_text("utf-8"))
        manifest = json.loads((root / "manifest.json").read_text("utf-8"))
        key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:12]
        frame = clean_set(root / "docs", args.work / f"{root.name}-{key}.parquet")
        pred = predict(frame, settings, not args.kept_only)
        p, r, f1 = pairwise(pred, truth)
        print(f"== {root}  ({len(truth)} files, {len(frame)} documents)")
        print(f"   pairwise P {p:.3f}  R {r:.3f}  F1 {f1:.3f}")
        for half in (0, 1):  # the clusters split in two fixed halves (by their id's hash)
            part = {f: c for f, c in truth.items() if _half(c) == half}
            hp, hr, hf = pairwise(pred, part)
            print(f"   half {half}: {len(part)} files  P {hp:.3f}  R {hr:.3f}  F1 {hf:.3f}")
        for cls, (ok, n) in sorted(per_class(pred, truth, manifest).items()):
            print(f"   {cls:<24} {ok:>4}/{n:<4} {ok / n:.3f}")
        if args.cpu_before:
            print("   " + cpu_ratio(frame, settings, args.cpu_before))
        if args.show:
            print("   missed:", " ".join(missed(pred, truth, manifest)[: args.show]))
            for g in false_merges(pred, truth)[: args.show]:
                print("   false merge:", " ".join(sorted(g)))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
