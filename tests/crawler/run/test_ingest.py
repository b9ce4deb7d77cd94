"""End to end through the library: the seeds' golden records, idempotency, bad input, crashes."""

from __future__ import annotations

import codecs
import hashlib
import json
import subprocess
import sys
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow.dataset as pads
import pytest
from helpers import GOLDEN, ROOT

from crawler.config import Settings
from crawler.readers import inputs as inputs_module
from crawler.readers.files import RawInput
from crawler.readers.inputs import Input
from crawler.record import MERGES_SCHEMA, RECORDS_SCHEMA, REJECTS_SCHEMA
from crawler.run import workers as workers_module
from crawler.run.ingest import run_ingest
from crawler.store.dataset import Dataset

ARTICLE = """Regional Council Approves New Water Plan
By Maria Jensen
The regional council on Tuesday approved a ten-year plan to replace ageing water pipes across the valley, ending months of debate over how the work should be paid for.
Under the plan, households will see a modest rise in their water bills from next spring, while the council will borrow the rest of the money from the national infrastructure fund.
“We could not keep patching pipes that are older than most of the people in this room,” said the council’s chair, who called the vote a turning point for the region.
Opponents argued that the cost — about 40 million euros, or roughly €120 per household — should have been shared with the industrial users who draw the most water.
Work on the first section, beneath the old market square, is expected to begin in March and to last about eighteen months.
"""

SECOND_ARTICLE = """Library Extends Opening Hours After Student Campaign
The city library will stay open until ten in the evening on weekdays from next month, after a campaign by students who said they had nowhere quiet to study.
More than two thousand people signed the petition, which was handed to the mayor in September by a group of secondary school pupils.
The extra hours will be paid for by closing two smaller branches on Sunday mornings, when visitor numbers are lowest, the library said in a statement.
Staff unions welcomed the change but asked for more evening security, saying late shifts had been difficult in the past.
"""


def records(root: Path) -> list[dict[str, Any]]:
    return Dataset(root).read("records", RECORDS_SCHEMA).to_pylist()


def expected() -> list[dict[str, Any]]:
    return [json.loads(line) for line in (GOLDEN / "expected.jsonl").read_text().splitlines()]


def test_seeds_give_the_four_expected_records(seeds_dataset: Path, scorer: ModuleType) -> None:
    got = {tuple(sorted(Path(s).name for s in r["sources"])): r for r in records(seeds_dataset)}
    assert len(got) == 4
    for exp in expected():
        record = got[tuple(sorted(exp["sources"]))]
        tp, fp, fn = scorer.doc_counts(exp["text"], record["text"])
        f1 = scorer.f1(tp / (tp + fp), tp / (tp + fn))
        assert f1 >= 0.99, (exp["keep"], f1)
        assert Path(record["source_uri"]).name == exp["keep"]
        assert record["title"] == exp["title"]
        assert record["publisher"] == exp["publisher"]
        assert record["source_kind"] == "text"
        assert record["language"] == "en"
        if "captions" in exp:
            assert record["captions"] == exp["captions"]


def test_seed_duplicate_is_recorded_as_a_near_merge(seeds_dataset: Path) -> None:
    merges = Dataset(seeds_dataset).read("merges", MERGES_SCHEMA).to_pylist()
    assert [(Path(m["source_uri"]).name, m["kind"]) for m in merges] == [
        ("001_072caf9a92d821cb.txt", "near")
    ]
    assert merges[0]["similarity"] >= 0.95


def test_no_chrome_in_any_seed_text(seeds_dataset: Path) -> None:
    text = "\n".join(r["text"] for r in records(seeds_dataset)).lower()
    for trace in (
        "related articles",
        "download",
        "daily8",
        "no comments yet",
        "try our ai features",
        "scripts and power",
        "similar posts",
        "your cart",
        "seconds read",
        "3rd party site",
        "this article was published by",
        "written by the team of",
        "alleged is-k militants surrender",
    ):
        assert trace not in text, trace


