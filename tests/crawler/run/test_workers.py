"""Batches cleaned in worker processes: a worker that dies costs only the input it died on."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pyarrow.dataset as pads
import pytest
from crashy import breaking_pools, clean_or_die, clean_or_hang

from crawler.config import Settings
from crawler.run.clean import save_batches
from crawler.run.ingest import cleanup, finish_run, plan_batches, scan_inputs, start_run
from crawler.run.workers import (
    CleanBatch,
    IsolatingPool,
    PoolClosed,
    WorkerPool,
    clean_batches,
    may_hold_html,
    worker_pool,
)
from crawler.run_types import RunSummary, ScanResult


def records(out: Path) -> int:
    return pads.dataset(out / "records", format="parquet", partitioning="hive").count_rows()


def ingest_beside_seeds(
    seeds: Path, out: Path, name: str, batch_size: int, clean: CleanBatch, *, saved: bool = False
) -> tuple[ScanResult, RunSummary]:
    """Ingest the seeds plus `name` (a copy of a seed) in 2 worker processes cleaning with
    `clean`; batches kept as the scan found them (`save_batches`) if `saved`. Bounded: a run
    that never ends fails the test instead of hanging it."""
    (seeds / name).write_text((seeds / "003_36ddb65ec7cb6b45.txt").read_text())
    files = sorted(str(p) for p in seeds.iterdir() if p.suffix == ".txt")
    ctx = start_run(out, Settings(batch_size=batch_size, workers=2))
    try:
        scan = scan_inputs(ctx, files)
        planned = plan_batches(scan.new_inputs, batch_size)
        batches = save_batches(ctx, planned) if saved else [[i.key for i in b] for b in planned]
        with ThreadPoolExecutor(1) as bounded:
            run = bounded.submit(clean_batches, ctx, batches, scan.line_stats_path, clean=clean)
            results = run.result(timeout=600)
        return scan, finish_run(ctx, results, len(files), scan.unchanged)
    finally:
        cleanup(ctx)


@pytest.mark.slow
def test_a_worker_that_dies_costs_only_its_input(seeds_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    _, summary = ingest_beside_seeds(seeds_copy, out, "die.txt", 2, clean_or_die)
    assert summary.added == 4 and summary.merged_near == 1  # every other input made it
    assert summary.rejects_by_reason == {"crashed": 1}
    assert summary.rejects[0]["source_uri"].endswith("/die.txt")
    assert "cleaning process died" in summary.rejects[0]["detail"]
    assert records(out) == 4


@pytest.mark.slow
def test_the_input_a_worker_died_on_is_reported_as_the_scan_found_it(
    seeds_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reject of a lost input carries the uri, size and hash the scan found: the input is
    not read or hashed again (its key need not be a file's path: a web archive's record)."""

    def no_second_hash(path: Path) -> str:
        raise AssertionError(f"{path} hashed again")

    monkeypatch.setattr("crawler.run.workers.input_hash", no_second_hash)
    out = tmp_path / "corpus"
    scan, summary = ingest_beside_seeds(seeds_copy, out, "die.txt", 3, clean_or_die, saved=True)
    killer = next(i for i in scan.new_inputs if i.key.endswith("die.txt"))
    assert summary.rejects_by_reason == {"crashed": 1} and summary.added == 4
    rejects = pads.dataset(tmp_path / "corpus" / "_rejects", format="parquet").to_table()
    assert rejects["source_uri"].to_pylist() == [killer.source_uri]
    assert rejects["size_bytes"].to_pylist() == [killer.size_bytes]
    seen = pads.dataset(tmp_path / "corpus" / "_index" / "inputs", format="parquet").to_table()
    hashes = dict(zip(seen["source_uri"].to_pylist(), seen["input_hash"].to_pylist(), strict=True))
    assert hashes[killer.source_uri] == killer.input_hash  # so a re-run skips it


