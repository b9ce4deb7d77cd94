"""Batches cleaned in worker processes: a worker that dies costs only the input it died on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow.dataset as pads
import pytest
from crashy import clean_or_die, clean_or_hang

from crawler.config import Settings
from crawler.ingest import cleanup, finish_run, plan_batches, scan_inputs, start_run
from crawler.workers import clean_batches


def records(out: Path) -> int:
    return pads.dataset(out / "records", format="parquet", partitioning="hive").count_rows()


@pytest.mark.slow
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


@pytest.mark.slow
def test_a_worker_that_hangs_is_killed_and_costs_only_its_input(
    seeds_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import crawler.workers

    # the bound on a worker, shortened (cleaning's own per-document limit stays as it is)
    monkeypatch.setattr(crawler.workers, "deadline", lambda max_doc_seconds, inputs: 45.0)
    (seeds_copy / "hang.txt").write_text((seeds_copy / "003_36ddb65ec7cb6b45.txt").read_text())
    files = sorted(str(p) for p in seeds_copy.iterdir() if p.suffix == ".txt")
    out = tmp_path / "corpus"
    ctx = start_run(out, Settings(batch_size=2, workers=2))
    try:
        scan = scan_inputs(ctx, files)
        batches = plan_batches(scan.new_files, 2)
        with ThreadPoolExecutor(1) as bounded:  # on a run that never ends: fail, don't hang
            results = bounded.submit(
                clean_batches, ctx, batches, scan.line_stats_path, clean=clean_or_hang
            ).result(timeout=600)
        summary = finish_run(ctx, results, len(files), scan.unchanged)
    finally:
        cleanup(ctx)
    assert summary.added == 4 and summary.rejects_by_reason == {"timeout": 1}
    assert summary.rejects[0]["source_uri"].endswith("/hang.txt")
    assert records(out) == 4


@pytest.mark.slow
def test_workers_exit_when_the_process_that_started_them_is_killed(tmp_path: Path) -> None:
    script = (
        "import os, sys, time\n"
        "from crawler.workers import worker_pool\n"
        "pool = worker_pool(2)\n"
        "print(pool.submit(os.getpid).result(), flush=True)\n"
        "time.sleep(600)\n"
    )
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) as run:
        assert run.stdout is not None
        worker = int(run.stdout.readline())
        run.kill()  # SIGKILL: no exit handler, no pool shutdown
    for _ in range(600):  # a bound for the test, not a timing assertion
        if not Path(f"/proc/{worker}").exists() or _zombie(worker):
            break
        time.sleep(0.1)
    else:
        os.kill(worker, signal.SIGKILL)
        pytest.fail("an orphaned worker lived on")


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except OSError:
        return False


@pytest.mark.slow
def test_the_killer_loop_bench_finds_no_hang_and_no_innocent_loss() -> None:
    bench = Path(__file__).parents[2] / "bench" / "killer_loop.py"
    done = subprocess.run(
        [sys.executable, str(bench), "--iterations", "2", "--timeout", "300"],
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    for path in ("ingest", "pool", "crawl"):
        assert f"{path}: 2 iterations, 0 hangs, 0 innocent losses, 0 with" in done.stdout
