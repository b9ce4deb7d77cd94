"""Dedup on generated news reposts: our MinHash/LSH against datasketch's, and decision quality.

    .venv/bin/python bench/dedup_bench.py [--n 10000] [--hard 300] [--work DIR] [--no-sweep]

Generates N page dumps with `bench/gen_corpus.py` (plus `--hard` reposts per harder kind:
truncated to 40%, two paragraphs dropped, paragraphs reordered), cleans them with the chain
(cached in WORK/cleaned.parquet), then prints:

1. shingling and signatures, ms/doc: ours (vectorized) vs the previous blake2b-per-token
   shingling, vs datasketch `MinHash.update_batch` and `MinHash.bulk` on the SAME shingles;
2. LSH: our `LSHIndex` vs the previous dict-of-bytes index vs datasketch `MinHashLSH`
   (insert, query, candidates, MB per 100k docs);
3. `crawler.dedup.resolve.resolve` per setting (shingle size, num_perm, bands, threshold):
   pairwise precision/recall/F1 against truth.jsonl and recall per repost kind.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import random
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from datasketch import MinHash, MinHashLSH
from gen_corpus import OUTLETS, Writer, dump, generate

from crawler.config import Settings
from crawler.dedup.index import DedupIndex
from crawler.dedup.minhash import U32, U64, LSHIndex, MinHasher, shingle_set
from crawler.dedup.resolve import resolve
from crawler.errors import Drop
from crawler.extract.boilerplate import LineStats
from crawler.extract.chain import process
from crawler.extract.normalize import tokens
from crawler.readers.files import read_input

HARD_KINDS = ("trunc40", "drop2", "reorder")
BASE_KINDS = ("exact", "no_first", "truncated", "edited", "spam")


# -- corpus ------------------------------------------------------------------------------------


def prepare_corpus(corpus: Path, n: int, hard: int, seed: int) -> None:
    """gen_corpus's N dumps plus `hard` reposts of each harder kind (appended to truth)."""
    if (corpus / "truth.jsonl").exists():
        return
    generate(corpus, n, 0.3, seed)
    truth = [json.loads(line) for line in (corpus / "truth.jsonl").open()]
    originals = [t for t in truth if t["kind"] == "original"]
    rng = random.Random(seed + 1)
    w = Writer(rng)
    (corpus / "hard").mkdir(exist_ok=True)
    with open(corpus / "truth.jsonl", "a", encoding="utf-8") as out:
        for kind in HARD_KINDS:
            for i, orig in enumerate(rng.sample(originals, hard)):
                title, paragraphs = parse_dump((corpus / orig["file"]).read_text("utf-8"))
                name = f"hard/{kind}-{i:05d}.txt"
                page = dump(w, title, rng.choice(OUTLETS), hard_repost(rng, kind, paragraphs), 3)
                (corpus / name).write_text(page, "utf-8")
                out.write(json.dumps({"file": name, "cluster": orig["cluster"], "kind": kind}))
                out.write("\n")


def parse_dump(page: str) -> tuple[str, list[str]]:
    """Title and article paragraphs of a gen_corpus dump (see `gen_corpus.dump`)."""
    lines = page.split("\n")
    return lines[1], lines[6 : lines.index("Try Our AI Features")]


def hard_repost(rng: random.Random, kind: str, paragraphs: list[str]) -> list[str]:
    if kind == "trunc40":
        return paragraphs[: max(2, int(len(paragraphs) * 0.4))]
    if kind == "drop2":
        dropped = set(rng.sample(range(len(paragraphs)), 2))
        return [p for i, p in enumerate(paragraphs) if i not in dropped]
    shuffled = list(paragraphs)
    while shuffled == paragraphs:
        rng.shuffle(shuffled)
    return shuffled


_STATS: list[LineStats] = []  # the corpus's line statistics, in each cleaning worker


def _set_stats(stats: LineStats) -> None:
    _STATS[:] = [stats]


def _clean_one(args: tuple[str, str]) -> dict[str, Any] | None:
    root, name = args
    try:
        doc = process(read_input(Path(root) / name, 20 << 20), Settings(), _STATS[0])
    except Drop:
        return None
    return {
        "file": name,
        "text": doc.text,
        "word_count": doc.word_count,
        "content_hash": doc.content_hash,
    }


