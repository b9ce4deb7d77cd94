"""Figures about a dataset for `corpus stats`: records, publishers, languages, duplicates,
boilerplate removed, rejects. Reads only the columns it needs."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from crawler.record import AUDIT_SCHEMA, MERGES_SCHEMA, RECORDS_SCHEMA, REJECTS_SCHEMA
from crawler.store.dataset import TABLES, Dataset


def _top(table: pa.Table, column: str, limit: int) -> list[tuple[str, int]]:
    if table.num_rows == 0:
        return []
    counts = table.group_by(column).aggregate([([], "count_all")])
    rows = sorted(
        zip(counts[column].to_pylist(), counts["count_all"].to_pylist(), strict=True),
        key=lambda kv: (-kv[1], str(kv[0])),
    )
    return [(k if k is not None else "(unknown)", v) for k, v in rows[:limit]]


def dataset_stats(dataset: Dataset, top: int = 10) -> dict[str, Any]:
    """The figures as a plain dict (JSON-ready)."""
    records = dataset.read(
        "records", RECORDS_SCHEMA, ["publisher", "language", "word_count", "removed_ratio"]
    )
    merges = dataset.read("merges", MERGES_SCHEMA, ["kind"])
    rejects = dataset.read("rejects", REJECTS_SCHEMA, ["reason"])
    audit = dataset.read("audit", AUDIT_SCHEMA, ["reason"])
    n, merged = records.num_rows, merges.num_rows
    words = pc.sum(records["word_count"]).as_py() or 0 if n else 0
    weights = pc.cast(records["word_count"], pa.float64())
    removed = (
        pc.sum(pc.multiply(pc.cast(records["removed_ratio"], pa.float64()), weights)).as_py()
        / words
        if words
        else 0.0
    )
    files = {t: dataset.files(t) for t in TABLES}
    return {
        "dataset": str(dataset.root),
        "records": n,
        "words": words,
        "inputs_merged_as_duplicates": merged,
        "duplicate_rate": round(merged / (n + merged), 4) if n + merged else 0.0,
        "merges_by_kind": dict(_top(merges, "kind", 5)),
        "boilerplate_removed_share": round(removed, 4),
        "publishers": _top(records, "publisher", top),
        "languages": _top(records, "language", top),
        "removal_reasons": _top(audit, "reason", top),
        "rejects": rejects.num_rows,
        "rejects_by_reason": _top(rejects, "reason", top),
        "runs": len(dataset.manifest()["runs"]),
        "files": {t: len(f) for t, f in files.items()},
        "bytes": {t: sum(p.stat().st_size for p in f) for t, f in files.items()},
        "row_groups": sum(pq.ParquetFile(p).metadata.num_row_groups for p in files["records"]),
    }


def format_stats(stats: dict[str, Any]) -> str:
    """The figures as a short text report."""

    def pairs(items: list[tuple[str, int]]) -> str:
        return ", ".join(f"{k} {v}" for k, v in items) or "-"

    mb = sum(stats["bytes"].values()) / 1e6
    return "\n".join(
        [
            f"dataset {stats['dataset']}: {stats['runs']} runs, "
            f"{sum(stats['files'].values())} files, {mb:.1f} MB",
            f"records {stats['records']}  words {stats['words']}  "
            f"duplicates merged {stats['inputs_merged_as_duplicates']} "
            f"(rate {stats['duplicate_rate']:.1%})  rejects {stats['rejects']}",
            f"boilerplate removed: {stats['boilerplate_removed_share']:.1%} of input text",
            f"publishers: {pairs(stats['publishers'])}",
            f"languages: {pairs(stats['languages'])}",
            f"top removal reasons: {pairs(stats['removal_reasons'])}",
            f"rejects by reason: {pairs(stats['rejects_by_reason'])}",
            f"records files: {stats['files']['records']} in {stats['row_groups']} row groups",
        ]
    )
