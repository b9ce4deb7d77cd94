"""Where the HTML ingest's time goes, per stage, and its speed as a ratio to trafilatura (issue 15).

    .venv/bin/python bench/html_speed.py [--rounds 3] [--dragnet N] [--no-ingest]
    .venv/bin/python bench/html_speed.py --options [--rounds 3]
    .venv/bin/python bench/html_speed.py --warm-up [--rounds 2]

On the 63 dev pages (eval/dev/html) and, with --dragnet N, the first N pages of
../shared/eval/dragnet-train/html (read in place, never copied), in one process and one thread:

1. per-stage CPU ms/doc of the chain's HTML path (`crawler.extract.chain.process`), each stage
   timed by wrapping the function the path calls (CPU seconds of this process, so other load
   on the machine counts less):

       read       `read_input` (bytes, decode, sniff)   prescan   attribute pre-scan
       parse      our lxml parse                        limits    element count and depth
       meta       `page_meta` (declared metadata and the headline vote)
       prep       hover-card clusters, embedded posts   trafil.   `article_body`
       lines      trafilatura's body to lines           clean     the post-clean (`clean_text`)
       evidence   article evidence (`page_evidence`)    byline    trafilatura's byline search
       date       htmldate's search                     second    readability-lxml (< 300 tokens)
       langid     `detect_language`                     rest      normalize, hash, filters...

2. interleaved round by round (median of --rounds), on the dev pages:
   - `trafilatura.extract(html)` with its default options: the baseline, docs/s of CPU time;
   - our per-document path (`process` on each page's RawInput) in this process, CPU time;
   - the whole HTML ingest (`run_ingest` with 2 workers: scan, worker processes, dedup, write),
     wall time, against the baseline's wall time in the same round;
   and the ratios. The load average (1 min) is printed at start and end: on a busy machine the
   wall figures, and so the ingest ratio, read low.

--warm-up instead measures the forkserver's HTML warm-up (`crawler.run.warm_html`): in a fresh
worker from `IsolatingPool(1, warm_html=...)`, cold and warm taking turns, the worker's CPU time
for a first pass of the chain over the dev pages, then `trafilatura.extract` over them, then a
second pass; printed as ratios to trafilatura in the same worker. (A test process's forkserver
is global: each variant's pool is the first of its own fresh `python` process.)

--one-pass ours|trafilatura runs the dev pages once to warm up, then once more inside
`functools.reduce`, for an instruction count of that steady-state pass alone (exact under any
load), with the search caches of `crawler.extract.html_content` emptied in between (each page
is seen once, as in a run, not twice):

    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=functools_reduce \
        .venv/bin/python bench/html_speed.py --one-pass ours

--options instead measures trafilatura's extraction options inside our path: `extract_html` on
the dev pages with `bare_extraction` given each variant's options in place of `article_body`
(which stands for the shipped ones: fast=True, include_comments=False, include_tables=True),
F1 against eval/dev/gold.json (the metric of bench/eval_html.py) and CPU ms/doc, the variants
taking turns in each round.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "eval" / "dev" / "html"
DRAGNET = ROOT.parent / "shared" / "eval" / "dragnet-train" / "html"
if not DRAGNET.is_dir():
    DRAGNET = Path("/work/shared/eval/dragnet-train/html")
sys.path.insert(0, str(ROOT))

import crawler.extract.chain as chain_mod  # noqa: E402
import crawler.extract.html as html_mod  # noqa: E402
from crawler.config import Settings  # noqa: E402
from crawler.errors import Drop  # noqa: E402
from crawler.extract.html_trafilatura import library_body  # noqa: E402
from crawler.extract.normalize import detect_language  # noqa: E402
from crawler.readers.files import RawInput, read_input  # noqa: E402
from crawler.run.ingest import run_ingest  # noqa: E402

STAGES = (
    "read",
    "prescan",
    "parse",
    "limits",
    "meta",
    "prep",
    "trafil.",
    "lines",
    "clean",
    "evidence",
    "byline",
    "date",
    "second",
    "langid",
    "rest",
)
# stage -> (module, function names) wrapped to time it
_WRAPPED: dict[str, tuple[Any, tuple[str, ...]]] = {
    "prescan": (html_mod, ("check_html_source",)),
    "parse": (html_mod, ("_parse",)),
    "limits": (html_mod, ("check_html_tree", "check_lines")),
    "meta": (html_mod, ("page_meta",)),
    "prep": (html_mod, ("_drop_inline_link_clusters", "_unwrap_embedded_posts")),
    "trafil.": (html_mod, ("article_body",)),
    "lines": (html_mod, ("_body_lines",)),
    "clean": (html_mod, ("clean_text",)),
    "evidence": (html_mod, ("page_evidence",)),
    "byline": (html_mod, ("_fallback_authors",)),
    "date": (html_mod, ("_fallback_date",)),
    "second": (html_mod, ("_second_engine", "prefer_second")),
    "langid": (chain_mod, ("detect_language",)),
}


def _wrap(fn: Callable[..., Any], stage: str, t: dict[str, float]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            t[stage] += time.process_time() - start

    return timed


def stage_times(files: list[Path], settings: Settings) -> dict[str, float]:
    """CPU seconds of each stage of the chain's HTML path over `files`."""
    t = dict.fromkeys(STAGES, 0.0)
    saved = []
    for stage, (module, names) in _WRAPPED.items():
        for name in names:
            saved.append((module, name, getattr(module, name)))
            setattr(module, name, _wrap(getattr(module, name), stage, t))
    total = 0.0
    try:
        for path in files:
            a = time.process_time()
            raw = read_input(path, settings.max_input_bytes)
            b = time.process_time()
            with contextlib.suppress(Drop):
                chain_mod.process(raw, settings)
            c = time.process_time()
            t["read"] += b - a
            total += c - b
    finally:
        for module, name, fn in saved:
            setattr(module, name, fn)
    t["rest"] = total - sum(t[s] for s in _WRAPPED)
    return t


