"""`finish_run`, the last stage of every run: dedup the staged batches against each other and
the dataset, write records, audit, merges, rejects and index rows, and commit them at once.

The batches are staged here directly (`stage_batch`), without a scan or worker processes, so
each test looks at the finish stage alone."""

from __future__ import annotations

import gc
import platform
import random
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from crawler.config import Settings
from crawler.dedup.index import INDEX_INPUTS_SCHEMA
from crawler.dedup.resolve import resolve
from crawler.errors import Drop
from crawler.readers.files import RawInput
from crawler.reasons import Rejected
from crawler.record import AUDIT_SCHEMA, MERGES_SCHEMA, RECORDS_SCHEMA, REJECTS_SCHEMA
from crawler.run.clean import PendingInput, stage_batch
from crawler.run.finish import SUMMARY_ROWS, finish_run
from crawler.run.session import cleanup, start_run
from crawler.run_types import BatchResult, RunContext, RunSummary
from crawler.store.dataset import Dataset
from crawler.store.urlstate import GONE, URL_STATES_TABLE, state_rows

WORDS = ["council", "river", "budget", "school", "harbour", "election", "mayor", "bridge"]
WORDS += ["storm", "library", "museum", "railway", "farmers", "hospital", "teachers", "court"]
WORDS += ["police", "festival", "market", "tourism", "ferry", "vote", "drought", "wages"]


def article(seed: int, paragraphs: int = 4) -> str:
    """A page dump of prose (about 40 words per paragraph), different for each seed."""
    rng = random.Random(seed)
    paras = [
        " ".join(rng.choice(WORDS) for _ in range(40)).capitalize() + "." for _ in range(paragraphs)
    ]
    return "\n\n".join(paras)


def pending(name: str, text: str) -> PendingInput:
    uri = f"file:///inbox/{name}"
    raw = RawInput(uri, "text", text, len(text.encode()))
    return PendingInput(uri, raw.size_bytes, f"hash-of-{name}", lambda: raw)


def empty(name: str) -> PendingInput:
    """An input that cannot be read: a reject with the reason `empty`."""

    def load() -> RawInput:
        raise Drop(Rejected.EMPTY, "no text")

    return PendingInput(f"file:///inbox/{name}", 0, f"hash-of-{name}", load)


def stage(ctx: RunContext, batch_no: int, inputs: dict[str, str]) -> BatchResult:
    """Stage the inputs {name: text} as batch `batch_no` (an empty text: an `empty` reject)."""
    items = [pending(n, t) if t else empty(n) for n, t in inputs.items()]
    return stage_batch(ctx, batch_no, items, None)


@pytest.fixture
def settings() -> Settings:
    return Settings(min_words=30, use_line_stats=False)


def run(out: Path, settings: Settings, *batches: dict[str, str]) -> tuple[RunContext, RunSummary]:
    """One run of the given staged batches through finish_run; (its context, its summary)."""
    ctx = start_run(out, settings)
    try:
        staged = [stage(ctx, n, inputs) for n, inputs in enumerate(batches)]
        summary = finish_run(ctx, staged, sum(map(len, batches)), 0)
    finally:
        cleanup(ctx)
    return ctx, summary


def test_records_rejects_and_index_are_committed(tmp_path: Path, settings: Settings) -> None:
    out = tmp_path / "c"
    ctx, summary = run(out, settings, {"a.txt": article(1), "b.txt": article(2)}, {"blank.txt": ""})
    assert (summary.added, summary.rejected, summary.processed) == (2, 1, 3)
    assert summary.rejects_by_reason == {"empty": 1}
    dataset = Dataset(out)
    manifest = dataset.manifest()
    assert [r["run_id"] for r in manifest["runs"]] == [ctx.run_id]
    assert manifest["dedup"] == settings.dedup_params()
    records = dataset.read("records", RECORDS_SCHEMA).to_pylist()
    assert sorted(r["sources"][0] for r in records) == [
        "file:///inbox/a.txt",
        "file:///inbox/b.txt",
    ]
    assert {r["run_id"] for r in records} == {ctx.run_id}
    rejects = dataset.read("rejects", REJECTS_SCHEMA).to_pylist()
    assert [(r["source_uri"], r["reason"]) for r in rejects] == [
        ("file:///inbox/blank.txt", "empty")
    ]
    index = dataset.read("_index/inputs", INDEX_INPUTS_SCHEMA).to_pylist()
    assert sorted((r["input_hash"], r["outcome"]) for r in index) == [
        ("hash-of-a.txt", "record"),
        ("hash-of-b.txt", "record"),
        ("hash-of-blank.txt", "rejected"),
    ]
    assert dataset.problems(checksums=True) == []


