"""Benchmark `extract_html` on an HTML set, against its parts and plain trafilatura on the same
pages, in one process: quality (P/R/F1 per length band, with the set's gold.json) and docs/s.

    .venv/bin/python bench/eval_html.py [--html eval/dev/html] [--runs 3] [--limit N]
        [--variants all|ours,today,...] [--out /tmp/pred_html.json] [--meta] [--no-clean]

Variants (docs/s is the median of --runs timed passes over the pages, after one warm-up page,
the variants taking turns in each pass;
the ratio column is against `trafilatura`, the issue-15 baseline, and against `today`):

- ours: `extract_html` as shipped (trafilatura fast=True + cleaning, readability-lxml, the
  learned line combiner)
- single: `extract_html(combine_engines=False)`: trafilatura fast=True + cleaning alone
- today: the path before the combiner (trafilatura with its own fallbacks, fast=False)
- trafilatura / trafilatura-fast / trafilatura-precision: `trafilatura.extract`,
  include_comments=False, with fast=True / favor_precision=True
- readability: readability-lxml alone (`crawler.extract.html_combine.readability_lines`)

Writes ours' `{id: text}` to --out (score it with `eval/score.py --pred`); --meta also prints
how many pages got a title, publisher, date, authors, language and URL.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import crawler.extract.html as html_mod  # noqa: E402
from crawler.extract.html import Extracted, extract_html  # noqa: E402
from crawler.extract.html_combine import readability_lines  # noqa: E402
from crawler.extract.html_trafilatura import library_body  # noqa: E402


def _timed(
    variants: dict[str, Callable[[str], str]], pages: dict[str, str], runs: int
) -> dict[str, float]:
    """Median docs/s of each variant over all pages, `runs` passes; the variants take turns
    within each pass, so a change in the machine's load hits them alike."""
    rates: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(runs):
        for name, fn in variants.items():
            start = time.perf_counter()
            for html in pages.values():
                fn(html)
            rates[name].append(len(pages) / (time.perf_counter() - start))
    return {name: statistics.median(r) for name, r in rates.items()}


def _today(html: str) -> str:
    """The HTML path before the combiner: trafilatura with its readability/jusText fallbacks."""
    original = getattr(html_mod, "article_body")  # noqa: B009 (not exported: patched here)
    setattr(html_mod, "article_body", functools.partial(library_body, fast=False))  # noqa: B010
    try:
        return extract_html(html, combine_engines=False).text
    finally:
        setattr(html_mod, "article_body", original)  # noqa: B010


def _readability(html: str) -> str:
    tree = html_mod._parse(html)
    return "\n".join(readability_lines(tree)) if tree is not None else ""


VARIANTS: dict[str, Callable[[str], str]] = {
    "ours": lambda h: extract_html(h).text,
    "single": lambda h: extract_html(h, combine_engines=False).text,
    "today": _today,
    "trafilatura": lambda h: trafilatura.extract(h, include_comments=False) or "",
    "trafilatura-fast": lambda h: trafilatura.extract(h, include_comments=False, fast=True) or "",
    "trafilatura-precision": lambda h: (
        trafilatura.extract(h, include_comments=False, favor_precision=True) or ""
    ),
    "readability": _readability,
}


def _coverage(results: dict[str, Extracted]) -> None:
    """Print how many pages got each metadata field."""
    n = len(results)
    fields: dict[str, Callable[[Extracted], object]] = {
        "title": lambda e: e.meta.title,
        "publisher": lambda e: e.meta.publisher,
        "authors": lambda e: e.meta.authors,
        "published_at": lambda e: e.meta.published_at,
        "date_text only": lambda e: e.meta.date_text and not e.meta.published_at,
        "language": lambda e: e.meta.language,
        "url": lambda e: e.meta.url,
        "captions": lambda e: e.captions,
    }
    for name, get in fields.items():
        print(f"  {name:15s} {sum(bool(get(e)) for e in results.values()):3d} / {n}")


def main() -> int:
    """Run the variants, print quality and speed."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--html", default="eval/dev/html", help="folder of <id>.html pages")
    ap.add_argument("--gold", default=None, help="gold.json (default: next to --html)")
    ap.add_argument("--out", default="/tmp/pred_html.json", help="ours' predictions")
    ap.add_argument("--runs", type=int, default=3, help="timed passes (median reported)")
    ap.add_argument("--limit", type=int, default=0, help="time only the first N pages")
    ap.add_argument("--variants", default="all")
    ap.add_argument("--meta", action="store_true", help="print metadata coverage")
    ap.add_argument("--no-clean", action="store_true", help="ours without the line cleaner")
    args = ap.parse_args()
    logging.disable(logging.WARNING)  # trafilatura logs every discarded page

    pages = {p.stem: p.read_text("utf-8") for p in sorted(Path(args.html).glob("*.html"))}
    if not pages:
        print(f"no *.html under {args.html}", file=sys.stderr)
        return 2
    names = list(VARIANTS) if args.variants == "all" else args.variants.split(",")
    variants = {n: VARIANTS[n] for n in names}
    if args.no_clean:
        variants["ours"] = lambda h: extract_html(h, post_clean=False).text
    gold_path = Path(args.gold) if args.gold else Path(args.html).parent / "gold.json"
    gold = (
        {i: g["text"] for i, g in json.loads(gold_path.read_text("utf-8")).items()}
        if gold_path.is_file()
        else {}
    )
    import scoring  # the metric, per length band

    first = next(iter(pages.values()))
    for fn in variants.values():
        fn(first)
    timed_pages = dict(list(pages.items())[: args.limit]) if args.limit else pages
    print(f"pages: {len(pages)} (timed: {len(timed_pages)}, median of {args.runs} runs)")
    for name, fn in variants.items():
        preds = {i: fn(h) for i, h in pages.items()}
        if name == "ours":
            Path(args.out).write_text(json.dumps(preds, ensure_ascii=False, indent=0), "utf-8")
        if gold:
            v = scoring.summarise({i: gold[i] for i in pages if i in gold}, preds)
            bands = " ".join(f"{b} {v[b]['F1']:.3f}" for b in ("<100", "100-500", ">500") if b in v)
            print(
                f"{name:22s} P {v['P']:.3f} R {v['R']:.3f} F1 {v['F1']:.3f} [{bands}]", flush=True
            )
    rates = _timed(variants, timed_pages, args.runs)
    for name, rate in rates.items():
        print(f"{name:22s} {rate:6.1f} docs/s")
    for base in ("trafilatura", "today"):
        if "ours" in rates and base in rates:
            print(f"ratio ours/{base} {rates['ours'] / rates[base]:.2f}")
    if args.meta:
        print("metadata coverage:")
        _coverage({i: extract_html(h) for i, h in pages.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