def print_stages(name: str, n: int, t: dict[str, float]) -> None:
    total = sum(t.values())
    print(f"\n{name}: {n} docs, {total:.2f} CPU s = {n / total:.1f} docs/s (1 core)")
    print(f"  {'stage':9s} {'ms/doc':>8s} {'share':>6s}")
    for stage in STAGES:
        print(f"  {stage:9s} {1000 * t[stage] / n:8.2f} {t[stage] / total:6.1%}")


def _rate(n: int, fn: Callable[[], Any]) -> tuple[float, float]:
    """(docs per CPU second of this process, docs per wall second) of `fn`."""
    cpu, wall = time.process_time(), time.perf_counter()
    fn()
    return n / (time.process_time() - cpu), n / (time.perf_counter() - wall)


def _ours(raws: list[RawInput], settings: Settings) -> None:
    for raw in raws:
        with contextlib.suppress(Drop):
            chain_mod.process(raw, settings)


# variants of the options our path gives `bare_extraction` (on top of the shipped ones)
OPTION_VARIANTS: dict[str, dict[str, Any]] = {
    "shipped": {},
    "fast=False": {"fast": False},
    "include_tables=False": {"include_tables": False},
    "favor_precision": {"favor_precision": True},
    "favor_recall": {"favor_recall": True},
    "deduplicate": {"deduplicate": True},
    "include_comments=True": {"include_comments": True},
}


