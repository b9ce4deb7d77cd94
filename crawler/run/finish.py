"""The last stage of a run: resolve duplicates among the staged documents and against the
dataset, then stream records, audit, merges, rejects and index rows into the dataset and commit.

Memory stays bounded by one batch of full rows plus, for the whole run, the keys dedup sorts on
(sources, content hashes, word counts: Arrow and numpy columns), its index and its outcome (by
row number: `crawler.dedup.resolution`); texts and signatures are read from disk when dedup
asks for them, doc ids and source lists are made when a batch is written.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crawler import __version__
from crawler.dedup.index import (
    INDEX_DOCS_SCHEMA,
    INDEX_INPUTS_SCHEMA,
    load_dedup_index,
    read_record_texts,
)
from crawler.dedup.minhash import U64
from crawler.dedup.pages import SpilledKeys, SpilledProse, batch_pages
from crawler.dedup.resolution import EXACT, KIND_NAMES, NEAR, Resolution, RunRows
from crawler.dedup.resolve import resolve
from crawler.dedup.site_lines import strip_site_lines
from crawler.dedup.votes import Counts, SpilledVotes
from crawler.record import AUDIT_SCHEMA, MERGES_SCHEMA, RECORDS_SCHEMA, REJECTS_SCHEMA
from crawler.report.review import ReviewQueue
from crawler.run.revisions import Revisions, plan_revisions
from crawler.run.workers import IsolatingPool, map_in_order
from crawler.run_types import BatchResult, RunContext, RunSummary
from crawler.schemas import SITE_LINES_SCHEMA
from crawler.store.dataset import Dataset, TableWriter
from crawler.store.revisions import supersede
from crawler.store.staged import STAGED_SCHEMA, SpilledColumns, read_docs, read_rejects

LOGGER = logging.getLogger(__name__)
KEY_COLUMNS = ["source_uri", "content_hash", "word_count"]
# a row group of records is buffered as Python rows before it is written: with texts of a few
# KB, 5000 hold about 15 MB whatever the size of the run
RECORDS_PER_GROUP = 5000
# the index's rows and the merges likewise (a row group of 20,000 index rows, and the run's
# merges in one table, held ~15 MB more at 100k documents than at 10k)
INDEX_PER_GROUP = 5000
# a run's first pass over its pages takes about 0.3 ms a page: below this many, a worker's
# start (seconds when its forkserver is not running yet) would cost more than it saves
POOL_MIN_ROWS = 5000
M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)
MMAP_THRESHOLD = 128 * 1024  # its default, fixed: see unmap_big_blocks
# the write stage hands its freed pages back this often (`give_back_freed_memory`)
RELEASE_BATCHES = 20
SUMMARY_ROWS = 50  # records and rejects listed one by one in a summary (all are in the tables)


def _read_columns(paths: list[str], columns: list[str]) -> pa.Table:
    schema = pa.schema([STAGED_SCHEMA.field(c) for c in columns])
    tables = [read_docs(p, columns) for p in paths]
    return pa.concat_tables(tables) if tables else schema.empty_table()


def unmap_big_blocks() -> None:
    """Make glibc's malloc serve every block of MMAP_THRESHOLD bytes or more with a memory map
    of its own, unmapped when freed (where it has `mallopt`; nothing elsewhere). By default
    the threshold rises to the size of each such block freed (up to 32 MB): dedup's arrays
    then come from the heap, whose freed pages the process keeps (~100 MB after resolving
    100k documents, which `malloc_trim` gave back). A threshold set once does not move."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def give_back_freed_memory() -> None:
    """Hand the pages a finished stage freed back to the system: glibc's heaps keep freed
    blocks (`malloc_trim` gives back their whole pages, where glibc has it), Arrow's pool
    its freed segments (`release_unused`). After dedup's resolution of 20k documents they
    held ~40 MB of the main process (23 MB glibc, 18 MB Arrow's mimalloc), none in use."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)
    pa.default_memory_pool().release_unused()


def resolve_run(ctx: RunContext, dataset: Dataset, docs_paths: list[str]) -> Resolution:
    """Which staged documents become records, and which merge into what (by row number: the
    rows of `docs_paths` one after the other).

    Only the keys dedup sorts and groups on (source, content hash, word count) are held for
    the whole run, as columns; texts and signatures are spilled to the staging area and read
    back when dedup asks for them (`SpilledColumns`), so memory does not grow with the run's
    texts. The first pass over the pages (the run's vote on its paragraphs, each page's
    removed prose and paragraph keys) is shared by this process and `workers - 1` worker
    processes, batch by batch (`first_pass`)."""
    settings = ctx.settings
    unmap_big_blocks()
    keys = _read_columns(docs_paths, KEY_COLUMNS)
    with (
        SpilledColumns(docs_paths, ["text", "signature"], ctx.staging) as spilled,
        SpilledProse((), Path(ctx.staging) / "run-removed-prose.spill") as prose,
        SpilledKeys(Path(ctx.staging) / "run-paragraphs.spill") as paragraphs,
    ):
        vote = first_pass(ctx, docs_paths, prose, paragraphs, len(keys))
        rows = RunRows(  # the columns as read (a copy in one piece would cost ~15 MB more)
            keys["source_uri"],
            keys["content_hash"],
            keys["word_count"].to_numpy().astype(np.int64),
            lambda i: spilled.get("signature", i),
        )
        del keys
        give_back_freed_memory()  # the first pass's
        resolution = resolve(
            rows,
            lambda i: spilled.text("text", i),
            load_dedup_index(dataset, settings.lsh_bands),
            lambda ids: read_record_texts(dataset, ids),
            settings.shingle_size,
            settings.near_dup_threshold,
            page_of=prose.__getitem__,
            vote=vote,
            keys_of=paragraphs.__getitem__,
            release=give_back_freed_memory,
        )
    give_back_freed_memory()  # the loop's, its index's and the spilled columns'
    return resolution


def first_pass(
    ctx: RunContext,
    docs_paths: list[str],
    prose: SpilledProse,
    paragraphs: SpilledKeys,
    rows: int,
) -> tuple[U64, Counts]:
    """The run's vote on its pages' paragraphs (added up on disk: `SpilledVotes`); each row's
    removed prose and its page's paragraph keys appended to `prose` and `paragraphs`, in the
    rows' order. With POOL_MIN_ROWS staged rows or more, the batches are shared by this
    process and a pool of `workers - 1` (both cores busy); the counts add up in any order, so
    the vote is the same whoever counted what."""
    workers = ctx.settings.worker_count()
    shared = workers > 1 and len(docs_paths) > 1 and rows >= POOL_MIN_ROWS
    pool = IsolatingPool(workers - 1) if shared else None
    if pool is not None:  # from this thread: its calls come from map_in_order's threads
        pool.start_forkserver()
    with SpilledVotes(ctx.staging) as votes:
        parts = map_in_order(batch_pages, docs_paths, pool, ctx.settings.max_doc_seconds)
        for counted, removed, keys in parts:  # the pool is closed when they are done
            votes.add(counted)
            prose.add(removed)
            paragraphs.add(keys)
        return votes.result()


class RunWriters:
    """One streaming writer per table of the run; records and audit partitioned by day."""

    def __init__(self, dataset: Dataset, run_id: str, day: str) -> None:
        part = f"ingest_date={day}"
        self.records = dataset.writer("records", RECORDS_SCHEMA, run_id, part, RECORDS_PER_GROUP)
        self.audit = dataset.writer("audit", AUDIT_SCHEMA, run_id, part)
        self.merges = dataset.writer("merges", MERGES_SCHEMA, run_id, None, INDEX_PER_GROUP)
        self.rejects = dataset.writer("rejects", REJECTS_SCHEMA, run_id)
        self.index_docs = dataset.writer(
            "_index/docs", INDEX_DOCS_SCHEMA, run_id, None, INDEX_PER_GROUP
        )
        self.index_inputs = dataset.writer(
            "_index/inputs", INDEX_INPUTS_SCHEMA, run_id, None, INDEX_PER_GROUP
        )
        self.site_lines = dataset.writer("_index/site_lines", SITE_LINES_SCHEMA, run_id)

    def by_table(self) -> dict[str, TableWriter]:
        return {
            "records": self.records,
            "audit": self.audit,
            "merges": self.merges,
            "rejects": self.rejects,
            "_index/docs": self.index_docs,
            "_index/inputs": self.index_inputs,
            "_index/site_lines": self.site_lines,
        }

    def all(self) -> list[TableWriter]:
        return list(self.by_table().values())

    def close(self) -> list[Path]:
        return [p for w in self.all() if (p := w.close()) is not None]


def finish_run(
    ctx: RunContext,
    batches: list[BatchResult],
    inputs: int,
    unchanged: int,
    side_tables: dict[str, pa.Table] | None = None,
    archive_files: list[Path] | None = None,
) -> RunSummary:
    """Resolve duplicates against each other and the dataset, then commit everything at once
    (with `side_tables`: more rows of other dataset tables, such as a crawl's URL states; and
    `archive_files`: a crawl's WARC files, into `_warc/`)."""
    started = time.perf_counter()
    dataset = Dataset(ctx.dataset_root)
    now = datetime.fromisoformat(ctx.started_at)
    site_counts = strip_site_lines(dataset, [b.docs_path for b in batches], ctx.settings)
    give_back_freed_memory()
    resolution = resolve_run(ctx, dataset, [b.docs_path for b in batches])
    revisions = plan_revisions(dataset, [b.docs_path for b in batches], resolution)
    resolved = time.perf_counter()

    summary = RunSummary(run_id=ctx.run_id, dataset=ctx.dataset_root, inputs=inputs)
    summary.unchanged = unchanged
    writers = RunWriters(dataset, ctx.run_id, f"{now:%Y-%m-%d}")
    side_written: list[Path] = []  # a failure before they are written must not hide its cause
    try:
        _write_run(ctx, batches, resolution, writers, now, summary, revisions)
        for chunk in site_counts.row_chunks(ctx.run_id):
            writers.site_lines.write(chunk)
        summary.seconds["dedup"] = round(resolved - started, 3)
        replaced = revisions.replaced()
        summary.total_records = dataset.total_records() + summary.added - len(replaced)
        side_written = dataset.write_tables(ctx.run_id, side_tables or {})
        side_written += [dataset.adopt(path) for path in archive_files or []]
        changed = any(w.count for w in writers.all()) or bool(side_written)
        files = dataset.manifest()["files"]
        # a commit creates every table that has no file yet (possibly empty): readers' globs
        # over a side table must find one
        written = [
            p
            for table, w in writers.by_table().items()
            if (p := w.close(write_empty=changed and not files[table])) is not None
        ] + side_written
        swap_root = dataset.staging_dir(ctx.run_id) / "revisions"  # removed with it
        moving = supersede(dataset, ctx.run_id, replaced, swap_root, written, changed)
        side_written += moving.written
    except BaseException:
        for writer in writers.all():  # nothing of a run that failed stays on disk
            writer.abort()
        for path in side_written:
            dataset.discard_uncommitted(path)
        raise
    if changed:
        run_info = {
            k: v
            for k, v in summary.to_dict().items()
            if k not in ("rejects", "records", "review", "dataset")
        }
        run_info.update(started_at=ctx.started_at, pipeline_version=__version__)
        dataset.commit(
            ctx.run_id,
            written + moving.written,
            run_info,
            moving.superseded,
            dedup=ctx.settings.dedup_params(),
            swaps=moving.swaps,
        )
    else:  # a run that changed nothing leaves no trace in the manifest
        for writer in writers.all():
            writer.abort()
    summary.seconds["write_and_commit"] = round(time.perf_counter() - resolved, 3)
    LOGGER.info(
        "run %s committed: %d added, %d merged, %d rejected (dedup %.1f s, write %.1f s)",
        ctx.run_id,
        summary.added,
        summary.merged_exact + summary.merged_near,
        summary.rejected,
        summary.seconds["dedup"],
        summary.seconds["write_and_commit"],
    )
    return summary


def _write_run(
    ctx: RunContext,
    batches: list[BatchResult],
    resolution: Resolution,
    writers: RunWriters,
    now: datetime,
    summary: RunSummary,
    revisions: Revisions,
) -> None:
    """Stream every staged batch and the merges into the run's writers; fill the summary."""
    tally = _Tally()
    start = 0
    for n, batch in enumerate(batches, 1):
        start += _write_batch(
            batch, start, resolution, writers, now, ctx.run_id, tally, summary, revisions
        )
        if n % RELEASE_BATCHES == 0:
            give_back_freed_memory()
    if start != len(resolution):  # the rows are matched by position: never commit a shift
        raise RuntimeError(f"staged batches hold {start} rows, dedup resolved {len(resolution)}")
    merged = resolution.merge_rows()
    for at in range(0, len(merged), INDEX_PER_GROUP):  # a row group's doc_ids at a time
        chunk = merged[at : at + INDEX_PER_GROUP]
        writers.merges.write_table(_merges_table(resolution, chunk, now, ctx.run_id))
    kinds = resolution.kind[merged]
    summary.merged_exact = int((kinds == EXACT).sum())
    summary.merged_near = int((kinds == NEAR).sum())
    summary.added = writers.records.count
    summary.rejected = writers.rejects.count
    summary.processed += summary.rejected
    summary.removal_reasons = dict(tally.removed.most_common())
    summary.rejects_by_reason = dict(tally.rejected.most_common())
    summary.review = tally.review.rows()
    summary.seconds["clean_work"] = round(sum(b.seconds for b in batches), 3)  # all workers


@dataclass
class _Tally:
    """Run-wide counts and the review queue, filled while streaming the batches."""

    removed: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    review: ReviewQueue = field(default_factory=ReviewQueue)


def _merges_table(
    resolution: Resolution, rows: np.ndarray[Any, Any], now: datetime, run_id: str
) -> pa.Table:
    """The merges table's rows of the run's merged rows (in the order they merged)."""
    return pa.table(
        {
            "source_uri": resolution.uris.take(rows),
            "doc_id": pa.array([resolution.doc_id(i) for i in rows.tolist()], pa.string()),
            "kind": pa.array([KIND_NAMES[k] for k in resolution.kind[rows].tolist()], pa.string()),
            "similarity": pa.array(resolution.similarity[rows].astype(np.float32)),
            "merged_at": _repeat(now, len(rows), pa.timestamp("us", tz="UTC")),
            "run_id": _repeat(run_id, len(rows)),
        }
    )


def _write_batch(
    batch: BatchResult,
    start: int,
    resolution: Resolution,
    writers: RunWriters,
    now: datetime,
    run_id: str,
    tally: _Tally,
    summary: RunSummary,
    revisions: Revisions,
) -> int:
    """Stream one staged batch (the resolution's rows from `start` on) into the run's tables,
    column by column (Arrow): the texts and the removed lines go from the staged file to the
    tables without becoming Python objects. Its number of rows."""
    table = read_docs(batch.docs_path)
    summary.processed += table.num_rows
    stop = start + table.num_rows
    doc_ids = pa.array(resolution.doc_ids(start, stop), pa.string())
    kept = pa.array(resolution.kept(start, stop))
    _write_audit(table, doc_ids, run_id, writers.audit, tally)
    writers.index_inputs.write_table(
        pa.table(
            {
                "source_uri": table["source_uri"],
                "input_hash": table["input_hash"],
                "outcome": pc.if_else(kept, "record", "merged"),
                "doc_id": doc_ids,
                "run_id": _repeat(run_id, table.num_rows),
            }
        )
    )
    records, record_ids = table.filter(kept), doc_ids.filter(kept)
    record_rows = (start + np.flatnonzero(resolution.kept(start, stop))).tolist()
    sources = resolution.sources_of(record_rows)
    _write_records(records, record_ids, sources, revisions, writers, now, run_id)
    _offer_records(records, record_ids, sources, tally, summary)
    for reject in read_rejects(batch.rejects_path).to_pylist():
        writers.rejects.write([{**reject, "rejected_at": now, "run_id": run_id}])
        tally.rejected[reject["reason"]] += 1
        if reject["input_hash"]:
            writers.index_inputs.write(
                [
                    {
                        "source_uri": reject["source_uri"],
                        "input_hash": reject["input_hash"],
                        "outcome": "rejected",
                        "doc_id": None,
                        "run_id": run_id,
                    }
                ]
            )
        if len(summary.rejects) < SUMMARY_ROWS:
            summary.rejects.append({k: reject[k] for k in ("source_uri", "reason", "detail")})
    return int(table.num_rows)


def _repeat(value: object, n: int, kind: pa.DataType | None = None) -> pa.Array:
    return pa.repeat(pa.scalar(value, kind or pa.string()), n)


def _write_audit(
    table: pa.Table, doc_ids: pa.Array, run_id: str, audit: TableWriter, tally: _Tally
) -> None:
    """One audit row per removed line of every staged row (its doc_id and source beside)."""
    removed = table["removed"].combine_chunks()
    lines = pc.list_flatten(removed)
    rows = pc.list_parent_indices(removed)
    reasons = lines.field("reason")
    audit.write_table(
        pa.table(
            {
                "doc_id": doc_ids.take(rows),
                "source_uri": table["source_uri"].take(rows),
                "line_no": lines.field("line_no"),
                "line": lines.field("line"),
                "reason": reasons,
                "run_id": _repeat(run_id, len(lines)),
            }
        )
    )
    counts = pc.value_counts(reasons)  # in the order each reason first occurs, as row by row
    tally.removed.update(
        dict(
            zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True)
        )
    )


