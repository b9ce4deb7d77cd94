"""Dev evaluation of the text-dump cleaner.

    .venv/bin/python bench/eval_cleaner.py [--out PRED.json] [--no-stats] [--mode dump]
    .venv/bin/python eval/score.py --gold eval/dev/gold.json --pred PRED.json --per-doc

Builds LineStats over all dev dumps first (as an ingest does), cleans every dump, writes
{id: text} JSON for eval/score.py and prints the throughput (docs/s, cleaning only).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.extract.boilerplate import LineStats, clean_text  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--text-dir", default=str(ROOT / "eval" / "dev" / "text"))
    ap.add_argument("--out", default="/tmp/cleaner_pred.json")
    ap.add_argument("--no-stats", action="store_true", help="do not use corpus-level LineStats")
    ap.add_argument("--mode", default="dump", choices=["dump", "extracted"])
    ap.add_argument("--repeat", type=int, default=3, help="timing runs (median reported)")
    args = ap.parse_args()

    files = sorted(Path(args.text_dir).glob("*.txt"))
    texts = {f.stem: f.read_text("utf-8") for f in files}
    preds: dict[str, str] = {}
    times = []
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        stats = None
        if not args.no_stats:
            stats = LineStats()
            for text in texts.values():
                stats.add(text)
        for doc_id, text in texts.items():
            preds[doc_id] = "\n".join(clean_text(text, stats, mode=args.mode).paragraphs)
        times.append(time.perf_counter() - t0)
    Path(args.out).write_text(json.dumps(preds, ensure_ascii=False, indent=0), "utf-8")
    med = sorted(times)[len(times) // 2]
    print(
        f"{len(texts)} docs in {med:.3f}s (median of {len(times)}): "
        f"{len(texts) / med:.0f} docs/s incl. LineStats; wrote {args.out}"
    )


if __name__ == "__main__":
    main()
