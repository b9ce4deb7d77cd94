"""Where a text ingest's time goes, per stage, and its speed as a ratio to trafilatura (issue 15).

    .venv/bin/python bench/profile_ingest.py [--generated 2000] [--rounds 3] [--work DIR]
                                             [--no-ingest] [--cli N [--vs-code DIR]]

On the 63 dev page dumps (eval/dev/text) and N generated dumps (`bench/gen_corpus.py`, cached in
WORK), in one process and one thread, every stage a worker runs on each document, timed alone
(CPU seconds of this process, so other load on the machine counts less):

    read       the file's bytes                      decode   `read_input` less its read
    stats      `LineStats.add` (the scan's pass)     clean    `clean_text` (a cold line memo)
    langid     `detect_language` of the text         hash     normalize_text, word_count,
    minhash    shingles + MinHash signature                   content_hash
    row+write  `Document.to_row` + one staged Parquet file of the batch (`write_batch`)

and the language model's load, paid once per run (by the worker pool's forkserver): mapped from
its uncompressed copy in the cache (`crawler.extract.language_cache`), and read from the
package's LZMA file as the first run on a machine does.

Then, in the same run and interleaved round by round (median of --rounds):
- `trafilatura.extract(html)` on the dev pages' HTML (eval/dev/html): the baseline's docs/s;
- the cleaner alone on the dev dumps (`clean_text`, a cold line memo each round);
- the whole text ingest of the dev dumps (`run_ingest`, what `corpus ingest` runs: scan, worker
  processes, dedup, write), wall time, after a warm-up run;
and prints docs/s of each and the ratios to trafilatura. The load average (1 min) is printed at
start and end: on a busy machine the wall figures, and so the ingest ratio, read low.

--cli N: the whole command instead, `corpus ingest eval/dev/text` in a fresh process N times
(start-up, forkserver, workers, report: what a user waits for), as a child subreaper so that
the CPU of every process of its tree is counted (the forkserver and its workers outlive the
command's own wait). Prints wall and CPU seconds: of the command's process, of the rest of its
tree (forkserver, workers, resource tracker), their sum, and the per-doc stages' share of it.
With --vs-code DIR, runs of the checkout at DIR (its code first on PYTHONPATH, this venv)
take turns with these, and the medians' ratios are printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "eval" / "dev"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from crawler.config import Settings  # noqa: E402
from crawler.dedup.minhash import MinHasher, shingle_set  # noqa: E402
from crawler.extract.boilerplate import LineStats, clean_text  # noqa: E402
from crawler.extract.boilerplate import cleaner as cleaner_module  # noqa: E402
from crawler.extract.chain import process  # noqa: E402
from crawler.extract.normalize import (  # noqa: E402
    content_hash,
    detect_language,
    normalize_text,
    word_count,
)
from crawler.readers.files import read_input  # noqa: E402
from crawler.run.ingest import run_ingest  # noqa: E402
from crawler.store.staged import write_batch  # noqa: E402

STAGES = ("read", "decode", "stats", "clean", "langid", "hash", "minhash", "row+write")


def _cold_memo() -> None:
    """Forget the cleaner's cross-document memos (those this version has: lines, bylines, key
    hashes, the headline vote's candidate lines)."""
    from crawler.extract.boilerplate import headline_vote
    from crawler.extract.boilerplate import stats as stats_module

    for module, name in (
        (cleaner_module, "_SEEN"),
        (cleaner_module, "_BYLINES"),
        (stats_module, "_HASHES"),
        (headline_vote, "_OK_SEEN"),
    ):
        seen = getattr(module, name, None)
        if isinstance(seen, dict):
            seen.clear()


def stage_times(files: list[Path], settings: Settings, tmp: Path) -> dict[str, float]:
    """CPU seconds of each stage over `files`, run as a worker runs them."""
    t: dict[str, float] = dict.fromkeys(STAGES, 0.0)
    clock = time.process_time
    raws = []
    for path in files:
        a = clock()
        path.read_bytes()
        b = clock()
        raws.append(read_input(path, settings.max_input_bytes))
        c = clock()
        t["read"] += b - a
        t["decode"] += max(0.0, (c - b) - (b - a))
    a = clock()
    stats = LineStats()
    for raw in raws:
        stats.add(raw.text)
    t["stats"] += clock() - a
    _cold_memo()
    hasher = MinHasher(settings.num_perm)
    rows = []
    for raw in raws:
        a = clock()
        cleaned = clean_text(raw.text, stats, mode="dump")
        b = clock()
        text = normalize_text(cleaned.paragraphs)
        word_count(text)
        content_hash(text)
        c = clock()
        detect_language(text)
        d = clock()
        hasher.signature(shingle_set(text, settings.shingle_size))
        e = clock()
        t["clean"] += b - a
        t["hash"] += c - b
        t["langid"] += d - c
        t["minhash"] += e - d
        try:
            doc = process(raw, settings, stats)  # the chain's Document, for its row
        except Exception:  # a rejected page has no row
            continue
        f = clock()
        row = doc.to_row()
        row["input_hash"] = "0" * 64
        row["signature"] = b""
        rows.append(row)
        t["row+write"] += clock() - f
    a = clock()
    write_batch(rows, [], str(tmp / "docs.parquet.staged"), str(tmp / "rejects.parquet.staged"))
    t["row+write"] += clock() - a
    return t