def _write_records(
    kept: pa.Table,
    doc_ids: pa.Array,
    sources: list[list[str]],
    revisions: Revisions,
    writers: RunWriters,
    now: datetime,
    run_id: str,
) -> None:
    """The batch's rows that became records (with their sources), and their index rows."""
    ids: list[str] = doc_ids.to_pylist()
    revised = [revisions.columns(d, now) for d in ids]
    n, stamp = len(ids), pa.timestamp("us", tz="UTC")
    added = {
        "doc_id": doc_ids,
        "sources": pa.array(sources, pa.list_(pa.string())),
        "ingested_at": _repeat(now, n, stamp),
        "pipeline_version": _repeat(__version__, n),
        "run_id": _repeat(run_id, n),
        "revision": pa.array([r["revision"] for r in revised], pa.int32()),
        "previous_doc_id": pa.array([r["previous_doc_id"] for r in revised], pa.string()),
        "seen_at": pa.array([r["seen_at"] for r in revised], stamp),
    }
    writers.records.write_table(
        pa.table(
            {f.name: added[f.name] if f.name in added else kept[f.name] for f in RECORDS_SCHEMA}
        )
    )
    writers.index_docs.write_table(
        pa.table(
            {
                "content_hash": kept["content_hash"],
                "word_count": kept["word_count"],
                "signature": kept["signature"],
                "doc_id": doc_ids,
            }
        )
    )


# what the review queue and the summary's rows read of a record
_REVIEWED = ["title", "publisher", "language", "word_count", "removed_ratio"]


def _offer_records(
    kept: pa.Table, doc_ids: pa.Array, sources: list[list[str]], tally: _Tally, summary: RunSummary
) -> None:
    """The batch's records to the review queue, and the first ones to the summary."""
    fields = kept.select(_REVIEWED).append_column("doc_id", doc_ids)
    for record, uri, its_sources in zip(
        fields.to_pylist(), kept["source_uri"].to_pylist(), sources, strict=True
    ):
        tally.review.offer(record, _short_source(uri))
        if len(summary.records) < SUMMARY_ROWS:
            summary.records.append(_summary_row({**record, "sources": its_sources}))


def _summary_row(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "doc_id": record["doc_id"],
        "title": record["title"],
        "publisher": record["publisher"],
        "language": record["language"],
        "word_count": record["word_count"],
        "sources": [_short_source(s) for s in record["sources"]],
    }


def _short_source(uri: str) -> str:
    """A file's name, or a crawled page's whole URL (for the summary table)."""
    return Path(uri).name if uri.startswith("file:") else uri