def test_exact_duplicates_in_one_run_become_one_record(tmp_path: Path, settings: Settings) -> None:
    out = tmp_path / "c"
    text = article(7)
    _, summary = run(out, settings, {"a.txt": text}, {"copy.txt": text})
    assert (summary.added, summary.merged_exact) == (1, 1)
    dataset = Dataset(out)
    (record,) = dataset.read("records", RECORDS_SCHEMA).to_pylist()
    assert record["sources"] == ["file:///inbox/a.txt", "file:///inbox/copy.txt"]
    (merge,) = dataset.read("merges", MERGES_SCHEMA).to_pylist()
    assert merge["kind"] == "exact" and merge["doc_id"] == record["doc_id"]
    outcomes = dataset.read("_index/inputs", INDEX_INPUTS_SCHEMA)["outcome"].to_pylist()
    assert sorted(outcomes) == ["merged", "record"]


def test_a_near_duplicate_merges_into_the_committed_record(
    tmp_path: Path, settings: Settings
) -> None:
    """Against the dataset, not only within the run: a later repost with one paragraph cut
    merges into the record committed by an earlier run."""
    out = tmp_path / "c"
    full = article(3, paragraphs=6)
    run(out, settings, {"a.txt": full})
    cut = "\n\n".join(full.split("\n\n")[:5])
    _, summary = run(out, settings, {"repost.txt": cut})
    assert (summary.added, summary.merged_near, summary.total_records) == (0, 1, 1)
    dataset = Dataset(out)
    (record,) = dataset.read("records", RECORDS_SCHEMA).to_pylist()
    (merge,) = dataset.read("merges", MERGES_SCHEMA).to_pylist()
    assert merge["kind"] == "near" and merge["doc_id"] == record["doc_id"]
    assert merge["source_uri"] == "file:///inbox/repost.txt"


def test_a_run_that_changes_nothing_leaves_no_trace(tmp_path: Path, settings: Settings) -> None:
    """No batches (every input unchanged): no run entry, no file."""
    out = tmp_path / "c"
    run(out, settings, {"a.txt": article(1)})
    before = Dataset(out).manifest()
    files_before = sorted(p for p in out.rglob("*") if p.is_file())
    ctx = start_run(out, settings)
    try:
        summary = finish_run(ctx, [], 1, 1)
    finally:
        cleanup(ctx)
    assert (summary.added, summary.unchanged, summary.inputs) == (0, 1, 1)
    assert Dataset(out).manifest() == before
    assert sorted(p for p in out.rglob("*") if p.is_file()) == files_before


def test_side_tables_commit_with_the_run(tmp_path: Path, settings: Settings) -> None:
    """A crawl's URL states alone are a change: committed, with a run entry."""
    out = tmp_path / "c"
    ctx = start_run(out, settings)
    try:
        now = datetime.fromisoformat(ctx.started_at)
        states = state_rows({"https://example.org/gone": (GONE, 404)}, ctx.run_id, now)
        finish_run(ctx, [], 0, 0, {URL_STATES_TABLE: states})
    finally:
        cleanup(ctx)
    manifest = Dataset(out).manifest()
    assert [r["run_id"] for r in manifest["runs"]] == [ctx.run_id]
    assert len(manifest["files"][URL_STATES_TABLE]) == 1
    assert manifest["files"]["records"]  # every table gets a file, empty here, for readers