def model_load_times() -> tuple[float, float]:
    """CPU seconds of `load_identifier()`: from the cache (made first if missing), and from the
    package's compressed model (the cache switched off)."""
    from crawler.extract import language_cache
    from crawler.extract.language import load_identifier

    load_identifier()  # the cache, if it can be written
    a = time.process_time()
    load_identifier()
    cached = time.process_time() - a
    saved = os.environ.get(language_cache.CACHE_ENV)
    os.environ[language_cache.CACHE_ENV] = ""
    try:
        a = time.process_time()
        load_identifier()
        package = time.process_time() - a
    finally:
        if saved is None:
            del os.environ[language_cache.CACHE_ENV]
        else:
            os.environ[language_cache.CACHE_ENV] = saved
    return cached, package


def _docs_per_s(n: int, fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return n / (time.perf_counter() - started)


def trafilatura_rate(pages: list[str]) -> float:
    import trafilatura

    return _docs_per_s(
        len(pages), lambda: [trafilatura.extract(h, include_comments=False) for h in pages]
    )


def cleaner_rate(texts: list[str]) -> float:
    stats = LineStats()
    for text in texts:
        stats.add(text)
    _cold_memo()
    return _docs_per_s(len(texts), lambda: [clean_text(t, stats) for t in texts])


def ingest_rate(folder: Path, n: int, tmp: Path, tag: str) -> float:
    return _docs_per_s(n, lambda: run_ingest([str(folder)], tmp / tag, Settings()))


def _tree_run(command: list[str], env: dict[str, str], cwd: str) -> tuple[float, float, float]:
    """(wall, CPU of the command's process, CPU of the rest of its tree) of one run, started
    in `cwd`: not a checkout, since the forkserver (`python -c`) puts its working directory
    first on its import path, where a checkout's code would shadow the code under test."""
    started = time.perf_counter()
    child = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, _, own = os.wait4(child.pid, 0)
    child.returncode = 0  # reaped here
    rest = 0.0
    while True:  # its orphans (the forkserver, the resource tracker) were re-parented here
        try:
            _, _, usage = os.wait4(-1, 0)
        except ChildProcessError:
            break
        rest += usage.ru_utime + usage.ru_stime
    return time.perf_counter() - started, own.ru_utime + own.ru_stime, rest


def cli_runs(rounds: int, code: Path | None, stage_cpu: float) -> None:
    """`corpus ingest` of the dev dumps, whole, `rounds` times (see the module's docstring)."""
    import ctypes

    if ctypes.CDLL(None).prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER (Linux)
        print("cannot become a child subreaper here: the tree's CPU would be missed")
        return
    corpus = str(Path(sys.executable).parent / "corpus")
    versions = {"this checkout": dict(os.environ)}
    if code is not None:
        versions[str(code)] = dict(os.environ, PYTHONPATH=str(code))
    runs: dict[str, list[tuple[float, float, float]]] = {v: [] for v in versions}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            for name, env in versions.items():
                out = Path(tmp) / f"run-{r}-{len(runs[name])}-{abs(hash(name))}"
                runs[name].append(
                    _tree_run([corpus, "ingest", str(EVAL / "text"), "--out", str(out)], env, tmp)
                )
    print(f"\n`corpus ingest eval/dev/text`, median of {rounds} (CPU s, all processes of the run):")
    print(f"  {'code':28s} {'wall':>6s} {'command':>8s} {'rest':>6s} {'total':>6s} {'stages':>7s}")
    medians = {}
    for name, got in runs.items():
        wall, own, rest = (statistics.median(x) for x in zip(*got, strict=True))
        total = statistics.median(o + t for _, o, t in got)
        medians[name] = (wall, total)
        share = stage_cpu / total
        print(f"  {name[-28:]:28s} {wall:6.2f} {own:8.2f} {rest:6.2f} {total:6.2f} {share:7.0%}")
    if code is not None:
        (w1, c1), (w0, c0) = medians.values()
        print(f"  this / {code}: wall {w1 / w0:.2f}x, CPU {c1 / c0:.2f}x")


def print_stages(name: str, n: int, t: dict[str, float]) -> None:
    total = sum(t.values())
    print(f"\n{name}: {n} docs, {total:.2f} CPU s in the stages = {n / total:.0f} docs/s (1 core)")
    print(f"  {'stage':10s} {'ms/doc':>8s} {'share':>6s}")
    for stage in STAGES:
        print(f"  {stage:10s} {1000 * t[stage] / n:8.3f} {t[stage] / total:6.1%}")


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--generated", type=int, default=2000, help="generated dumps (0: none)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "profile_ingest")
    ap.add_argument("--no-ingest", action="store_true", help="skip the whole-ingest runs")
    ap.add_argument("--cli", type=int, default=0, help="runs of the whole `corpus ingest`")
    ap.add_argument("--vs-code", type=Path, help="a checkout whose `corpus ingest` takes turns")
    args = ap.parse_args()
    load0 = os.getloadavg()[0]
    print(f"load average (1 min) at start: {load0:.2f} on {os.cpu_count()} CPUs")
    settings = Settings()
    dev_files = sorted((EVAL / "text").glob("*.txt"))
    html = [p.read_text("utf-8") for p in sorted((EVAL / "html").glob("*.html"))]
    texts = [p.read_text("utf-8") for p in dev_files]
    gen_dir = args.work / f"gen-{args.generated}"
    if args.generated and not (gen_dir / "truth.jsonl").exists():
        from gen_corpus import generate

        generate(gen_dir, args.generated, 0.3, 7)
    gen_files = sorted(gen_dir.rglob("*.txt")) if args.generated else []

    detect_language("Warm up: the language model loads once, before any stage is timed.")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        # pyarrow imports pandas on its first list conversion (~0.3 s, once per process; the
        # workers refuse it: crawler/run/no_pandas.py): paid here, not in the first row+write
        write_batch([], [], str(tmp / "warm.docs"), str(tmp / "warm.rejects"))
        dev_stages = stage_times(dev_files, settings, tmp)
        print_stages("dev dumps (eval/dev/text)", len(dev_files), dev_stages)
        cached, package = model_load_times()
        print(
            f"\nlanguage model load, once per run: {cached:.3f} CPU s from the cache, "
            f"{package:.3f} from the package's LZMA file (a machine's first run)"
        )
        if args.cli:
            cli_runs(args.cli, args.vs_code, sum(dev_stages.values()))
            print(f"load average (1 min) at end: {os.getloadavg()[0]:.2f}")
            return 0
        if gen_files:
            t = stage_times(gen_files, settings, tmp)
            print_stages(f"generated dumps ({gen_dir})", len(gen_files), t)
        if not args.no_ingest:
            run_ingest([str(ROOT / "seeds")], tmp / "warm-up", settings)
        rates: dict[str, list[float]] = {"trafilatura": [], "cleaner": [], "ingest": []}
        for r in range(args.rounds):
            rates["trafilatura"].append(trafilatura_rate(html))
            rates["cleaner"].append(cleaner_rate(texts))
            if not args.no_ingest:
                rates["ingest"].append(ingest_rate(EVAL / "text", len(texts), tmp, f"dev-{r}"))
        gen_ingest = (
            ingest_rate(gen_dir, len(gen_files), tmp, "gen")
            if gen_files and not args.no_ingest
            else None
        )
    base = statistics.median(rates["trafilatura"])
    print(f"\nsame run, median of {args.rounds} interleaved rounds (wall clock):")
    print(f"  trafilatura.extract on the {len(html)} dev HTML pages: {base:7.1f} docs/s  (1.00x)")
    clean = statistics.median(rates["cleaner"])
    print(f"  cleaner alone on the same pages' dumps:        {clean:7.1f} docs/s  ", end="")
    print(f"({clean / base:.2f}x)")
    if rates["ingest"]:
        whole = statistics.median(rates["ingest"])
        print(
            f"  whole text ingest (run_ingest) of the dumps:   {whole:7.1f} docs/s  "
            f"({whole / base:.2f}x)"
        )
    if gen_ingest is not None:
        print(f"  whole text ingest of {len(gen_files)} generated dumps:  {gen_ingest:7.1f} docs/s")
    print(f"load average (1 min) at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
