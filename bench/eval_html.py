"""Benchmark `extract_html` on the HTML dev set, against plain trafilatura on the same pages.

    .venv/bin/python bench/eval_html.py [--html eval/dev/html] [--out /tmp/pred_html.json]
        [--baseline-out /tmp/pred_trafilatura.json] [--runs 3] [--meta] [--no-clean]

Writes `{id: text}` JSON for both (score them with `eval/score.py --pred`), prints docs/s of
each (median of --runs timed passes over all pages, after one warm-up page) and their ratio;
--meta also prints how many pages got a title, publisher, date, authors, language and URL.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.extract.html import Extracted, extract_html


def _timed(fn: Callable[[str], object], pages: dict[str, str], runs: int) -> float:
    """Median docs/s of `fn` over all pages, `runs` passes."""
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        for html in pages.values():
            fn(html)
        rates.append(len(pages) / (time.perf_counter() - start))
    return statistics.median(rates)


def _baseline(html: str) -> str:
    """Plain trafilatura, comments excluded: the reference speed and quality."""
    return trafilatura.extract(html, include_comments=False) or ""


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
    """Run both extractors, write their predictions, print speeds."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--html", default="eval/dev/html", help="folder of <id>.html pages")
    ap.add_argument("--out", default="/tmp/pred_html.json", help="extract_html predictions")
    ap.add_argument("--baseline-out", default="/tmp/pred_trafilatura.json")
    ap.add_argument("--runs", type=int, default=3, help="timed passes (median reported)")
    ap.add_argument("--meta", action="store_true", help="print metadata coverage")
    ap.add_argument("--no-clean", action="store_true", help="skip the shared line cleaner")
    args = ap.parse_args()
    logging.disable(logging.WARNING)  # trafilatura logs every discarded page

    pages = {p.stem: p.read_text("utf-8") for p in sorted(Path(args.html).glob("*.html"))}
    if not pages:
        print(f"no *.html under {args.html}", file=sys.stderr)
        return 2
    clean = not args.no_clean

    def ours_fn(html: str) -> Extracted:
        return extract_html(html, post_clean=clean)

    first = next(iter(pages.values()))
    ours_fn(first)
    _baseline(first)

    results = {i: ours_fn(h) for i, h in pages.items()}
    Path(args.out).write_text(
        json.dumps({i: e.text for i, e in results.items()}, ensure_ascii=False, indent=0), "utf-8"
    )
    baseline = {i: _baseline(h) for i, h in pages.items()}
    Path(args.baseline_out).write_text(json.dumps(baseline, ensure_ascii=False, indent=0), "utf-8")

    ours = _timed(ours_fn, pages, args.runs)
    theirs = _timed(_baseline, pages, args.runs)
    print(f"pages: {len(pages)}  (predictions: {args.out}, baseline: {args.baseline_out})")
    print(f"extract_html          {ours:7.1f} docs/s  (post_clean={clean})")
    print(f"trafilatura.extract   {theirs:7.1f} docs/s  (include_comments=False)")
    print(f"ratio ours/trafilatura {ours / theirs:.2f}")
    if args.meta:
        print("metadata coverage:")
        _coverage(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
