"""What `corpus reprocess` costs against the ingest that built the dataset, on the same inputs.

    .venv/bin/python bench/reprocess_bench.py [--pages DIR ...]

Ingests the pages (default: the dev set's HTML and text dumps) into a fresh dataset, then
reprocesses it twice: with the same settings (nothing changes: no commit) and with another
cleaner setting (`use_line_stats` flipped: texts change, one commit). Prints each run's seconds
and its ratio to the ingest (machines are shared: ratios, never absolute times, and never in
tests), and what the changed reprocess reported.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from crawler.config import Settings
from crawler.run.ingest import run_ingest
from crawler.run.reprocess import reprocess

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = [str(ROOT / "eval" / "dev" / "html"), str(ROOT / "eval" / "dev" / "text")]
    parser.add_argument("--pages", nargs="+", default=default)
    args = parser.parse_args()
    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "corpus"
        started = time.perf_counter()
        summary = run_ingest(args.pages, out, settings)
        ingest = time.perf_counter() - started
        print(f"ingest: {summary.inputs} inputs, {summary.total_records} records, {ingest:.1f} s")
        started = time.perf_counter()
        same = reprocess(out, settings)
        unchanged = time.perf_counter() - started
        print(
            f"reprocess, same settings: committed={same.committed}, {same.unchanged} unchanged, "
            f"{unchanged:.1f} s = {unchanged / ingest:.2f} x the ingest"
        )
        flipped = replace(settings, use_line_stats=not settings.use_line_stats)
        started = time.perf_counter()
        changed = reprocess(out, flipped)
        seconds = time.perf_counter() - started
        print(
            f"reprocess, use_line_stats={flipped.use_line_stats}: committed={changed.committed}, "
            f"{changed.changed} changed, {changed.added} added, {changed.removed} removed, "
            f"{seconds:.1f} s = {seconds / ingest:.2f} x the ingest"
        )


if __name__ == "__main__":
    main()