def measure_options(rounds: int) -> None:
    """F1 and CPU ms/doc of `extract_html` with each of OPTION_VARIANTS."""
    import json
    import logging

    sys.path.insert(0, str(ROOT / "bench"))
    import scoring  # the metric of bench/eval_html.py, per length band

    logging.disable(logging.WARNING)
    pages = {p.stem: p.read_text("utf-8") for p in sorted(EVAL.glob("*.html"))}
    gold = {i: g["text"] for i, g in json.loads((EVAL.parent / "gold.json").read_text()).items()}
    shipped = getattr(html_mod, "article_body")  # noqa: B009 (not exported)
    cpu: dict[str, list[float]] = {name: [] for name in OPTION_VARIANTS}
    f1: dict[str, float] = {}
    for html in pages.values():  # warm-up: dateparser compiles its locales on first use
        html_mod.extract_html(html)
    try:
        for _ in range(rounds):
            for name, options in OPTION_VARIANTS.items():
                variant = functools.partial(library_body, **options) if options else shipped
                setattr(html_mod, "article_body", variant)  # noqa: B010
                start = time.process_time()
                preds = {i: html_mod.extract_html(h).text for i, h in pages.items()}
                cpu[name].append(time.process_time() - start)
                f1[name] = scoring.summarise({i: gold[i] for i in pages}, preds)["F1"]
    finally:
        setattr(html_mod, "article_body", shipped)  # noqa: B010
    base = statistics.median(cpu["shipped"])
    print(
        f"\nextract_html on {len(pages)} dev pages, bare_extraction options (median of {rounds}):"
    )
    print(f"  {'variant':22s} {'F1':>6s} {'ms/doc':>7s} {'time':>6s}")
    for name, times in cpu.items():
        t = statistics.median(times)
        print(f"  {name:22s} {f1[name]:6.3f} {1000 * t / len(pages):7.2f} {t / base:6.2f}x")


def worker_passes() -> tuple[float, float, float]:
    """In a worker: CPU s of the chain over the dev pages, of trafilatura.extract, of the chain."""
    import trafilatura

    settings = Settings()
    files = sorted(EVAL.glob("*.html"))
    raws = [read_input(p, settings.max_input_bytes) for p in files]
    first = _rate(1, lambda: _ours(raws, settings))[0]
    pages = [p.read_text("utf-8") for p in files]
    traf = _rate(1, lambda: [trafilatura.extract(h) for h in pages])[0]
    second = _rate(1, lambda: _ours(raws, settings))[0]
    return 1 / first, 1 / traf, 1 / second


def _one_worker(warm: bool) -> None:
    from crawler.run.workers import IsolatingPool

    pool = IsolatingPool(1, warm_html=warm)
    try:
        print(*pool.call(worker_passes, (), 1, 600))
    finally:
        pool.close()


def _forget_searches() -> None:
    """Empty the search caches of `crawler.extract.html_content`: a pass over pages seen
    before would find their classes and ids remembered, which a run never does."""
    import gc

    for obj in gc.get_objects():
        if isinstance(obj, functools._lru_cache_wrapper) and (
            getattr(obj, "__module__", "") == "crawler.extract.html_content"
        ):
            obj.cache_clear()


def one_pass(which: str) -> None:
    """The dev pages through our path (or `trafilatura.extract`) once, then again inside
    `functools.reduce` (the pass callgrind's --toggle-collect=functools_reduce counts)."""
    import trafilatura

    settings = Settings()
    files = sorted(EVAL.glob("*.html"))
    ours = which == "ours"
    items: list[Any] = (
        [read_input(p, settings.max_input_bytes) for p in files]
        if ours
        else [p.read_text("utf-8") for p in files]
    )

    def one(acc: int, item: Any) -> int:
        if ours:
            with contextlib.suppress(Drop):
                chain_mod.process(item, settings)
        else:
            trafilatura.extract(item)
        return acc

    for item in items:
        one(0, item)
    _forget_searches()  # no page finds its own classes remembered from the warm-up
    functools.reduce(one, items, 0)