@pytest.mark.slow
def test_a_worker_that_hangs_is_killed_and_costs_only_its_input(
    seeds_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import crawler.run.workers

    # the bound on a worker, shortened (cleaning's own per-document limit stays as it is)
    monkeypatch.setattr(crawler.run.workers, "deadline", lambda max_doc_seconds, inputs: 45.0)
    out = tmp_path / "corpus"
    _, summary = ingest_beside_seeds(seeds_copy, out, "hang.txt", 2, clean_or_hang)
    assert summary.added == 4 and summary.rejects_by_reason == {"timeout": 1}
    assert summary.rejects[0]["source_uri"].endswith("/hang.txt")
    assert records(out) == 4


@pytest.mark.slow
def test_workers_exit_when_the_process_that_started_them_is_killed(tmp_path: Path) -> None:
    script = (
        "import os, sys, time\n"
        "from crawler.run.workers import worker_pool\n"
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
    bench = Path(__file__).parents[3] / "bench" / "killer_loop.py"
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


@pytest.mark.parametrize("path", ["clean_batches", "WorkerPool"])
def test_a_batch_whose_submit_fails_as_the_pool_breaks_is_cleaned_alone(
    seeds_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    # the race in CPython's pool that lost innocent inputs: a submit made as a worker died
    import crawler.run.workers

    monkeypatch.setattr(crawler.run.workers, "worker_pool", breaking_pools(worker_pool))
    files = sorted(str(p) for p in seeds_copy.iterdir() if p.suffix == ".txt")
    out = tmp_path / "corpus"
    ctx = start_run(out, Settings(batch_size=3, workers=2))
    try:
        scan = scan_inputs(ctx, files)
        batches = plan_batches(scan.new_files, 3)
        if path == "clean_batches":
            results = clean_batches(ctx, batches, scan.line_stats_path)
        else:
            pool = WorkerPool(2)
            try:
                results = [r for n, b in enumerate(batches) for r in pool.clean(ctx, n, b, None)]
            finally:
                pool.close()
        summary = finish_run(ctx, results, len(files), scan.unchanged)
    finally:
        cleanup(ctx)
    assert summary.added == 4 and summary.rejects_by_reason == {}  # no input lost
    assert records(out) == 4


def test_a_call_stranded_in_a_broken_pool_goes_alone_before_its_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a call submitted just as the pool broke, with no other call there to notice the break:
    # CPython never answers it; it must not wait out its deadline (here: for ever)
    import crawler.run.workers

    monkeypatch.setattr(crawler.run.workers, "deadline", lambda max_doc_seconds, inputs: 1e9)
    pool = IsolatingPool(2)
    try:
        assert pool.call(os.getpid, (), 1, 60.0) != os.getpid()  # the pool is up
        inner = pool._pool
        assert inner is not None
        stranded: Future[int] = Future()  # never answered, as CPython leaves it
        monkeypatch.setattr(inner, "submit", lambda fn, *args: stranded)
        inner._broken = "A child process terminated abruptly"  # type: ignore[assignment]
        with ThreadPoolExecutor(1) as bounded:  # a bound for the test, not a timing assertion
            answer = bounded.submit(pool.call, os.getpid, (), 1, 60.0).result(timeout=600)
        assert answer != os.getpid() and pool.starts == 1
    finally:
        pool.close()


def test_the_pool_starts_no_process_before_its_first_call() -> None:
    pool = IsolatingPool(2)
    before = {p.pid for p in multiprocessing.active_children()}
    try:
        assert pool.starts == 0 and {p.pid for p in multiprocessing.active_children()} == before
        pool.call(os.getpid, (), 1, 60.0)
        assert pool.starts == 1
    finally:
        pool.close()
    assert {p.pid for p in multiprocessing.active_children()} <= before  # killed on close


def test_a_closed_pool_refuses_calls_and_kills_its_workers() -> None:
    pool = IsolatingPool(2)
    worker = pool.call(os.getpid, (), 1, 60.0)
    pool.close()
    with pytest.raises(PoolClosed):
        pool.call(os.getpid, (), 1, 60.0)
    for _ in range(100):  # a bound for the test, not a timing assertion
        if not Path(f"/proc/{worker}").exists() or _zombie(worker):
            break
        time.sleep(0.1)
    else:
        pytest.fail("a closed pool's worker lived on")


def test_the_crawl_pipeline_starts_no_worker_before_a_page_needs_cleaning(
    tmp_path: Path,
) -> None:
    # a re-crawl that finds nothing new must not pay for a worker pool (forkserver, imports)
    from scrapy.utils.test import get_crawler

    from crawler.crawl.pipelines import CorpusPipeline

    ctx = start_run(tmp_path / "corpus", Settings(workers=2))
    try:
        crawler = get_crawler(
            settings_dict={
                "CORPUS_RUN_CONTEXT": ctx,
                "CORPUS_WORKERS": 2,
                "CORPUS_CLEAN_PAGE": "crawler.crawl.pipelines.clean_page",
            }
        )
        before = {p.pid for p in multiprocessing.active_children()}
        pipeline = CorpusPipeline.from_crawler(crawler)
        pipeline.open_spider()
        started = {p.pid for p in multiprocessing.active_children()} - before
        pipeline.close_spider()
    finally:
        cleanup(ctx)
    assert started == set()


def test_workers_convert_lists_to_arrow_without_importing_pandas() -> None:
    """pyarrow imports pandas on its first list conversion, only to ask whether the list is
    a pandas object: workers refuse it (seconds and tens of MB in every worker)."""
    pool = IsolatingPool(1)
    probe = "__import__('pyarrow').array(['a']).to_pylist(), 'pandas' in __import__('sys').modules"
    try:
        converted, has_pandas = pool.call(eval, (probe,), 1, 60)
    finally:
        pool.close()
    assert converted == ["a"] and has_pandas is False


WARM_PROBE = """
from crawler.run.workers import IsolatingPool
probe = (
    "__import__('htmldate.extractors').extractors.get_external_parser.cache_info().currsize,"
    " 'dateparser.languages.loader' in __import__('sys').modules"
)
pool = IsolatingPool(1, warm_html=WARM)
try:
    print(pool.call(eval, (probe,), 1, 120))
finally:
    pool.close()
"""


@pytest.mark.slow
@pytest.mark.parametrize("warm", [True, False])
def test_workers_of_an_html_run_start_with_dateparser_loaded(warm: bool) -> None:
    """dateparser loads every locale on first use (~2 s of CPU): with `warm_html` the
    forkserver pays it once and every worker it forks has it; without, no worker pays it
    before it needs it. In a fresh process: a test process's forkserver is already running."""
    code = "WARM = " + str(warm) + WARM_PROBE
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    assert out.stdout.strip() == str((1, True) if warm else (0, False))


@pytest.mark.slow
def test_workers_start_with_the_language_model_loaded() -> None:
    """Every run's workers detect languages: the forkserver loads the model once (~0.75 s of
    CPU) instead of each worker on its first document. In a fresh process (a test process's
    forkserver may already be running)."""
    code = (
        "from crawler.run.workers import IsolatingPool\n"
        "probe = \"__import__('crawler.extract.normalize').extract.normalize._langid"
        '.cache_info().currsize"\n'
        "pool = IsolatingPool(1)\n"
        "try:\n"
        "    print(pool.call(eval, (probe,), 1, 120))\n"
        "finally:\n"
        "    pool.close()\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    assert out.stdout.strip() == "1"


MAIN_SCRIPT = """
import sys, threading
from pathlib import Path

with open(sys.argv[1], "a") as log:  # one line each time this script is imported
    log.write(__name__ + "\\n")


def where() -> str:
    import os, time

    time.sleep(1.0)  # both calls at once: two workers
    return str(os.getpid())


if __name__ == "__main__":
    from crawler.run.workers import IsolatingPool

    pool = IsolatingPool(2)
    pids = []
    try:
        calls = [
            threading.Thread(target=lambda: pids.append(pool.call(where, (), 1, 120)))
            for _ in range(2)
        ]
        for call in calls:
            call.start()
        for call in calls:
            call.join()
    finally:
        pool.close()
    print(len(set(pids)))
"""


@pytest.mark.slow
def test_the_run_script_is_imported_once_for_all_workers(tmp_path: Path) -> None:
    """multiprocessing imports the parent's main script in every worker it starts (so that
    what it defines unpickles there: `where` here): the forkserver imports it once instead."""
    script, log = tmp_path / "run.py", tmp_path / "imports.log"
    script.write_text(MAIN_SCRIPT)
    out = subprocess.run(
        [sys.executable, str(script), str(log)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert out.stdout.strip() == "2"  # two workers ran the script's function
    assert log.read_text().split() == ["__main__", "__mp_main__"]  # this run, the forkserver


def test_only_page_dumps_are_known_to_hold_no_html() -> None:
    assert not may_hold_html(["a/1.txt", "b/2.TXT"])
    assert may_hold_html(["a/1.txt", "b/2.html"])
    assert may_hold_html(["crawl.warc.gz"])


def test_map_in_order_shares_the_items_with_the_pool_and_keeps_their_order() -> None:
    from mapped import pid_after

    from crawler.run.workers import map_in_order

    pool = IsolatingPool(1)
    pool.start_forkserver()
    try:
        items = [(n, 0.2) for n in range(16)]
        done = list(map_in_order(pid_after, items, pool, 60.0))
    finally:
        pool.close()
    assert [n for n, _ in done] == list(range(16))
    pids = {pid for _, pid in done}
    assert os.getpid() in pids and len(pids) == 2  # this process and the pool's worker


def test_map_in_order_raises_what_an_item_raised_where_it_is_yielded() -> None:
    from mapped import fails_on_three

    from crawler.run.workers import map_in_order

    pool = IsolatingPool(1)
    got = []
    try:
        with pytest.raises(ValueError, match="item 3"):
            for n, _ in map_in_order(fails_on_three, [(n, 0.05) for n in range(8)], pool, 60.0):
                got.append(n)
    finally:
        pool.close()
    assert got == [0, 1, 2]


def test_map_in_order_without_a_pool_is_a_map() -> None:
    from mapped import pid_after

    from crawler.run.workers import map_in_order

    assert list(map_in_order(pid_after, [(1, 0.0), (2, 0.0)], None, 1.0)) == [
        (1, os.getpid()),
        (2, os.getpid()),
    ]