def clean_corpus(corpus: Path, cache: Path) -> pl.DataFrame:
    """Cleaned texts of every dump (the chain, with LineStats over the corpus), cached."""
    if cache.exists():
        return pl.read_parquet(cache)
    files = [t["file"] for t in map(json.loads, (corpus / "truth.jsonl").open())]
    stats = LineStats()
    for name in files:
        stats.add((corpus / name).read_text("utf-8"))
    started = time.perf_counter()
    with ProcessPoolExecutor(2, initializer=_set_stats, initargs=(stats,)) as pool:
        jobs = ((str(corpus), name) for name in files)
        rows = [r for r in pool.map(_clean_one, jobs, chunksize=64) if r is not None]
    print(f"cleaned {len(rows)}/{len(files)} dumps in {time.perf_counter() - started:.1f} s")
    frame = pl.DataFrame(rows)
    frame.write_parquet(cache)
    return frame


# -- timing helpers ----------------------------------------------------------------------------


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def peak_mb(fn: Callable[[], Any]) -> tuple[float, Any]:
    """MB still allocated by what fn built (tracemalloc; numpy buffers are traced)."""
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    value = fn()
    held = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    return held / 1e6, value


def row(label: str, seconds: float, n: int, ref: float | None = None) -> str:
    ms = 1000 * seconds / n
    ratio = f"  ({ms / ref:5.2f}x ours)" if ref else ""
    return f"  {label:<46} {ms:8.3f} ms/doc{ratio}"


# -- the previous implementation (for before/after figures) -------------------------------------


