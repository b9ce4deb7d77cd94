"""Batches cleaned in worker processes: a worker that dies costs only the input it died on."""

from __future__ import annotations

from pathlib import Path

import pyarrow.dataset as pads
from crashy import clean_or_die

from crawler.config import Settings
from crawler.ingest import cleanup, finish_run, plan_batches, scan_inputs, start_run
from crawler.workers import clean_batches


def records(out: Path) -> int:
    return pads.dataset(out / "records", format="parquet", partitioning="hive").count_rows()


def test_a_worker_that_dies_costs_only_its_input(seeds_copy: Path, tmp_path: Path) -> None:
    (seeds_copy / "die.txt").write_text((seeds_copy / "003_36ddb65ec7cb6b45.txt").read_text())
    files = sorted(str(p) for p in seeds_copy.iterdir() if p.suffix == ".txt")
    out = tmp_path / "corpus"
    ctx = start_run(out, Settings(batch_size=2, workers=2))
    try:
        scan = scan_inputs(ctx, files)
        batches = plan_batches(scan.new_files, 2)
        results = clean_batches(ctx, batches, scan.line_stats_path, clean=clean_or_die)
        summary = finish_run(ctx, results, len(files), scan.unchanged)
    finally:
        cleanup(ctx)
    assert summary.added == 4 and summary.merged_near == 1  # every other input made it
    assert summary.rejects_by_reason == {"crashed": 1}
    assert summary.rejects[0]["source_uri"].endswith("/die.txt")
    assert "cleaning process died" in summary.rejects[0]["detail"]
    assert records(out) == 4
