"""`corpus repair`: quarantine what is damaged, rebuild the manifest and the indexes from what
remains, and say which records were lost and from which inputs, so a re-ingest brings them back.

Nothing is deleted: damaged files, files no manifest lists, hidden files no run owns and the
files repair rewrites go to `_quarantine/<time>/` (skipped by readers: `_` prefix), with
`report.json` and `lost_inputs.txt` (one input path or URL per line).

What is rebuilt: the manifest (from the files' own metadata when it is missing or unreadable:
run ids, row counts, sizes, checksums; the dedup settings then come from the config), the dedup
index `_index/docs` (hash, word count and MinHash signature recomputed from each record's text),
and `_index/inputs` rows for inputs whose rows were lost (the input's current bytes are hashed
when the file still exists, so an unchanged file is still skipped). The inputs of lost records,
lost rejects and lost merges are forgotten (their rows leave `_index/inputs`, `_merges` and
`_audit`), so ingesting them again re-creates those rows once. What cannot be rebuilt: audit rows
of a lost `_audit` file whose records survived (listed in the report), and run history when the
manifest itself is lost (runs are listed by id only).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from crawler.dedup.minhash import MinHasher, shingle_set
from crawler.errors import DatasetDamagedError
from crawler.readers.inputs import input_hash
from crawler.record import SCHEMA_VERSION
from crawler.store.compact import SCHEMAS
from crawler.store.dataset import (
    FOLDERS,
    MANIFEST,
    QUARANTINE,
    TABLES,
    Dataset,
    file_info,
    sha256_of,
)
from crawler.store.integrity import read_whole, table_checks


@dataclass
class RepairReport:
    """What repair did and what it could not bring back."""

    quarantine: str | None = None  # the folder the moved files went to
    quarantined: list[dict[str, str]] = field(default_factory=list)  # {path, reason}
    lost_records: list[dict[str, Any]] = field(default_factory=list)  # {doc_id, inputs}
    forgotten_inputs: list[str] = field(default_factory=list)  # to ingest again
    rebuilt: list[str] = field(default_factory=list)
    not_rebuilt: list[str] = field(default_factory=list)
    records_before: int | None = None  # None: unknown (no readable manifest)
    records_after: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def repair(dataset: Dataset, dedup: dict[str, int]) -> RepairReport:
    """Repair the dataset (call it holding the lock). `dedup`: the settings to rebuild the dedup
    index with when the manifest, which records them, is lost."""
    report = RepairReport()
    stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}"
    quarantine = dataset.root / QUARANTINE / stamp
    try:
        old: dict[str, Any] | None = dataset.manifest()
    except DatasetDamagedError:
        old = None
        _move(dataset, quarantine, dataset.root / MANIFEST, "unreadable manifest", report)
    if old is not None and not (dataset.root / MANIFEST).exists():
        old = None
    if old is not None:
        report.records_before = int(old.get("total_records") or 0)
        dataset.roll_forward(old)
    good = _sort_files(dataset, old, quarantine, report)
    damaged = report.quarantined or report.not_rebuilt or old is None
    if not damaged and not table_checks(good, []):
        return report  # nothing to repair
    run_id = f"repair-{stamp}"
    params = (old or {}).get("dedup") or dedup
    written, replaced = _rebuild(dataset, good, run_id, params, report)
    manifest = _new_manifest(dataset, old, good, replaced, written, run_id, params, report)
    dataset.write_manifest(manifest)  # the commit point
    for path in written:
        os.replace(path.with_name(f".{path.name}.tmp"), path)
    for path in replaced:  # superseded by the rewritten tables: kept, out of readers' way
        _move(dataset, quarantine, path, "rewritten by repair", report)
    report.records_after = manifest["total_records"]
    if report.quarantined:
        report.quarantine = str(quarantine)
        quarantine.mkdir(parents=True, exist_ok=True)
        (quarantine / "report.json").write_text(json.dumps(report.to_dict(), indent=1))
        (quarantine / "lost_inputs.txt").write_text(
            "".join(f"{_input_path(u)}\n" for u in report.forgotten_inputs)
        )
    return report


def _move(
    dataset: Dataset, quarantine: Path, path: Path, reason: str, report: RepairReport
) -> None:
    rel = path.relative_to(dataset.root)
    target = quarantine / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, target)
    report.quarantined.append({"path": str(rel), "reason": reason})


def _sort_files(
    dataset: Dataset, old: dict[str, Any] | None, quarantine: Path, report: RepairReport
) -> dict[str, list[Path]]:
    """The files each table keeps; every other file in the table folders is quarantined."""
    good: dict[str, list[Path]] = {t: [] for t in TABLES}
    kept: set[Path] = set()
    if old is not None:
        info = old["file_info"]
        for table in TABLES:
            for rel in old["files"][table]:
                path = dataset.locate(rel, old)
                if not path.exists():
                    report.not_rebuilt.append(f"{rel}: missing, its rows are lost")
                    continue
                want = info.get(rel)
                if want and path.stat().st_size != want["size"]:
                    why: str | None = (
                        f"{path.stat().st_size} bytes, the manifest says {want['size']}"
                    )
                elif want and sha256_of(path) != want["sha256"]:
                    why = "checksum differs from the manifest's"
                else:
                    why = read_whole(path, SCHEMAS[table])
                if why:
                    _move(dataset, quarantine, path, why, report)
                else:
                    good[table].append(path)
                    kept.add(path)
    else:  # no manifest: every visible file that reads whole and says which run wrote it
        for path in dataset.table_files(hidden=False):
            table = _table_of(dataset, path)
            why = read_whole(path, SCHEMAS[table])
            if why is None and not _run_of(path):
                why = "no corpus.run_id in its metadata"
            if why:
                _move(dataset, quarantine, path, why, report)
            else:
                good[table].append(path)
                kept.add(path)
    for path in dataset.table_files(hidden=False):
        if path not in kept:
            _move(dataset, quarantine, path, "not in the manifest", report)
    for path in dataset.table_files(hidden=True):
        if path not in kept:
            _move(dataset, quarantine, path, "hidden file no committed run owns", report)
    return good


def _table_of(dataset: Dataset, path: Path) -> str:
    return max(
        (t for t in TABLES if path.is_relative_to(dataset.root / FOLDERS[t])),
        key=lambda t: len(FOLDERS[t]),
    )


def _run_of(path: Path) -> str:
    meta = pq.read_metadata(path).metadata or {}
    return str(meta.get(b"corpus.run_id", b"").decode())


def _read(files: list[Path], table: str, columns: list[str] | None = None) -> pa.Table:
    schema = SCHEMAS[table]
    parts = [pq.read_table(f, columns=columns, schema=schema) for f in files]
    empty = schema.empty_table()
    return pa.concat_tables(parts) if parts else (empty.select(columns) if columns else empty)


def _rebuild(
    dataset: Dataset,
    good: dict[str, list[Path]],
    run_id: str,
    params: dict[str, int],
    report: RepairReport,
) -> tuple[list[Path], list[Path]]:
    """Write the rebuilt index and the tables that lose rows; (new files, files they replace)."""
    records = _read(good["records"], "records", ["doc_id", "text", "content_hash", "word_count"])
    records_meta = _read(good["records"], "records", ["doc_id", "source_uri", "sources"])
    inputs = _read(good["_index/inputs"], "_index/inputs")
    merges = _read(good["merges"], "merges")
    rejects = _read(good["rejects"], "rejects")
    audit_ids = _read(good["audit"], "audit", ["doc_id", "source_uri"])
    index_ids = _read(good["_index/docs"], "_index/docs", ["doc_id"])
    doc_ids = set(records["doc_id"].to_pylist())

    pointed: dict[str, set[str]] = {}
    for data in (inputs, merges, audit_ids):
        for doc_id, uri in zip(
            data["doc_id"].to_pylist(), data["source_uri"].to_pylist(), strict=True
        ):
            if doc_id is not None:
                pointed.setdefault(doc_id, set()).add(uri)
    for doc_id in index_ids["doc_id"].to_pylist():
        pointed.setdefault(doc_id, set())
    lost = sorted(set(pointed) - doc_ids)
    report.lost_records = [{"doc_id": d, "inputs": sorted(pointed[d])} for d in lost]
    forget = {uri for d in lost for uri in pointed[d]}
    outcome = inputs["outcome"].to_pylist()
    uris = inputs["source_uri"].to_pylist()
    rejected = set(rejects["source_uri"].to_pylist())
    merged = set(merges["source_uri"].to_pylist())
    forget |= {
        u for u, o in zip(uris, outcome, strict=True) if o == "rejected" and u not in rejected
    }
    forget |= {u for u, o in zip(uris, outcome, strict=True) if o == "merged" and u not in merged}
    report.forgotten_inputs = sorted(forget)

    known = set(uris) - forget
    rebuilt_inputs = _lost_input_rows(records_meta, merges, rejects, known, forget, run_id)
    if rebuilt_inputs:
        report.rebuilt.append(
            f"_index/inputs: {len(rebuilt_inputs)} rows of inputs whose rows were lost"
        )
    if _audit_lost(report):
        report.not_rebuilt.append(
            "audit rows of the quarantined _audit files (their records are intact)"
        )

    writers: list[tuple[str, list[Path], list[dict[str, Any]]]] = []
    hasher = MinHasher(params["num_perm"])
    index_rows = [
        {
            "doc_id": row["doc_id"],
            "content_hash": row["content_hash"],
            "word_count": row["word_count"],
            "signature": hasher.signature(shingle_set(row["text"], params["shingle_size"]))
            .astype("<u4")
            .tobytes(),
        }
        for row in records.to_pylist()
    ]
    writers.append(("_index/docs", good["_index/docs"], index_rows))
    report.rebuilt.append(f"_index/docs: {len(index_rows)} records")
    keep_inputs = inputs.filter(
        pc.invert(pc.is_in(inputs["source_uri"], pa.array(sorted(forget), pa.string())))
    )
    writers.append(
        ("_index/inputs", good["_index/inputs"], [*keep_inputs.to_pylist(), *rebuilt_inputs])
    )
    for table in ("merges", "audit"):
        files = good[table]
        data = merges if table == "merges" else _read(files, "audit")
        drop = pc.is_in(data["source_uri"], pa.array(sorted(forget), pa.string()))
        if pc.any(drop).as_py():
            writers.append((table, files, data.filter(pc.invert(drop)).to_pylist()))

    written: list[Path] = []
    replaced: list[Path] = []
    for table, files, rows in writers:
        partition = _partition(dataset, table, files)
        writer = dataset.writer(table, SCHEMAS[table], run_id, partition)
        writer.write(rows)
        path = writer.close(write_empty=True)
        assert path is not None
        written.append(path)
        replaced += files
        good[table] = []
    return written, replaced


def _audit_lost(report: RepairReport) -> bool:
    return any(q["path"].startswith(FOLDERS["audit"]) for q in report.quarantined)


def _partition(dataset: Dataset, table: str, files: list[Path]) -> str | None:
    """The partition of a rewritten table's file: the latest of its files' (records, audit)."""
    if table not in ("records", "audit"):
        return None
    folders = sorted(p.parent.name for p in files if p.parent.name.startswith("ingest_date="))
    return folders[-1] if folders else f"ingest_date={datetime.now(UTC):%Y-%m-%d}"


def _lost_input_rows(
    records: pa.Table,
    merges: pa.Table,
    rejects: pa.Table,
    known: set[str],
    forget: set[str],
    run_id: str,
) -> list[dict[str, Any]]:
    """Inputs index rows for inputs that have a record, merge or reject but no index row (its
    file was lost): hashed from the input's current bytes where the file still exists, with an
    empty hash otherwise (a crawl still knows the URL; a file is then processed again)."""
    wanted: dict[str, tuple[str, str | None]] = {}
    for row in records.to_pylist():
        wanted.setdefault(row["source_uri"], ("record", row["doc_id"]))
        for source in row["sources"]:
            wanted.setdefault(source, ("merged", row["doc_id"]))
    for row in merges.to_pylist():
        wanted.setdefault(row["source_uri"], ("merged", row["doc_id"]))
    for uri in rejects["source_uri"].to_pylist():
        wanted.setdefault(uri, ("rejected", None))
    rows = []
    for uri, (outcome, doc_id) in sorted(wanted.items()):
        if uri in known or uri in forget:
            continue
        digest = input_hash(Path(_input_path(uri))) if uri.startswith("file:") else None
        rows.append(
            {
                "source_uri": uri,
                "input_hash": digest or "",
                "outcome": outcome,
                "doc_id": doc_id,
                "run_id": run_id,
            }
        )
    return rows


def _input_path(uri: str) -> str:
    """A file:// URI as a path; a URL as it is."""
    return unquote(urlparse(uri).path) if uri.startswith("file:") else uri