def measure_warm_up(rounds: int) -> None:
    """Cold vs warm workers (fresh processes, taking turns): first pass, trafilatura, second."""
    import subprocess

    n = len(list(EVAL.glob("*.html")))
    print(f"load average (1 min) at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"worker CPU s over {n} dev pages (ratio: trafilatura.extract's CPU / ours)")
    for _ in range(rounds):
        for warm in (False, True):
            out = subprocess.run(
                [sys.executable, __file__, "--one-worker", "warm" if warm else "cold"],
                capture_output=True,
                text=True,
                timeout=900,
                check=True,
            ).stdout.split()
            first, traf, second = map(float, out[-3:])
            print(
                f"  {'warm' if warm else 'cold'}: first pass {first:.2f} s ({traf / first:.2f}x),"
                f" trafilatura {traf:.2f} s, second pass {second:.2f} s ({traf / second:.2f}x)"
            )
    print(f"load average (1 min) at end: {os.getloadavg()[0]:.2f}")


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dragnet", type=int, default=0, help="dragnet-train pages to profile too")
    ap.add_argument("--no-ingest", action="store_true", help="skip the whole-ingest runs")
    ap.add_argument("--options", action="store_true", help="measure trafilatura's options")
    ap.add_argument("--warm-up", action="store_true", help="cold vs warm-started workers")
    ap.add_argument("--one-worker", choices=("cold", "warm"), help=argparse.SUPPRESS)
    ap.add_argument("--one-pass", choices=("ours", "trafilatura"), help="for callgrind")
    args = ap.parse_args()
    if args.one_worker:
        _one_worker(args.one_worker == "warm")
        return 0
    if args.one_pass:
        one_pass(args.one_pass)
        return 0
    if args.warm_up:
        measure_warm_up(args.rounds)
        return 0
    if args.options:
        measure_options(args.rounds)
        return 0
    import trafilatura

    print(f"load average (1 min) at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    settings = Settings()
    files = sorted(EVAL.glob("*.html"))
    pages = [p.read_text("utf-8") for p in files]
    raws = [read_input(p, settings.max_input_bytes) for p in files]
    detect_language("Warm up: the language model loads once, before any stage is timed.")
    # htmldate's last resort, dateparser, compiles its locales' patterns on first use, once per
    # process: every ingest worker pays it on its first page without a declared date
    from htmldate.extractors import get_external_parser

    start = time.process_time()
    get_external_parser().get_date_data("Published 3 March 2021")
    print(f"dateparser's first use (once per process): {time.process_time() - start:.2f} CPU s")
    _ours(raws[:3], settings)
    trafilatura.extract(pages[0])

    print_stages("dev pages (eval/dev/html)", len(files), stage_times(files, settings))
    if args.dragnet:
        more = sorted(DRAGNET.glob("*.html"))[: args.dragnet]
        print_stages(f"dragnet-train pages ({DRAGNET})", len(more), stage_times(more, settings))

    ingest_settings = Settings(workers=2)
    rates: dict[str, list[float]] = {k: [] for k in ("traf_cpu", "traf_wall", "ours", "ingest")}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if not args.no_ingest:
            run_ingest([str(EVAL)], tmp / "warm-up", ingest_settings)
        for r in range(args.rounds):
            cpu, wall = _rate(len(pages), lambda: [trafilatura.extract(h) for h in pages])
            rates["traf_cpu"].append(cpu)
            rates["traf_wall"].append(wall)
            _forget_searches()  # each page seen once a pass, as in a run
            rates["ours"].append(_rate(len(raws), lambda: _ours(raws, settings))[0])
            if not args.no_ingest:
                out = tmp / f"dev-{r}"
                rates["ingest"].append(
                    _rate(
                        len(pages), functools.partial(run_ingest, [str(EVAL)], out, ingest_settings)
                    )[1]
                )
    med = {k: statistics.median(v) for k, v in rates.items() if v}
    print(f"\nsame run, median of {args.rounds} interleaved rounds, {len(pages)} dev pages:")
    base = med["traf_cpu"]
    print(f"  trafilatura.extract (default options), CPU: {base:7.1f} docs/s  (1.00x)")
    print(
        f"  our per-document path (process), CPU:       {med['ours']:7.1f} docs/s  "
        f"({med['ours'] / base:.2f}x)"
    )
    if "ingest" in med:
        wall = med["traf_wall"]
        print(f"  trafilatura.extract, wall (1 process):      {wall:7.1f} docs/s  (1.00x)")
        print(
            f"  whole HTML ingest (run_ingest, 2 workers):  {med['ingest']:7.1f} docs/s  "
            f"({med['ingest'] / wall:.2f}x)"
        )
    print(f"load average (1 min) at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
