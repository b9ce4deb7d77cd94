"""An ingest run in stages: start -> scan -> clean batches -> dedup and commit.

Each stage takes and returns small serializable values (paths, counters), so the CLI can call
them in a loop and the Prefect flow can run each as a task, with identical results. The order of
steps for one document lives in `crawler.chain`; this module orders the run.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
import secrets
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from crawler import __version__
from crawler.boilerplate import LineStats
from crawler.chain import process
from crawler.config import Settings
from crawler.dataset import Dataset
from crawler.dedup import MinHasher, shingle_set
from crawler.duplicates import resolve
from crawler.errors import Drop
from crawler.index import (
    INDEX_DOCS_SCHEMA,
    INDEX_INPUTS_SCHEMA,
    load_dedup_index,
    load_seen_inputs,
    read_record_texts,
)
from crawler.readers import RawInput, discover, file_uri, read_input
from crawler.reasons import Rejected
from crawler.record import (
    AUDIT_SCHEMA,
    MERGES_SCHEMA,
    RECORDS_SCHEMA,
    REJECTS_SCHEMA,
    Document,
)

_AUDIT_STRUCT = pa.struct([("line_no", pa.int32()), ("line", pa.string()), ("reason", pa.string())])
STAGED_SCHEMA = pa.schema(
    [
        f
        for f in RECORDS_SCHEMA
        if f.name not in ("doc_id", "sources", "ingested_at", "pipeline_version", "run_id")
    ]
    + [
        pa.field("removed", pa.list_(_AUDIT_STRUCT)),
        pa.field("input_hash", pa.string()),
        pa.field("signature", pa.binary()),
    ]
)
STAGED_REJECTS_SCHEMA = pa.schema(
    [f for f in REJECTS_SCHEMA if f.name not in ("rejected_at", "run_id")]
    + [pa.field("input_hash", pa.string())]
)


@dataclass(frozen=True)
class RunContext:
    """What every stage of one run needs to know; plain values only."""

    run_id: str
    dataset_root: str
    staging: str
    started_at: str
    settings: Settings


@dataclass(frozen=True)
class ScanResult:
    new_files: list[str]
    unchanged: int
    line_stats_path: str | None


@dataclass(frozen=True)
class BatchResult:
    docs_path: str
    rejects_path: str
    counters: dict[str, int]
    seconds: float


@dataclass
class RunSummary:
    """What a run did: printed by the CLI, returned by the flow, kept in the manifest."""

    run_id: str
    dataset: str
    inputs: int = 0
    unchanged: int = 0
    processed: int = 0
    added: int = 0
    merged_exact: int = 0
    merged_near: int = 0
    rejected: int = 0
    total_records: int = 0
    rejects: list[dict[str, str]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    removal_reasons: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def new_run_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%S}Z-{secrets.token_hex(3)}"


def start_run(dataset_root: str | Path, settings: Settings) -> RunContext:
    """Recover the dataset from any interrupted run and open a staging area. Hold the lock."""
    dataset = Dataset(dataset_root)
    dataset.recover()
    now = datetime.now(UTC)
    run_id = new_run_id(now)
    return RunContext(
        run_id=run_id,
        dataset_root=str(dataset.root),
        staging=str(dataset.staging_dir(run_id)),
        started_at=now.isoformat(),
        settings=settings,
    )


def discover_inputs(paths: list[str]) -> list[str]:
    """Input files under the given paths (ConfigError if one does not exist)."""
    return [str(p) for p in discover(paths)]


def _input_hash(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def scan_inputs(ctx: RunContext, files: list[str]) -> ScanResult:
    """Skip inputs already processed with the same bytes, and learn which lines recur across
    the page dumps of this ingest (site chrome) for the cleaner."""
    seen = load_seen_inputs(Dataset(ctx.dataset_root))
    stats = LineStats()
    new_files: list[str] = []
    for name in files:
        path = Path(name)
        digest = _input_hash(path)
        if digest is None or (file_uri(path), digest) not in seen:
            new_files.append(name)
        if ctx.settings.use_line_stats and name.lower().endswith(".txt"):
            with contextlib.suppress(Drop):  # unreadable inputs are rejected by clean_batch
                stats.add(read_input(path, ctx.settings.max_input_bytes).text)
    stats_path = None
    if ctx.settings.use_line_stats and stats.n_docs:
        stats_path = str(Path(ctx.staging) / "line_stats.pickle")
        Path(stats_path).write_bytes(pickle.dumps(stats))
    return ScanResult(new_files, len(files) - len(new_files), stats_path)


def plan_batches(files: list[str], batch_size: int) -> list[list[str]]:
    return [files[i : i + batch_size] for i in range(0, len(files), batch_size)]


def load_line_stats(path: str | None) -> LineStats | None:
    if path is None:
        return None
    stats = pickle.loads(Path(path).read_bytes())
    assert isinstance(stats, LineStats)
    return stats


def clean_batch(
    ctx: RunContext, batch_no: int, files: list[str], line_stats_path: str | None
) -> BatchResult:
    """Read and clean one batch of input files; stage the documents and the rejects."""
    stats = load_line_stats(line_stats_path)
    max_bytes = ctx.settings.max_input_bytes

    def inputs() -> Iterator[PendingInput]:
        for name in files:
            path = Path(name)
            size = path.stat().st_size if path.exists() else None
            yield PendingInput(
                file_uri(path), size, _input_hash(path) or "", partial(read_input, path, max_bytes)
            )

    return stage_batch(ctx, batch_no, inputs(), stats)


@dataclass(frozen=True)
class PendingInput:
    """An input about to be cleaned: its identity, and how to read it (may raise Drop)."""

    source_uri: str
    size_bytes: int | None
    input_hash: str
    load: Callable[[], RawInput]


def stage_batch(
    ctx: RunContext, batch_no: int, pending: Iterable[PendingInput], stats: LineStats | None
) -> BatchResult:
    """Run the chain on each input; stage documents (with signatures) and rejects as Parquet.

    Every way in ends here: files (`clean_batch`) and crawled pages alike.
    """
    started = time.perf_counter()
    hasher = MinHasher(ctx.settings.num_perm)
    docs: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    counters: Counter[str] = Counter()
    for item in pending:
        row, reject = clean_input(item, ctx.settings, stats, hasher)
        if row is not None:
            counters["cleaned"] += 1
            docs.append(row)
        elif reject is not None:
            counters["rejected"] += 1
            rejects.append(reject)
    return write_staged(ctx, batch_no, docs, rejects, counters, time.perf_counter() - started)


def clean_input(
    item: PendingInput, settings: Settings, stats: LineStats | None, hasher: MinHasher
) -> tuple[dict[str, Any], None] | tuple[None, dict[str, Any]]:
    """Run the chain on one input: (staged row, None), or (None, reject row) with the reason.

    Every way in ends here: `stage_batch` for files, the crawler's item pipeline for pages.
    """
    try:
        doc = process(item.load(), settings, stats)
    except Drop as drop:
        reason, detail = drop.reason, drop.detail
    except Exception as exc:  # a bug on one input must not end the run: report it
        reason, detail = Rejected.EXTRACT_ERROR, f"unexpected {type(exc).__name__}: {exc}"
    else:
        return staged_row(doc, item.input_hash, hasher, settings.shingle_size), None
    return None, {
        "source_uri": item.source_uri,
        "reason": str(reason),
        "detail": detail[:500],
        "size_bytes": item.size_bytes,
        "input_hash": item.input_hash,
    }


def write_staged(
    ctx: RunContext,
    batch_no: int,
    docs: list[dict[str, Any]],
    rejects: list[dict[str, Any]],
    counters: dict[str, int],
    seconds: float,
) -> BatchResult:
    """Write one batch of staged rows and reject rows (from `clean_input`) as Parquet."""
    prefix = Path(ctx.staging) / f"batch-{batch_no:05d}"
    docs_path, rejects_path = f"{prefix}.docs.parquet", f"{prefix}.rejects.parquet"
    pq.write_table(pa.Table.from_pylist(docs, schema=STAGED_SCHEMA), docs_path)
    pq.write_table(pa.Table.from_pylist(rejects, schema=STAGED_REJECTS_SCHEMA), rejects_path)
    return BatchResult(docs_path, rejects_path, dict(counters), seconds)


def staged_row(
    doc: Document, input_hash: str, hasher: MinHasher, shingle_size: int
) -> dict[str, Any]:
    """A cleaned document as a staging row, with its MinHash signature."""
    row = doc.to_row()
    row["input_hash"] = input_hash
    sig = hasher.signature(shingle_set(doc.text, shingle_size))
    row["signature"] = sig.astype("<u4").tobytes()
    return row


def _read_staged(paths: list[str], schema: pa.Schema) -> pa.Table:
    tables = [pq.read_table(p, schema=schema) for p in paths]
    return pa.concat_tables(tables) if tables else schema.empty_table()


def finish_run(
    ctx: RunContext, batches: list[BatchResult], inputs: int, unchanged: int
) -> RunSummary:
    """Resolve duplicates against each other and the dataset, then commit everything at once."""
    started = time.perf_counter()
    dataset = Dataset(ctx.dataset_root)
    settings = ctx.settings
    now = datetime.fromisoformat(ctx.started_at)
    index = load_dedup_index(dataset, settings.lsh_bands)
    staged = _read_staged([b.docs_path for b in batches], STAGED_SCHEMA).to_pylist()
    staged_rejects = _read_staged([b.rejects_path for b in batches], STAGED_REJECTS_SCHEMA)

    resolution = resolve(
        staged,
        index,
        lambda ids: read_record_texts(dataset, ids),
        settings.shingle_size,
        settings.near_dup_threshold,
    )
    records = [
        _record_row(row, doc_id, resolution.sources[doc_id], now, ctx.run_id)
        for doc_id, row in sorted(
            resolution.new_records.items(), key=lambda kv: kv[1]["source_uri"]
        )
    ]
    audit = [
        {
            "doc_id": resolution.doc_of_source[row["source_uri"]],
            "source_uri": row["source_uri"],
            "run_id": ctx.run_id,
            **removed,
        }
        for row in staged
        for removed in row["removed"]
    ]
    merges = [{**asdict(m), "merged_at": now, "run_id": ctx.run_id} for m in resolution.merges]
    rejects = [{**r, "rejected_at": now, "run_id": ctx.run_id} for r in staged_rejects.to_pylist()]
    index_docs = [
        {
            "doc_id": doc_id,
            "content_hash": row["content_hash"],
            "word_count": row["word_count"],
            "signature": row["signature"],
        }
        for doc_id, row in resolution.new_records.items()
    ]
    index_inputs = [
        {
            "source_uri": row["source_uri"],
            "input_hash": row["input_hash"],
            "outcome": "record" if row["source_uri"] in resolution.kept_sources else "merged",
            "doc_id": resolution.doc_of_source[row["source_uri"]],
            "run_id": ctx.run_id,
        }
        for row in staged
    ] + [
        {
            "source_uri": r["source_uri"],
            "input_hash": r["input_hash"],
            "outcome": "rejected",
            "doc_id": None,
            "run_id": ctx.run_id,
        }
        for r in rejects
        if r["input_hash"]
    ]
    summary = RunSummary(
        run_id=ctx.run_id,
        dataset=ctx.dataset_root,
        inputs=inputs,
        unchanged=unchanged,
        processed=len(staged) + len(rejects),
        added=len(records),
        merged_exact=sum(m.kind == "exact" for m in resolution.merges),
        merged_near=sum(m.kind == "near" for m in resolution.merges),
        rejected=len(rejects),
        rejects=[
            {"source_uri": r["source_uri"], "reason": r["reason"], "detail": r["detail"]}
            for r in rejects
        ],
        records=[
            {
                "doc_id": r["doc_id"],
                "title": r["title"],
                "publisher": r["publisher"],
                "language": r["language"],
                "word_count": r["word_count"],
                "sources": [_short_source(s) for s in r["sources"]],
            }
            for r in records
        ],
        removal_reasons=dict(Counter(a["reason"] for a in audit).most_common()),
    )
    summary.seconds["batches"] = round(sum(b.seconds for b in batches), 3)
    tables = {
        "records": pa.Table.from_pylist(records, schema=RECORDS_SCHEMA),
        "audit": pa.Table.from_pylist(audit, schema=AUDIT_SCHEMA),
        "merges": pa.Table.from_pylist(merges, schema=MERGES_SCHEMA),
        "rejects": pa.Table.from_pylist(rejects, schema=REJECTS_SCHEMA),
        "_index/docs": pa.Table.from_pylist(index_docs, schema=INDEX_DOCS_SCHEMA),
        "_index/inputs": pa.Table.from_pylist(index_inputs, schema=INDEX_INPUTS_SCHEMA),
    }
    run_info = {
        k: v for k, v in summary.to_dict().items() if k not in ("rejects", "records", "dataset")
    }
    run_info.update(started_at=ctx.started_at, pipeline_version=__version__)
    dataset.commit(ctx.run_id, tables, run_info)
    summary.total_records = dataset_record_count(dataset)
    summary.seconds["dedup_and_commit"] = round(time.perf_counter() - started, 3)
    return summary


def _short_source(uri: str) -> str:
    """A file's name, or a crawled page's whole URL (for the summary table)."""
    return Path(uri).name if uri.startswith("file:") else uri


def dataset_record_count(dataset: Dataset) -> int:
    return sum(pq.ParquetFile(f).metadata.num_rows for f in dataset.files("records"))


def _record_row(
    row: dict[str, Any], doc_id: str, sources: list[str], now: datetime, run_id: str
) -> dict[str, Any]:
    fields = {f.name for f in RECORDS_SCHEMA}
    record = {k: v for k, v in row.items() if k in fields}
    record.update(
        doc_id=doc_id,
        sources=sorted(sources),
        ingested_at=now,
        pipeline_version=__version__,
        run_id=run_id,
    )
    return record


def cleanup(ctx: RunContext) -> None:
    """Remove the run's staging area (and the staging folder when no other run uses it)."""
    shutil.rmtree(ctx.staging, ignore_errors=True)
    with contextlib.suppress(OSError):
        Path(ctx.staging).parent.rmdir()


def run_ingest(paths: list[str], out: str | Path, settings: Settings | None = None) -> RunSummary:
    """A whole ingest run in this process: what `corpus ingest` does. The Prefect flow runs the
    same stages as tasks."""
    settings = settings or Settings()
    files = discover_inputs(paths)
    dataset = Dataset(out)
    with dataset.lock():
        ctx = start_run(out, settings)
        try:
            t0 = time.perf_counter()
            scan = scan_inputs(ctx, files)
            t1 = time.perf_counter()
            batches = [
                clean_batch(ctx, n, batch, scan.line_stats_path)
                for n, batch in enumerate(plan_batches(scan.new_files, settings.batch_size))
            ]
            summary = finish_run(ctx, batches, len(files), scan.unchanged)
            summary.seconds["scan"] = round(t1 - t0, 3)
            return summary
        finally:
            cleanup(ctx)