def legacy_shingle_set(text: str, k: int) -> U64:
    """The previous `shingle_set`: blake2b per distinct token, FNV-style combination."""
    toks = tokens(text)
    if not toks:
        return np.zeros(0, dtype=np.uint64)
    cache: dict[str, int] = {}
    for t in toks:
        if t not in cache:
            digest = hashlib.blake2b(t.encode(), digest_size=8).digest()
            cache[t] = int.from_bytes(digest, "little")
    ids = np.fromiter((cache[t] for t in toks), dtype=np.uint64, count=len(toks))
    k = min(k, len(ids))
    combined = np.zeros(len(ids) - k + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            combined = combined * np.uint64(0x100000001B3) + ids[j : len(ids) - k + 1 + j]
    return np.unique(combined)


def legacy_signature(hasher: MinHasher, shingles: U64) -> U32:
    """The previous `MinHasher.signature`: shift every hashed value, then take the minimum."""
    sig = np.full(hasher.num_perm, 0xFFFFFFFF, dtype=np.uint64)
    a, b = hasher._a[:, None], hasher._b[:, None]
    with np.errstate(over="ignore"):
        for start in range(0, shingles.size, 4096):
            hashed = (a * shingles[None, start : start + 4096] + b) >> np.uint64(32)
            sig = np.minimum(sig, hashed.min(axis=1))
    return sig.astype(np.uint32)


class LegacyLSH:
    """The previous `LSHIndex`: a dict from band bytes to lists of keys."""

    def __init__(self, bands: int) -> None:
        self.bands = bands
        self.buckets: dict[bytes, list[str]] = defaultdict(list)

    def _band_keys(self, signature: U32) -> Iterator[bytes]:
        rows = signature.size // self.bands
        for band in range(self.bands):
            yield band.to_bytes(2, "little") + signature[band * rows : (band + 1) * rows].tobytes()

    def add(self, key: str, signature: U32) -> None:
        for band_key in self._band_keys(signature):
            self.buckets[band_key].append(key)

    def candidates(self, signature: U32) -> list[str]:
        seen: dict[str, None] = {}
        for band_key in self._band_keys(signature):
            for key in self.buckets.get(band_key, ()):
                seen.setdefault(key, None)
        return list(seen)


# -- 1. shingles and signatures ----------------------------------------------------------------


def bench_signatures(texts: list[str], k: int, num_perm: int) -> list[MinHash]:
    """Print ms/doc of shingling and signatures; return datasketch's MinHashes (for its LSH)."""
    n = len(texts)
    print(f"\n== shingles and MinHash signatures: {n} docs, k={k}, num_perm={num_perm}")
    t_old, old = timed(lambda: [legacy_shingle_set(t, k) for t in texts])
    t_new, sets = timed(lambda: [shingle_set(t, k) for t in texts])
    mean = sum(s.size for s in sets) / n
    print(
        f"  (mean {mean:.0f} shingles/doc; old and new sets equal in size: "
        f"{all(a.size == b.size for a, b in zip(old, sets, strict=True))})"
    )
    print(row("shingle_set, before (blake2b per token)", t_old, n))
    print(row("shingle_set, now (vectorized polynomial hash)", t_new, n))
    print(f"  -> shingling {t_old / t_new:.1f}x faster")
    hasher = MinHasher(num_perm)
    t_legacy, _ = timed(lambda: [legacy_signature(hasher, s) for s in sets])
    t_one, ours = timed(lambda: [hasher.signature(s) for s in sets])
    t_many, many = timed(lambda: hasher.signatures(sets))
    assert all(np.array_equal(a, b) for a, b in zip(ours, many, strict=True))
    t_bytes, as_bytes = timed(lambda: [_as_bytes(s) for s in sets])
    t_ds, mhs = timed(lambda: [_ds_update(b, num_perm) for b in as_bytes])
    t_bulk, _ = timed(lambda: MinHash.bulk(as_bytes, num_perm=num_perm))
    t_int, _ = timed(lambda: [_ds_ints(s, num_perm) for s in sets])
    ref = 1000 * t_one / n
    print(row("ours MinHasher.signature, before (shift, then min)", t_legacy, n, ref))
    print(row("ours MinHasher.signature (per doc)", t_one, n, ref))
    print(row("ours MinHasher.signatures (batched, same values)", t_many, n, ref))
    print(row("datasketch update_batch (sha1 of 8-byte shingle)", t_ds, n, ref))
    print(row("datasketch MinHash.bulk (sha1 of 8-byte shingle)", t_bulk, n, ref))
    print(row("datasketch update_batch (ints, affine64, no sha1)", t_int, n, ref))
    print(row("  (converting shingles to bytes for datasketch)", t_bytes, n))
    return list(mhs)


def _as_bytes(shingles: U64) -> list[bytes]:
    raw = shingles.tobytes()
    return [raw[i : i + 8] for i in range(0, len(raw), 8)]


def _ds_update(values: list[bytes], num_perm: int) -> MinHash:
    m = MinHash(num_perm=num_perm)
    m.update_batch(values)
    return m


def _ds_ints(shingles: U64, num_perm: int) -> MinHash:
    m = MinHash(num_perm=num_perm, hashfunc=int, scheme="affine64")
    m.update_batch(shingles.tolist())
    return m


# -- 2. LSH ------------------------------------------------------------------------------------


def bench_lsh(sigs: U32, mhs: list[MinHash], bands: int, label: str) -> None:
    """Insert everything, then query every doc: time, candidates (others), memory."""
    n, num_perm = sigs.shape
    keys = [f"d{i}" for i in range(n)]
    rows = num_perm // bands
    print(f"\n== LSH {label}: {n} docs, {bands} bands x {rows} rows")

    def ours() -> LSHIndex:
        index = LSHIndex(bands)
        for key, sig in enumerate(sigs):
            index.add(key, sig)
        return index

    def legacy() -> LegacyLSH:
        index = LegacyLSH(bands)
        for key, sig in zip(keys, sigs, strict=True):
            index.add(key, sig)
        return index

    def theirs() -> MinHashLSH:
        index = MinHashLSH(num_perm=num_perm, params=(bands, rows))
        for key, m in zip(keys, mhs, strict=True):
            index.insert(key, m)
        return index

    results: dict[str, tuple[float, float, int, float]] = {}
    for name, build, queries in (
        ("ours LSHIndex (sorted uint64 runs)", ours, sigs),
        ("before: dict of band bytes", legacy, sigs),
        ("datasketch MinHashLSH", theirs, mhs),
    ):
        t_add, index = timed(build)
        t_query, found = timed(partial(_query_all, index, queries))
        extra = sum(len(c) for c in found) - n
        del index
        mb, index = peak_mb(build)
        del index
        results[name] = (t_add, t_query, extra, mb)
    ref_add, ref_query = results["ours LSHIndex (sorted uint64 runs)"][:2]
    for name, (t_add, t_query, extra, mb) in results.items():
        print(
            f"  {name:<36} insert {1e3 * t_add / n:6.3f} ms/doc ({t_add / ref_add:4.1f}x)"
            f"  query {1e3 * t_query / n:6.3f} ms/doc ({t_query / ref_query:4.1f}x)"
            f"  candidates {extra:>7} ({extra / n:.3f}/doc)"
            f"  {mb * 100_000 / n:7.1f} MB/100k docs"
        )


def _query_all(
    index: LSHIndex | LegacyLSH | MinHashLSH, queries: Iterable[Any]
) -> list[list[str]] | list[list[int]]:
    return [_query(index, q) for q in queries]  # type: ignore[return-value]


def _query(index: LSHIndex | LegacyLSH | MinHashLSH, sig: Any) -> list[str] | list[int]:
    if isinstance(index, MinHashLSH):
        return list(index.query(sig))
    return index.candidates(sig)


def synthetic_lsh(n: int, num_perm: int, bands: int) -> None:
    """LSH at n distinct docs (random signatures: every band bucket its own)."""
    rng = np.random.default_rng(3)
    sigs = rng.integers(0, 2**32, size=(n, num_perm), dtype=np.uint32)
    mhs = [MinHash(num_perm=num_perm, hashvalues=s, scheme="affine32") for s in sigs]
    bench_lsh(sigs, mhs, bands, f"at scale (random signatures = {n} distinct docs)")


# -- 3. decision quality -----------------------------------------------------------------------


@dataclass(frozen=True)
class Truth:
    cluster: dict[str, int]  # file -> cluster id
    kind: dict[str, str]  # file -> original / repost kind
    original: dict[int, str]  # cluster -> its original's file


def load_truth(corpus: Path) -> Truth:
    cluster, kind, original = {}, {}, {}
    for t in map(json.loads, (corpus / "truth.jsonl").open()):
        cluster[t["file"]], kind[t["file"]] = t["cluster"], t["kind"]
        if t["kind"] == "original":
            original[t["cluster"]] = t["file"]
    return Truth(cluster, kind, original)


def pairwise(
    pred: dict[str, str], truth: dict[str, int], files: Iterable[str]
) -> tuple[float, float, float]:
    """Pairwise precision, recall, F1 of a predicted clustering (files absent: singletons)."""
    files = list(files)
    pred_of = {f: pred.get(f, f"single:{f}") for f in files}
    both = Counter((pred_of[f], truth[f]) for f in files)

    def pairs(counts: Iterable[int]) -> int:
        return sum(c * (c - 1) // 2 for c in counts)

    tp = pairs(both.values())
    predicted = pairs(Counter(pred_of.values()).values())
    actual = pairs(Counter(truth[f] for f in files).values())
    p, r = tp / (predicted or 1), tp / (actual or 1)
    return p, r, 2 * p * r / ((p + r) or 1)


def kind_recall(pred: dict[str, str], truth: Truth) -> dict[str, tuple[int, int]]:
    """Per repost kind: (reposts in the same record as their original, reposts)."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for f, kind in truth.kind.items():
        if kind == "original":
            continue
        orig = truth.original[truth.cluster[f]]
        out[kind][1] += 1
        out[kind][0] += f in pred and pred.get(orig) == pred[f]
    return {k: (v[0], v[1]) for k, v in out.items()}


def dedup_clusters(
    frame: pl.DataFrame, s: Settings, sets: Sequence[U64]
) -> tuple[dict[str, str], float]:
    """file -> doc_id, from `crawler.dedup.resolve.resolve` with these settings; and the mean
    number of LSH candidates per query (the containment checks it costs)."""
    sigs = MinHasher(s.num_perm).signatures(sets)
    rows = [
        {
            "source_uri": f,
            "text": t,
            "content_hash": h,
            "word_count": w,
            "signature": sig.astype("<u4").tobytes(),
        }
        for f, t, h, w, sig in zip(
            frame["file"],
            frame["text"],
            frame["content_hash"],
            frame["word_count"],
            sigs,
            strict=True,
        )
    ]
    texts = frame["text"].to_list()
    index = DedupIndex(s.lsh_bands)
    counted = CountingLSH(index.lsh)
    index.lsh = counted  # type: ignore[assignment]
    args: dict[str, Any] = {
        "rows": rows,
        "index": index,
        "existing_texts": lambda ids: {},
        "shingle_size": s.shingle_size,
        "threshold": s.near_dup_threshold,
    }
    if "text_of" in inspect.signature(resolve).parameters:
        args["text_of"] = texts.__getitem__
    pred = dict(resolve(**args).doc_of_source)
    return pred, counted.found / max(counted.queries, 1)


class CountingLSH:
    """An LSHIndex that counts queries and the candidates they return."""

    def __init__(self, inner: LSHIndex) -> None:
        self.inner, self.queries, self.found = inner, 0, 0

    def add(self, key: int, signature: U32) -> None:
        self.inner.add(key, signature)

    def candidates(self, signature: U32) -> list[int]:
        out = self.inner.candidates(signature)
        self.queries, self.found = self.queries + 1, self.found + len(out)
        return out


def sweep_settings(base: Settings, full: bool) -> list[Settings]:
    """The current defaults, one knob at a time around them, and a few combinations."""
    out = [base]
    if not full:
        return out
    out += [replace(base, near_dup_threshold=t) for t in (0.5, 0.6, 0.7, 0.9)]
    out += [replace(base, lsh_bands=b) for b in (16, 64, 128)]
    out += [replace(base, shingle_size=k) for k in (3, 4, 7)]
    out += [replace(base, num_perm=64, lsh_bands=b) for b in (16, 32)]
    out += [replace(base, num_perm=256, lsh_bands=b) for b in (64, 128)]
    out += [replace(base, num_perm=p, lsh_bands=b) for p, b in ((96, 32), (120, 40))]  # 3 rows
    out += [replace(base, lsh_bands=64, near_dup_threshold=t) for t in (0.6, 0.7)]
    out += [replace(base, lsh_bands=64, shingle_size=4, near_dup_threshold=0.7)]
    out += [replace(base, num_perm=64, lsh_bands=32, near_dup_threshold=0.7)]
    return out


def bench_quality(frame: pl.DataFrame, truth: Truth, settings: list[Settings]) -> None:
    files = frame["file"].to_list()
    base_files = [f for f in truth.cluster if truth.kind[f] not in HARD_KINDS]
    kinds = ("exact", "no_first", "truncated", "edited", "spam", *HARD_KINDS)
    print(f"\n== dedup decisions (resolve), {len(files)} cleaned of {len(truth.cluster)} dumps")
    print("   P/R/F1: pairwise, over gen_corpus dumps only | with the harder reposts too")
    print("   cand: LSH candidates per query; per kind: share of reposts merged into their")
    print("   original's record")
    print(
        f"  {'k':>2} {'perm':>4} {'bands':>5} {'thr':>4} {'sec':>5} {'cand':>5}"
        f"  {'P':>6} {'R':>6} {'F1':>6} | {'P':>6} {'R':>6} {'F1':>6} | "
        + " ".join(f"{k[:8]:>8}" for k in kinds)
    )
    sets: dict[int, list[U64]] = {}
    for s in settings:
        if s.shingle_size not in sets:
            sets[s.shingle_size] = [shingle_set(t, s.shingle_size) for t in frame["text"]]
        seconds, (pred, per_query) = timed(partial(dedup_clusters, frame, s, sets[s.shingle_size]))
        p1, r1, f1 = pairwise(pred, truth.cluster, base_files)
        p2, r2, f2 = pairwise(pred, truth.cluster, truth.cluster)
        rec = kind_recall(pred, truth)
        per_kind = " ".join(f"{rec[k][0] / rec[k][1]:8.3f}" if k in rec else " " * 8 for k in kinds)
        print(
            f"  {s.shingle_size:>2} {s.num_perm:>4} {s.lsh_bands:>5} {s.near_dup_threshold:>4}"
            f" {seconds:5.1f} {per_query:5.2f}  {p1:.4f} {r1:.4f} {f1:.4f} |"
            f" {p2:.4f} {r2:.4f} {f2:.4f} | {per_kind}"
        )


# -- main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000, help="gen_corpus dumps")
    parser.add_argument("--hard", type=int, default=300, help="reposts per harder kind")
    parser.add_argument("--work", type=Path, default=Path("/tmp/corpus-dedup-bench"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--lsh-n", type=int, default=100_000, help="docs for the LSH at scale")
    parser.add_argument("--no-sweep", action="store_true", help="only the current defaults")
    args = parser.parse_args()
    work = args.work / f"n{args.n}-h{args.hard}-s{args.seed}"
    prepare_corpus(work / "corpus", args.n, args.hard, args.seed)
    frame = clean_corpus(work / "corpus", work / "cleaned.parquet")
    truth = load_truth(work / "corpus")
    defaults = Settings()
    texts = frame["text"].to_list()
    mhs = bench_signatures(texts, defaults.shingle_size, defaults.num_perm)
    sets = [shingle_set(t, defaults.shingle_size) for t in texts]
    sigs = MinHasher(defaults.num_perm).signatures(sets)
    bench_lsh(sigs, mhs, defaults.lsh_bands, "on the corpus")
    if args.lsh_n:
        synthetic_lsh(args.lsh_n, defaults.num_perm, defaults.lsh_bands)
    bench_quality(frame, truth, sweep_settings(defaults, not args.no_sweep))


if __name__ == "__main__":
    main()