def test_a_failed_write_leaves_nothing(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure while writing (a full disk) aborts every writer: no file of the run stays
    visible or hidden, the manifest is as before."""
    out = tmp_path / "c"
    run(out, settings, {"a.txt": article(1)})
    before = Dataset(out).manifest()
    files_before = sorted(p for p in out.rglob("*") if p.is_file())

    def full(self: Dataset, run_id: str, tables: dict[str, pa.Table]) -> list[Path]:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Dataset, "write_tables", full)
    ctx = start_run(out, settings)
    try:
        batch = stage(ctx, 0, {"b.txt": article(2)})
        with pytest.raises(OSError, match="No space"):
            finish_run(ctx, [batch], 1, 0)
    finally:
        cleanup(ctx)
    assert Dataset(out).manifest() == before
    assert sorted(p for p in out.rglob("*") if p.is_file()) == files_before


def test_every_input_audited_under_its_record_with_the_reasons_counted_in_order(
    tmp_path: Path, settings: Settings
) -> None:
    """The audit keeps every removed line of every input, a merged copy's under the record it
    joined; the index says which input became the record; the summary counts the reasons
    (ties in the order they first occur) and lists the records in row order."""
    chrome = ["Download the App", "Subscribe to our newsletter"]
    page = "\n\n".join([*chrome, article(1), "Comments (12)", "Share this article"])
    other = "\n\n".join(["Share this article", article(2), "Advertisement"])
    out = tmp_path / "c"
    _, summary = run(out, settings, {"a.txt": page, "b.txt": other}, {"copy.txt": page, "x": ""})
    dataset = Dataset(out)
    records = dataset.read("records", RECORDS_SCHEMA).to_pylist()
    doc_of = {s: r["doc_id"] for r in records for s in r["sources"]}
    audit = dataset.read("audit", AUDIT_SCHEMA).to_pylist()
    assert [(a["source_uri"].rsplit("/", 1)[1], a["line_no"], a["reason"]) for a in audit] == [
        ("a.txt", 0, "app_promo"),
        ("a.txt", 2, "newsletter"),
        ("a.txt", 12, "comments"),
        ("a.txt", 14, "share"),
        ("b.txt", 0, "share"),
        ("b.txt", 10, "ui_chrome"),
        ("copy.txt", 0, "app_promo"),
        ("copy.txt", 2, "newsletter"),
        ("copy.txt", 12, "comments"),
        ("copy.txt", 14, "share"),
    ]
    assert all(a["doc_id"] == doc_of[a["source_uri"]] for a in audit)
    assert doc_of["file:///inbox/copy.txt"] == doc_of["file:///inbox/a.txt"]
    index = dataset.read("_index/inputs", INDEX_INPUTS_SCHEMA).to_pylist()
    assert [(r["source_uri"].rsplit("/", 1)[1], r["outcome"], r["doc_id"]) for r in index] == [
        ("a.txt", "record", doc_of["file:///inbox/a.txt"]),
        ("b.txt", "record", doc_of["file:///inbox/b.txt"]),
        ("copy.txt", "merged", doc_of["file:///inbox/a.txt"]),
        ("x", "rejected", None),
    ]
    assert list(summary.removal_reasons.items()) == [
        ("share", 3),
        ("app_promo", 2),
        ("newsletter", 2),
        ("comments", 2),
        ("ui_chrome", 1),
    ]
    assert [r["sources"] for r in summary.records] == [["a.txt", "copy.txt"], ["b.txt"]]
    assert sorted(r["source"] for r in summary.review) == ["a.txt", "b.txt"]


def test_the_summary_lists_a_bounded_number_of_rows(tmp_path: Path, settings: Settings) -> None:
    many = {f"{i:03d}.txt": article(100 + i) for i in range(SUMMARY_ROWS + 5)}
    _, summary = run(tmp_path / "c", settings, many)
    assert summary.added == SUMMARY_ROWS + 5
    assert len(summary.records) == SUMMARY_ROWS


def test_dedup_holds_no_text_of_the_run(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While dedup runs, the run's texts are on disk, not in memory: Arrow's allocations then
    are far below the texts' size (they held every text, copied, before), and the near
    duplicate is still found (its text read back when dedup asked)."""
    import crawler.run.finish as finish

    held: list[int] = []

    def resolve_measured(*args: Any, **kwargs: Any) -> Any:
        held.append(pa.total_allocated_bytes())
        return resolve(*args, **kwargs)

    monkeypatch.setattr(finish, "resolve", resolve_measured)
    texts = {f"{i}.txt": article(100 + i, paragraphs=40) for i in range(30)}
    full = texts["0.txt"]
    texts["cut.txt"] = "\n\n".join(full.split("\n\n")[:36])  # a near duplicate of 0.txt
    size = sum(len(t.encode()) for t in texts.values())
    names = list(texts)
    # Arrow's count is the process's: what earlier tests in this worker left allocated is not
    # this run's
    gc.collect()  # buffers earlier tests left to the cycle collector are freed before counting
    before = pa.total_allocated_bytes()
    _, summary = run(
        tmp_path / "c", settings, *({n: texts[n] for n in names[i : i + 8]} for i in (0, 8, 16, 24))
    )
    assert (summary.added, summary.merged_near) == (30, 1)
    assert held and held[0] - before < size / 10, (held, before, size)
    assert not list((tmp_path / "c").rglob("*.spill"))  # the spilled columns are gone


def test_the_first_pass_over_the_pages_is_shared_with_a_worker_and_decides_the_same(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run's vote, the removed prose and the pages' paragraph keys are made batch by batch
    by this process and a worker (the finish used one core): the same resolution as one
    process making them."""
    import crawler.run.finish as finish_module
    from crawler.run.workers import IsolatingPool

    calls: list[str] = []
    call = IsolatingPool.call

    def counted(self: IsolatingPool, fn: Any, args: tuple[Any, ...], *rest: Any) -> Any:
        calls.append(fn.__name__)
        return call(self, fn, args, *rest)

    monkeypatch.setattr(IsolatingPool, "call", counted)
    monkeypatch.setattr(finish_module, "POOL_MIN_ROWS", 0)
    shared = "\n\n".join(article(90 + n) for n in range(2))
    batches = [
        {f"b{b}-{n}.txt": f"{article(b * 10 + n)}\n\n{shared}" for n in range(3)} for b in range(6)
    ]
    outcomes = []
    for workers in (1, 2):
        ctx = start_run(tmp_path / f"c{workers}", replace(settings, workers=workers))
        try:
            staged = [stage(ctx, n, inputs) for n, inputs in enumerate(batches)]
            resolution = finish_module.resolve_run(
                ctx, Dataset(ctx.dataset_root), [b.docs_path for b in staged]
            )
        finally:
            cleanup(ctx)
        outcomes.append((resolution.doc_of_source, resolution.merges, resolution.sources))
    assert outcomes[0] == outcomes[1]
    # a worker was started for it (the batches it counts depend on the machine's load:
    # tests/crawler/run/test_workers.py checks that work is shared)
    assert "getpid" in calls and set(calls) <= {"getpid", "batch_pages"}


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc")
def test_the_finish_gives_freed_big_blocks_back_to_the_system() -> None:
    """After a big block is freed, glibc's malloc serves blocks up to its size from the heap,
    whose freed pages the process keeps: dedup's arrays held ~100 MB more at 100k documents.
    The finish fixes the threshold, so freed arrays leave the process's RSS."""
    import crawler.run.finish as finish_module

    def rss() -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")

    finish_module.unmap_big_blocks()
    big = bytearray(30 << 20)  # freed: glibc would raise its threshold to 30 MB
    del big
    start = rss()
    blocks = [bytearray(1 << 20) for _ in range(40)]
    guard = bytearray(64)  # above them on the heap, if they are there: no trim of the top
    del blocks
    assert rss() - start < 8 << 20
    del guard


def test_the_index_and_merges_are_written_in_bounded_row_groups(
    tmp_path: Path, settings: Settings, monkeypatch: Any
) -> None:
    """The index's rows and the merges go out a row group of INDEX_PER_GROUP rows at a time
    (buffered whole, they held more at 100k documents than at 10k), in the order made."""
    import pyarrow.parquet as pq

    import crawler.run.finish as finish_module

    monkeypatch.setattr(finish_module, "INDEX_PER_GROUP", 2)
    texts = {f"a{n}.txt": article(n) for n in range(3)}
    copies = {f"copy{n}.txt": article(n) for n in range(3)}
    out = tmp_path / "c"
    _, summary = run(out, settings, texts, copies)
    assert (summary.added, summary.merged_exact) == (3, 3)
    dataset = Dataset(out)
    for table, rows in (("_index/docs", 3), ("_index/inputs", 6), ("merges", 3)):
        (path,) = dataset.files(table)
        assert pq.ParquetFile(path).metadata.num_rows == rows
        assert pq.ParquetFile(path).metadata.num_row_groups >= 2, table
    merges = dataset.read("merges", MERGES_SCHEMA)["source_uri"].to_pylist()
    assert merges == [f"file:///inbox/copy{n}.txt" for n in range(3)]