def test_audit_explains_every_removed_line(seeds_dataset: Path) -> None:
    audit = pads.dataset(seeds_dataset / "_audit", format="parquet").to_table().to_pylist()
    reasons = {a["reason"] for a in audit}
    assert {"related_block", "title", "attribution", "caption"} <= reasons
    total_lines = sum(
        sum(1 for line in p.read_text().splitlines() if line.strip())
        for p in sorted((ROOT / "seeds").glob("*.txt"))  # the page dumps, not sources.toml
    )
    kept_lines = sum(r["text"].count("\n") + 1 for r in records(seeds_dataset))
    kept_001 = 12  # the merged duplicate's own kept paragraphs are not in any record's text
    assert len(audit) == total_lines - kept_lines - kept_001


def test_rerun_adds_nothing_and_keeps_ids(seeds_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    first = run_ingest([str(seeds_copy)], out)
    ids = sorted(r["doc_id"] for r in records(out))
    second = run_ingest([str(seeds_copy)], out)
    assert (first.added, second.added, second.unchanged, second.processed) == (4, 0, 5, 0)
    assert sorted(r["doc_id"] for r in records(out)) == ids


def test_two_dataset_dirs_are_independent(seeds_copy: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    run_ingest([str(seeds_copy)], a)
    assert run_ingest([str(seeds_copy)], b).added == 4


def test_bad_inputs_are_reported_and_the_run_completes(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "empty.txt").write_bytes(b"")
    (inputs / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (inputs / "cp1252.txt").write_bytes(ARTICLE.encode("cp1252"))
    (inputs / "bom.txt").write_bytes(codecs.BOM_UTF8 + SECOND_ARTICLE.encode())
    (inputs / "chrome.txt").write_text(
        "Home\nNews\nSport\nSign in\nDownload the App\nAccept cookies\nShare\nTweet\n"
        "© 2024 Example Media. All rights reserved.\n"
    )
    summary = run_ingest([str(inputs)], tmp_path / "corpus")
    reasons = {Path(r["source_uri"]).name: r["reason"] for r in summary.rejects}
    assert reasons == {
        "empty.txt": "empty",
        "binary.txt": "binary",
        "chrome.txt": "only_boilerplate",
    }
    assert all(r["detail"] for r in summary.rejects)
    texts = {Path(r["source_uri"]).name: r["text"] for r in records(tmp_path / "corpus")}
    assert set(texts) == {"cp1252.txt", "bom.txt"}
    assert "€120 per household" in texts["cp1252.txt"] and "council’s chair" in texts["cp1252.txt"]
    assert texts["bom.txt"].startswith("The city library")
    rejects = Dataset(tmp_path / "corpus").read("rejects", REJECTS_SCHEMA).to_pylist()
    assert len(rejects) == 3


CRASH_SCRIPT = """
import os, signal, sys
import crawler.extract.chain, crawler.store.dataset, crawler.run.clean
from crawler.config import Settings
from crawler.run.ingest import run_ingest

where, n = sys.argv[3], int(sys.argv[4])
calls = 0

def killer(real):
    def wrapped(*args, **kwargs):
        global calls
        calls += 1
        if calls == n:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)
    return wrapped

if where == "clean":  # in this process (one worker): the run dies mid-clean
    crawler.run.clean.process = killer(crawler.run.clean.process)
else:  # "commit": the n-th rename of the commit (1 = the manifest, the commit point)
    crawler.store.dataset.os.replace = killer(crawler.store.dataset.os.replace)
run_ingest([sys.argv[1]], sys.argv[2], Settings(workers=1 if where == "clean" else 0))
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("where", "n"), [("clean", 3), ("commit", 1), ("commit", 2), ("commit", 4)]
)
def test_a_killed_run_leaves_a_readable_dataset_and_the_next_run_completes(
    seeds_copy: Path, tmp_path: Path, where: str, n: int
) -> None:
    out = tmp_path / "corpus"
    proc = subprocess.run(
        [sys.executable, "-c", CRASH_SCRIPT, str(seeds_copy), str(out), where, str(n)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -9, proc.stderr
    if (out / "records").exists():  # whatever a consumer globs is whole, committed Parquet
        visible = pads.dataset(out / "records", format="parquet").count_rows()
        assert visible in (0, 4)
    summary = run_ingest([str(seeds_copy)], out)
    rows = records(out)
    assert len(rows) == 4 and len({r["doc_id"] for r in rows}) == 4
    assert pads.dataset(out / "records", format="parquet").count_rows() == 4
    assert summary.added in (0, 4)
    assert not (out / "_staging").exists()


def test_author_names_lose_byline_punctuation() -> None:
    from crawler.extract.chain import _clean_author

    assert _clean_author("Li Wen ·") == "Li Wen"
    assert _clean_author(" — Maria Jensen, ") == "Maria Jensen"
    assert _clean_author(" · ") is None


@pytest.mark.slow
def test_same_inputs_in_any_order_give_the_same_records(seeds_copy: Path, tmp_path: Path) -> None:
    from crawler.config import Settings

    def outcome(
        paths: list[str], batch_size: int, name: str
    ) -> list[tuple[str, str, tuple[str, ...]]]:
        out = tmp_path / name
        run_ingest(paths, out, Settings(batch_size=batch_size, workers=2))
        return sorted((r["doc_id"], r["text"], tuple(sorted(r["sources"]))) for r in records(out))

    files = sorted(str(p) for p in seeds_copy.glob("*.txt"))
    one = outcome(files, 100, "a")
    assert outcome(files[::-1], 1, "b") == one  # other order, every file its own batch
    assert outcome([files[1], str(seeds_copy)], 2, "c") == one


@pytest.mark.slow
def test_two_runs_at_once_one_waits_out_with_a_clear_error(
    seeds_copy: Path, tmp_path: Path
) -> None:
    out = tmp_path / "corpus"
    command = [sys.executable, "-m", "flows.cli", "ingest", str(seeds_copy), "--out", str(out)]
    procs = [
        subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]  # communicate: no full-pipe stalls
    results = [(p.returncode, err) for p, (_, err) in zip(procs, outputs, strict=True)]
    codes = sorted(code for code, _ in results)
    assert codes in ([0, 0], [0, 3]), results  # the second either found it done or was refused
    for code, err in results:
        if code == 3:
            errors = [line for line in err.splitlines() if line.startswith("corpus: error:")]
            assert len(errors) == 1 and "is being written by pid" in errors[0], err
    assert len(records(out)) == 4, outputs


def test_a_dataset_refuses_other_dedup_settings(seeds_copy: Path, tmp_path: Path) -> None:
    from crawler.config import Settings
    from crawler.errors import ConfigError

    out = tmp_path / "corpus"
    run_ingest([str(seeds_copy)], out)
    with pytest.raises(ConfigError, match="built with dedup settings"):
        run_ingest([str(seeds_copy)], out, Settings(num_perm=128))


def test_reading_the_dataset_folder_yields_only_the_records(seeds_dataset: Path) -> None:
    import pandas as pd

    # side tables live in _-prefixed folders, which dataset discovery skips
    assert pads.dataset(seeds_dataset, format="parquet").count_rows() == 4
    assert len(pd.read_parquet(seeds_dataset)) == 4


def test_a_run_reads_old_dumps_for_line_stats_only_when_there_is_something_new(
    seeds_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import crawler.run.ingest as ingest

    out = tmp_path / "corpus"
    alone = Settings(workers=1)  # line statistics learned in this process, where they are seen
    run_ingest([str(seeds_copy)], out, alone)
    reads: list[str] = []
    real_learn = ingest.learn_line_stats

    def counting_learn(inputs: list[Any]) -> Any:
        reads.extend(Path(i.key).name for i in inputs)
        return real_learn(inputs)

    monkeypatch.setattr(ingest, "learn_line_stats", counting_learn)
    monkeypatch.setattr(ingest, "KNOWN_DUMPS_FOR_STATS", 2)
    assert run_ingest([str(seeds_copy)], out, alone).unchanged == 5
    assert reads == []  # nothing new: no line statistics to learn
    (seeds_copy / "new.txt").write_text((seeds_copy / "003_36ddb65ec7cb6b45.txt").read_text())
    run_ingest([str(seeds_copy)], out, alone)
    assert reads[0] == "new.txt" and len(reads) == 3  # the new dump + the 2 latest known ones


def test_the_scan_learns_line_statistics_in_the_pool_as_it_would_alone(
    seeds_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fed to the worker pool in chunks as the scan meets the dumps (both cores busy), the
    line statistics are those learned in one process, and the workers learned them."""
    import crawler.run.ingest as ingest
    from crawler.run.clean import load_line_stats
    from crawler.run.session import cleanup, start_run
    from crawler.run.workers import IsolatingPool

    monkeypatch.setattr(ingest, "STATS_CHUNK", 2)  # several chunks, so several merges
    for i in range(3):  # more dumps sharing chrome lines
        (seeds_copy / f"copy{i}.txt").write_text(
            (seeds_copy / "001_072caf9a92d821cb.txt").read_text()
        )
    files = ingest.discover_inputs([str(seeds_copy)])

    def learned(pool: IsolatingPool | None) -> tuple[list[int], int]:
        ctx = start_run(tmp_path / "c", Settings())
        try:
            scanned = ingest.scan_inputs(ctx, files, pool=pool)
            stats = load_line_stats(scanned.line_stats_path)
            assert stats is not None
            lines = [line for f in files for line in Path(f).read_text().splitlines()]
            return [stats.doc_freq(line) for line in lines], stats.n_docs
        finally:
            cleanup(ctx)

    alone = learned(None)
    pool = IsolatingPool(2)
    try:
        assert learned(pool) == alone
        assert pool.starts == 1  # the workers learned them
    finally:
        pool.close()
    assert alone[1] == len(files) and max(alone[0]) >= 4


def test_each_input_is_hashed_once(
    seeds_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scan hashes an input (to skip known ones); the clean stage gets that hash with the
    input instead of reading the file to hash it again."""
    hashed: list[str] = []
    real_hash = inputs_module.input_hash

    def counting_hash(path: Path, status: Any = None) -> Any:
        hashed.append(Path(path).name)
        return real_hash(path, status)

    # every way an input's file is hashed (the readers', and a lost batch's rejects)
    monkeypatch.setattr(inputs_module, "input_hash", counting_hash)
    monkeypatch.setattr(workers_module, "input_hash", counting_hash)
    files = sorted(p.name for p in seeds_copy.iterdir() if p.suffix == ".txt")
    summary = run_ingest([str(seeds_copy)], tmp_path / "c", Settings(workers=1))
    assert summary.processed == len(files)
    assert sorted(hashed) == files


def _lines_reader_input(path: Path, line_no: int, text: str) -> RawInput:
    return RawInput(f"{path.as_uri()}#{line_no}", "text", text, len(text.encode()))


class _LinesReader:
    """A toy archive reader: a `.pages` file holds one page dump per line (escaped `\\n`)."""

    def accepts(self, path: Path) -> bool:
        return path.suffix == ".pages"

    def inputs(self, path: Path, settings: Settings) -> Any:
        for no, line in enumerate(path.read_text("utf-8").splitlines()):
            text = line.replace("\\n", "\n")
            yield Input(
                source_uri=f"{path.as_uri()}#{no}",
                size_bytes=len(line.encode()),
                input_hash=hashlib.sha256(line.encode()).hexdigest(),
                load=partial(_lines_reader_input, path, no, text),
                key=f"{path}#{no}",
                kind_hint="text",
            )

    def reopen(self, key: str, settings: Settings) -> Input | None:
        path, _, no = key.rpartition("#")
        if not path.endswith(".pages"):
            return None
        return list(self.inputs(Path(path), settings))[int(no)]


def test_a_reader_of_many_inputs_per_file_is_one_registration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One file holding several documents (a web archive's shape): each is an input of its
    own through scan, clean, dedup and the input index; a rerun skips them all."""
    import crawler.readers.inputs as inputs

    monkeypatch.setattr(inputs, "READERS", [_LinesReader(), *inputs.READERS])
    folder = tmp_path / "in"
    folder.mkdir()
    pages = [ARTICLE, SECOND_ARTICLE, ARTICLE]  # the third: an exact duplicate of the first
    (folder / "archive.pages").write_text(
        "\n".join(p.replace("\n", "\\n") for p in pages) + "\n", "utf-8"
    )
    out = tmp_path / "c"
    summary = run_ingest([str(folder)], out, Settings(workers=1))
    assert (summary.inputs, summary.added, summary.merged_exact) == (3, 2, 1)
    uri = (folder / "archive.pages").resolve().as_uri()
    assert sorted(s for r in records(out) for s in r["sources"]) == [
        f"{uri}#0",
        f"{uri}#1",
        f"{uri}#2",
    ]
    again = run_ingest([str(folder)], out, Settings(workers=1))
    assert (again.inputs, again.unchanged, again.added) == (3, 3, 0)


@pytest.mark.parametrize(
    ("n", "batch_size", "workers", "sizes"),
    [
        (63, 200, 2, [32, 31]),  # one batch would be one process: one core, no isolation
        (450, 200, 2, [113, 113, 112, 112]),  # not 200 + 200 + 50
        (400, 200, 2, [200, 200]),
        (5, 200, 1, [5]),
        (1, 200, 4, [1]),
        (3, 200, 4, [1, 1, 1]),
        (7, 2, 3, [2, 1, 1, 1, 1, 1]),
        (0, 200, 2, []),
    ],
)
def test_batches_are_even_and_give_every_worker_its_share(
    n: int, batch_size: int, workers: int, sizes: list[int]
) -> None:
    from crawler.run.ingest import plan_batches

    batches = plan_batches(list(range(n)), batch_size, workers)
    assert [len(b) for b in batches] == sizes
    assert [i for b in batches for i in b] == list(range(n))  # in order, each once


def test_the_scan_learns_the_line_statistics_of_one_chunk_itself(
    seeds_copy: Path, tmp_path: Path
) -> None:
    """Dumps that fit in one chunk are learned in the scan's process: no worker (nor the
    forkserver's imports) is waited for, for what takes this process milliseconds."""
    import crawler.run.ingest as ingest
    from crawler.run.session import cleanup, start_run
    from crawler.run.workers import IsolatingPool

    files = ingest.discover_inputs([str(seeds_copy)])
    pool = IsolatingPool(2)
    ctx = start_run(tmp_path / "c", Settings())
    try:
        scanned = ingest.scan_inputs(ctx, files, pool=pool)
        assert scanned.line_stats_path is not None
        assert pool.starts == 0
    finally:
        cleanup(ctx)
        pool.close()


def test_the_scan_does_not_hold_every_distinct_line_while_it_learns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Most lines of an ingest occur once: the chunks' statistics are added up on disk as they
    come, so the memory the learner holds does not grow with the chunks (it held every chunk's
    keys, 16 bytes a distinct line, until the scan's end); the result is the merge, pruned."""
    import tracemalloc

    import numpy as np

    from crawler.extract.boilerplate import LineStats
    from crawler.run import ingest

    chrome = np.random.default_rng(0).integers(0, 2**63, size=50, dtype=np.uint64)
    calls: list[int] = []

    def fake_learn(chunk: list[Input]) -> LineStats:
        """A chunk's statistics: the chrome on every page, 20,000 lines of their own."""
        calls.append(len(calls))
        own = np.random.default_rng(len(calls)).integers(0, 2**63, 20_000, np.uint64)
        part = LineStats()
        part._keys = np.unique(np.concatenate([chrome, own]))
        part._counts = np.where(np.isin(part._keys, chrome), len(chunk), 1)
        part._docs = len(chunk)
        return part

    monkeypatch.setattr(ingest, "learn_line_stats", fake_learn)
    item: Any = object()
    with ingest._StatsLearner(None, 1.0, tmp_path) as learner:
        tracemalloc.start()
        try:
            for _ in range(10 * ingest.STATS_CHUNK):
                learner.add(item)
            held = tracemalloc.get_traced_memory()[0]
            tracemalloc.stop()
        finally:
            tracemalloc.stop()
        stats = learner.result()
    assert held < 1_000_000  # 10 chunks of 20,000 distinct lines held: 3.2 MB
    assert stats.n_docs == 10 * ingest.STATS_CHUNK
    assert stats.hash_freqs(chrome.tolist()) == [10 * ingest.STATS_CHUNK] * chrome.size
    merged = LineStats()
    calls.clear()
    for _ in range(10):
        merged.merge(fake_learn([item] * ingest.STATS_CHUNK))
    pruned = merged.pruned()
    assert np.array_equal(stats._keys, pruned._keys)
    assert np.array_equal(stats._counts, pruned._counts)


def test_the_scan_receives_file_names_from_its_workers_never_the_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker writes its chunk's counts to the staging area and answers with the file's
    name: unpickling every chunk's counts on the pool's threads left ~100 MB of heap in the
    run's main process at 100k dumps. A lost chunk is learned here; the sum is the merge."""
    import pickle

    import numpy as np

    from crawler.extract.boilerplate import LineStats
    from crawler.run import clean, ingest
    from crawler.run.workers import WorkerLost

    def fake_learn(chunk: list[Any]) -> LineStats:
        """A chunk's statistics: the chrome on every page, 20,000 lines of their own."""
        seed = chunk[0]
        own = np.random.default_rng(seed).integers(0, 2**63, 20_000, np.uint64)
        chrome = np.arange(1, 51, dtype=np.uint64)
        part = LineStats()
        part._keys = np.unique(np.concatenate([chrome, own]))
        part._counts = np.where(np.isin(part._keys, chrome), len(chunk), 1)
        part._docs = len(chunk)
        return part

    answers: list[int] = []

    class InProcessPool:
        """Runs each call here and measures what a worker would send back."""

        workers = 2

        def start_forkserver(self) -> None:
            pass

        def call(self, fn: Any, args: tuple[Any, ...], inputs: int, seconds: float) -> Any:
            if args[0][0] == 3:
                raise WorkerLost(hung=False, seconds=seconds)
            answer = fn(*args)
            answers.append(len(pickle.dumps(answer)))
            return answer

    monkeypatch.setattr(ingest, "learn_line_stats", fake_learn)
    monkeypatch.setattr(clean, "learn_line_stats", fake_learn)
    pool: Any = InProcessPool()
    with ingest._StatsLearner(pool, 1.0, tmp_path) as learner:
        for chunk in range(6):
            for _ in range(ingest.STATS_CHUNK):
                learner.add(chunk)  # type: ignore[arg-type]
        stats = learner.result()
    assert len(answers) == 5 and max(answers) < 1_000  # a LineStats: 320 KB each
    merged = LineStats()
    for chunk in range(6):
        merged.merge(fake_learn([chunk] * ingest.STATS_CHUNK))
    assert pickle.dumps(stats) == pickle.dumps(merged.pruned())
    assert stats.n_docs == 6 * ingest.STATS_CHUNK
    assert not list(tmp_path.iterdir())  # the chunks' files are gone


def test_the_clean_stage_starts_without_the_names_the_pools_answers_left(tmp_path: Path) -> None:
    """Each answer of the worker pool is unpickled in the run's main process, and CPython's
    type cache kept strings of those unpickled names, one here and there through the scan:
    each kept an allocator arena of the scan's inputs, ~100 MB at 100k dumps, after the inputs
    were dropped. By the clean stage none is left."""
    import gc
    import pickle
    import sys
    import tracemalloc
    from concurrent.futures.process import _ResultItem

    from crawler.extract.boilerplate.stats import LineCountsFile
    from crawler.run.ingest import ingest_stages
    from crawler.run.session import RunSession
    from crawler.run_types import ScanResult

    answers = [
        pickle.dumps(_ResultItem(i, result=LineCountsFile(f"/s/{i:06d}.counts", 500)))
        for i in range(300)
    ]
    unpickled_at: list[int] = []

    def scan(ctx: Any, files: list[str]) -> ScanResult:
        unpickled_at.append(sys._getframe().f_lineno + 2)
        for answer in answers:  # what the pool's manager thread does with each answer
            pickle.loads(answer)
        return ScanResult([], 0, None)

    left: list[int] = []

    def clean(ctx: Any, batches: list[list[str]], stats: str | None) -> list[Any]:
        gc.collect()
        here = tracemalloc.Filter(True, __file__, unpickled_at[0])
        left.append(len(tracemalloc.take_snapshot().filter_traces([here]).traces))
        return []

    tracemalloc.start()
    try:
        with RunSession(tmp_path / "d", Settings()) as session:
            ingest_stages(session, [], clean, scan=scan)
    finally:
        tracemalloc.stop()
    assert left == [0]  # 103 strings on the code before


def test_the_saved_batches_keys_are_copies_not_the_inputs_strings(
    seeds_copy: Path, tmp_path: Path
) -> None:
    """The batches' keys live through the run; the inputs' own key strings were made among
    the scan's inputs and kept their allocator arenas in use once the inputs were dropped."""
    from crawler.run.clean import save_batches
    from crawler.run.ingest import discover_inputs, scan_inputs
    from crawler.run.session import cleanup, start_run

    ctx = start_run(tmp_path / "c", Settings())
    try:
        inputs = scan_inputs(ctx, discover_inputs([str(seeds_copy)])).new_inputs
        (keys,) = save_batches(ctx, [inputs])
        assert keys == [i.key for i in inputs]
        assert not any(key is item.key for key, item in zip(keys, inputs, strict=True))
    finally:
        cleanup(ctx)


def test_the_finish_starts_without_the_batches_keys(seeds_copy: Path, tmp_path: Path) -> None:
    """The batches' keys (a string per input, ~20 MB at 100k dumps) are the clean stage's:
    the finish, which reads the staged batches, does not find them held."""
    import gc

    from crawler.run.ingest import discover_inputs, ingest_stages
    from crawler.run.session import RunSession
    from crawler.run_types import RunSummary

    given: list[tuple[int, list[list[str]]]] = []

    def clean(ctx: Any, batches: list[list[str]], stats: str | None) -> list[Any]:
        given.append((id(batches), [list(b) for b in batches]))
        return []

    held: list[bool] = []

    def commit(ctx: Any, results: list[Any], inputs: int, unchanged: int) -> RunSummary:
        gc.collect()
        ((at, keys),) = given
        held.append(any(id(o) == at and o == keys for o in gc.get_objects()))
        return RunSummary(run_id=ctx.run_id, dataset=ctx.dataset_root, inputs=inputs)

    with RunSession(tmp_path / "d", Settings()) as session:
        ingest_stages(session, discover_inputs([str(seeds_copy)]), clean, commit=commit)
    assert given[0][1] and held == [False]