def _new_manifest(
    dataset: Dataset,
    old: dict[str, Any] | None,
    good: dict[str, list[Path]],
    replaced: list[Path],
    written: list[Path],
    run_id: str,
    params: dict[str, int],
    report: RepairReport,
) -> dict[str, Any]:
    """The manifest of what is kept plus what repair wrote (sizes and checksums recomputed)."""
    files: dict[str, list[str]] = {t: [] for t in TABLES}
    infos: dict[str, Any] = {}
    for table, paths in good.items():
        for path in paths:
            if path in replaced:
                continue
            rel = str(path.relative_to(dataset.root))
            files[table].append(rel)
            infos[rel] = file_info(path)
    for path in written:
        rel = str(path.relative_to(dataset.root))
        files[_table_of(dataset, path)].append(rel)
        infos[rel] = file_info(path.with_name(f".{path.name}.tmp"))
    runs = list(old["runs"]) if old else _runs_from(infos)
    total = sum(infos[rel]["rows"] for rel in files["records"])
    runs.append(
        {
            "run_id": run_id,
            "repair": {
                "quarantined": len(report.quarantined),
                "lost_records": len(report.lost_records),
                "forgotten_inputs": len(report.forgotten_inputs),
            },
            "total_records": total,
        }
    )
    if old is None:
        report.rebuilt.append(f"{MANIFEST}: from the metadata of {len(infos)} files")
    return {
        "schema_version": SCHEMA_VERSION,
        "files": files,
        "file_info": infos,
        "total_records": total,
        "dedup": params,
        "runs": runs,
    }


def _runs_from(infos: dict[str, Any]) -> list[dict[str, Any]]:
    ids: Iterable[str] = sorted({info["run_id"] for info in infos.values() if info["run_id"]})
    return [{"run_id": run_id, "rebuilt": True} for run_id in ids]
