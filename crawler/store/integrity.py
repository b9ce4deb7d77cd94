"""`corpus verify`: does the dataset hold what its manifest says, and do its tables agree?

File checks: every committed file exists with the size and sha256 the manifest recorded, no
visible file is missing from the manifest, no hidden file is left that no run owns; `deep`
also decompresses every page of every file (pyarrow) and checks its schema. Table checks, on
the files that passed: record ids are unique, the dedup index holds every record (same hash and
word count) and nothing else, every doc_id the side tables point at is a record, every rejected
or merged input of the inputs index has its reject or merge row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from crawler.errors import DatasetDamagedError
from crawler.store.compact import SCHEMAS
from crawler.store.dataset import FOLDERS, MANIFEST, TABLES, Dataset


@dataclass
class Verdict:
    """What verify found: one line per damaged file or disagreeing table."""

    problems: list[str] = field(default_factory=list)
    files_checked: int = 0
    bad_files: list[str] = field(default_factory=list)  # dataset-relative paths

    @property
    def clean(self) -> bool:
        return not self.problems


def read_whole(path: Path, schema: pa.Schema) -> str | None:
    """Why a Parquet file does not read whole against its table's schema, or None."""
    try:
        parquet = pq.ParquetFile(path)
        names = parquet.schema_arrow.names
        if names != schema.names:
            return f"columns {names} are not the table's {schema.names}"
        for group in range(parquet.num_row_groups):  # decompresses every page
            parquet.read_row_group(group)
    except Exception as exc:
        return (str(exc).splitlines() or [type(exc).__name__])[0]
    return None


def verify(dataset: Dataset, deep: bool = False) -> Verdict:
    """Check the dataset (read only: it changes nothing)."""
    verdict = Verdict()
    try:
        manifest = dataset.manifest()
    except DatasetDamagedError:
        verdict.problems.append(f"{MANIFEST}: unreadable (not valid JSON, or not a manifest)")
        verdict.bad_files.append(MANIFEST)
        return verdict
    for line in dataset.problems(checksums=True):
        verdict.problems.append(line)
        verdict.bad_files.append(line.split(": ", 1)[0])
    for path in dataset.table_files(hidden=True):
        rel = str(path.relative_to(dataset.root))
        owned = any(
            str(dataset.locate(r, manifest)) == str(path) for r in dataset.committed_rels(manifest)
        )
        if not owned:
            verdict.problems.append(f"{rel}: a hidden file no run owns (repair quarantines it)")
    if not (dataset.root / MANIFEST).exists():
        return verdict
    good: dict[str, list[Path]] = {}
    for table in TABLES:
        good[table] = []
        for rel in manifest["files"][table]:
            verdict.files_checked += 1
            if rel in verdict.bad_files:
                continue
            path = dataset.locate(rel, manifest)
            if deep and (why := read_whole(path, SCHEMAS[table])):
                verdict.problems.append(f"{rel}: {why}")
                verdict.bad_files.append(rel)
                continue
            good[table].append(path)
    verdict.problems += table_checks(good, verdict.bad_files)
    return verdict


def _column(files: list[Path], table: str, columns: list[str]) -> pa.Table:
    schema = SCHEMAS[table]
    parts = [pq.read_table(f, columns=columns, schema=schema) for f in files]
    return pa.concat_tables(parts) if parts else schema.empty_table().select(columns)


def table_checks(good: dict[str, list[Path]], bad: list[str]) -> list[str]:
    """The tables against the records (only the files that passed; a table with a bad file is
    not held to the records it lost)."""
    found: list[str] = []
    try:
        records = _column(good["records"], "records", ["doc_id", "content_hash", "word_count"])
        index = _column(
            good["_index/docs"], "_index/docs", ["doc_id", "content_hash", "word_count"]
        )
        inputs = _column(
            good["_index/inputs"], "_index/inputs", ["source_uri", "outcome", "doc_id"]
        )
        merges = _column(good["merges"], "merges", ["source_uri", "doc_id"])
        rejects = _column(good["rejects"], "rejects", ["source_uri"])
        audit = _column(good["audit"], "audit", ["doc_id"])
        revisions = _column(
            good["revisions"], "revisions", ["doc_id", "content_hash", "word_count"]
        )
    except (OSError, pa.ArrowException) as exc:  # bit rot a quick check cannot see: --deep
        return [f"a table cannot be read ({str(exc).splitlines()[0]}): run verify --deep"]
    lost_some = {t for t in TABLES if any(b.startswith(_folder(t)) for b in bad)}
    ids = records["doc_id"].to_pylist()
    doc_ids = set(ids)
    if len(ids) != len(doc_ids):
        found.append(f"records: {len(ids) - len(doc_ids)} rows repeat a doc_id")
    indexed = {(r["doc_id"], r["content_hash"], r["word_count"]) for r in index.to_pylist()}
    in_records = {(r["doc_id"], r["content_hash"], r["word_count"]) for r in records.to_pylist()}
    if "_index/docs" not in lost_some and (missing := in_records - indexed):
        found.append(f"_index/docs: {len(missing)} records missing (e.g. {_first(missing)})")
    # the dedup index keeps replaced revisions (a copy of an old text merges into it)
    in_records |= {(r["doc_id"], r["content_hash"], r["word_count"]) for r in revisions.to_pylist()}
    if "records" not in lost_some and (extra := indexed - in_records):
        found.append(f"_index/docs: {len(extra)} entries of no record (e.g. {_first(extra)})")
    if "records" not in lost_some:
        for name, data in (("_index/inputs", inputs), ("merges", merges), ("audit", audit)):
            pointed = {d for d in data["doc_id"].to_pylist() if d is not None}
            if dangling := pointed - doc_ids - set(revisions["doc_id"].to_pylist()):
                found.append(f"{name}: {len(dangling)} doc_ids of no record (e.g. {min(dangling)})")
    rejected = pc.equal(inputs["outcome"], "rejected")
    rejected_uris = set(inputs.filter(rejected)["source_uri"].to_pylist())
    if "rejects" not in lost_some and (
        unlisted := rejected_uris - set(rejects["source_uri"].to_pylist())
    ):
        found.append(f"rejects: {len(unlisted)} rejected inputs have no row (e.g. {min(unlisted)})")
    merged_uris = set(
        inputs.filter(pc.equal(inputs["outcome"], "merged"))["source_uri"].to_pylist()
    )
    if "merges" not in lost_some and (
        unlisted := merged_uris - set(merges["source_uri"].to_pylist())
    ):
        found.append(f"merges: {len(unlisted)} merged inputs have no row (e.g. {min(unlisted)})")
    return found


def _folder(table: str) -> str:
    return FOLDERS[table] + "/"


def _first(items: set[tuple[str, str, int]]) -> str:
    return min(items)[0]
