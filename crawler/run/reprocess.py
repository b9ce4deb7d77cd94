"""`corpus reprocess`: run the current chain again over every input still available, and replace
the dataset's records with the result as one commit.

The inputs: the files named by the dataset's inputs index that are still on disk (with their
current bytes), and the archived responses (`_warc/`) of the records a crawl stored.
They are ingested afresh into a scratch dataset inside the run's staging area (the same stages
as `corpus ingest`: worker pool, limits, rejects, dedup), so the live dataset is untouched
until the commit point, and a run stopped before it (Ctrl-C, a kill) leaves the old commit as it
was (the next run removes the staging area).

Then the scratch tables are mapped onto the old ones:

- a record keeps its `doc_id` when its source is the same: the old record whose kept source
  (`source_uri`) is the new record's, else one of whose merged sources it holds (each old id
  is given once); its `ingested_at`, partition and revision columns stay too. Other records get
  the id of their text, as in any run.
- records none of whose kept source was run again (a file deleted, a crawled page without an
  archived response) are kept as they were, with their audit, merges, rejects and index rows.

Records, audit, merges, rejects and the docs and inputs indexes are rewritten (each folder
built beside the live one and swapped in atomically after the commit point, as compaction
does); `_index/urls`, `_revisions` and the archive are kept. A reprocess whose result equals
the dataset adds no commit.
"""

from __future__ import annotations

import logging
import shutil
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pyarrow as pa
import pyarrow.compute as pc

from crawler import __version__
from crawler.config import Settings
from crawler.errors import DatasetDamagedError
from crawler.readers.files import file_uri
from crawler.readers.inputs import Input
from crawler.readers.warc import WarcReader, record_key
from crawler.record import make_doc_id
from crawler.report.changes import LISTED, ChangeReport, compare
from crawler.run.ingest import clean_batches, ingest_stages, scan_inputs
from crawler.run.progress import Progress
from crawler.run.session import RunSession
from crawler.run_types import RunContext, ScanResult
from crawler.schemas import REGISTRY
from crawler.store.dataset import FOLDERS, Dataset, TableWriter, repair_hint

LOGGER = logging.getLogger(__name__)
REBUILT = ("records", "audit", "merges", "rejects", "_index/docs", "_index/inputs")
ARCHIVE = "_warc"  # the crawl's raw responses (crawler.crawl.warc_archive)
# columns that say which run wrote a row, not what it holds: ignored when comparing
# kept from the old record when its id is kept: when it entered, its place in the article's
# history, and where its page was fetched and archived (a crawl's, not the archive reader's)
_KEPT_COLUMNS = (
    "ingested_at",
    "revision",
    "previous_doc_id",
    "seen_at",
    "source_kind",
    "fetched_url",
    "fetched_at",
    "http_content_type",
    "http_charset",
    "warc_file",
    "warc_offset",
    "warc_record_id",
)
_RUN_COLUMNS = {"run_id", "pipeline_version", "merged_at", "rejected_at"}


def reprocess(
    out: str | Path,
    settings: Settings,
    *,
    wait_seconds: float = 0.0,
    on_wait: Callable[[str], None] | None = None,
    progress: Progress | None = None,
) -> ChangeReport:
    """Reprocess the dataset at `out` (see the module doc); what changed."""
    with RunSession(out, settings, wait_seconds=wait_seconds, on_wait=on_wait) as session:
        dataset = session.dataset
        if leftovers := dataset.table_files(hidden=True):  # a folder swap would take them away
            raise DatasetDamagedError(
                f"dataset {dataset.root}: {leftovers[0].relative_to(dataset.root)} is a hidden "
                f"file no run owns; {repair_hint(dataset.root)}"
            )
        ctx = session.ctx
        scratch = Dataset(Path(ctx.staging) / "scratch")
        files, missing = input_files(dataset)
        archived, origin = archived_inputs(dataset, settings)
        LOGGER.info(
            "reprocess %s: %d input files (%d gone), %d archived responses",
            ctx.run_id,
            len(files),
            missing,
            len(archived),
        )
        if files or archived:
            _ingest(files, archived, scratch.root, settings, progress)
        rebuild = _Rebuild(dataset, scratch, ctx.run_id, datetime.fromisoformat(ctx.started_at))
        rebuild.origin = origin
        report = rebuild.plan()
        if rebuild.differs():
            rebuild.commit(Path(ctx.staging) / "swap")
            report.committed, report.run_id = True, ctx.run_id
        return report


def _ingest(
    files: list[str],
    archived: list[Input],
    root: Path,
    settings: Settings,
    progress: Progress | None,
) -> None:
    """Ingest the files and the archived responses into the scratch dataset at `root`."""

    def scan(ctx: RunContext, names: list[str]) -> ScanResult:
        found = scan_inputs(ctx, names, progress)
        return replace(
            found,
            new_files=[*found.new_files, *(i.key for i in archived)],
            new_inputs=[*found.new_inputs, *archived],
            inputs=found.inputs + len(archived),
        )

    with RunSession(root, settings) as session:
        ingest_stages(
            session,
            files,
            lambda ctx, batches, stats: clean_batches(ctx, batches, stats, progress),
            scan=scan,
        )


def archived_inputs(dataset: Dataset, settings: Settings) -> tuple[list[Input], dict[str, str]]:
    """The crawl's stored pages, read again from their archived responses in `_warc/`, and
    {their archive record's source_uri: the record's (the page's URL)}. Only stored records'
    responses: the archive also holds listing pages, errors and robots.txt, which a crawl
    never made records of."""
    columns = ["source_uri", "warc_file", "warc_offset"]
    rows = dataset.read("records", REGISTRY["records"].schema, columns).to_pylist()
    inputs: list[Input] = []
    origin: dict[str, str] = {}
    reader = WarcReader()
    for row in rows:
        name, offset = row["warc_file"], row["warc_offset"]
        if not name or offset is None or not name.startswith(f"{ARCHIVE}/"):
            continue  # not a crawled page, or one from before the archive
        path = dataset.root / name
        if not path.is_file():
            continue  # its record is kept as it was (a vanished input)
        item = reader.reopen(record_key(path, offset), settings)
        if item is not None:
            inputs.append(item)
            origin[item.source_uri] = row["source_uri"]
    return inputs, origin


def input_files(dataset: Dataset) -> tuple[list[str], int]:
    """The files to run again (inputs index sources still on disk; a web archive whole) and
    how many indexed files are gone. The crawl's own archive is read by `archived_inputs`."""
    table = dataset.read("_index/inputs", REGISTRY["_index/inputs"].schema, ["source_uri"])
    found: set[str] = set()
    missing = 0
    for uri in set(table["source_uri"].to_pylist()):
        parsed = urlparse(uri)
        if parsed.scheme != "file":
            continue
        path = Path(unquote(parsed.path))
        if path.is_relative_to(dataset.root):
            continue  # the crawl's archive: archived_inputs
        if path.is_file() and file_uri(path) == uri.split("#offset=", 1)[0]:
            found.add(str(path))
        else:
            missing += 1
    return sorted(found), missing


def _read(dataset: Dataset, name: str) -> pa.Table:
    return dataset.read(name, REGISTRY[name].schema)


def _mapped(column: pa.ChunkedArray, mapping: dict[str, str]) -> pa.ChunkedArray:
    """`column` (doc ids, nulls allowed) with every id in `mapping` replaced."""
    if not mapping:
        return column
    keys = pa.array(list(mapping), pa.string())
    values = pa.array(list(mapping.values()), pa.string())
    where = pc.index_in(column, value_set=keys)
    return pc.coalesce(pc.take(values, where), column)


def _pair_keys(table: pa.Table) -> pa.ChunkedArray:
    """One string per row naming its (doc_id, source_uri) pair."""
    joined: pa.ChunkedArray = pc.binary_join_element_wise(
        table["doc_id"], table["source_uri"], "\x00"
    )
    return joined


def _kept_rows(table: pa.Table, rerun: set[str], history: set[str]) -> pa.Table:
    """Rows of an input's table kept as they were: of an input not run again, or a replaced
    revision's own (`history`: its (doc_id, source) keys)."""
    if not table.num_rows:
        return table
    gone = pc.is_in(table["source_uri"], value_set=pa.array(sorted(rerun), pa.string()))
    keep = pc.invert(gone)
    if history:
        past = pc.is_in(_pair_keys(table), value_set=pa.array(sorted(history), pa.string()))
        keep = pc.or_(keep, pc.fill_null(past, False))
    return table.filter(keep)


def _only(table: pa.Table, column: str, values: set[str]) -> pa.Table:
    """Rows of `table` whose `column` is one of `values`."""
    if not table.num_rows:
        return table
    return table.filter(pc.is_in(table[column], value_set=pa.array(sorted(values), pa.string())))


class _Rebuild:
    """The new tables: scratch rows mapped to the old ids, plus the rows kept as they were."""

    def __init__(self, dataset: Dataset, scratch: Dataset, run_id: str, now: datetime) -> None:
        self.dataset = dataset
        self.scratch = scratch
        self.run_id = run_id
        self.now = now
        self.old: dict[str, pa.Table] = {}
        self.new: dict[str, pa.Table] = {}
        self.origin: dict[str, str] = {}  # archived response's source_uri -> the page's URL

    def plan(self) -> ChangeReport:
        old = {name: _read(self.dataset, name) for name in REBUILT}
        fresh = {name: self._as_crawled(_read(self.scratch, name), old) for name in REBUILT}
        rerun = set(fresh["_index/inputs"]["source_uri"].to_pylist())
        rerun |= set(fresh["rejects"]["source_uri"].to_pylist())
        records = old["records"]
        kept_sources = records["source_uri"].to_pylist()
        carried = {
            d
            for d, s in zip(records["doc_id"].to_pylist(), kept_sources, strict=True)
            if s not in rerun
        }
        carried_sources = {s for s in kept_sources if s not in rerun}
        past = _read(self.dataset, "revisions").select(["doc_id", "source_uri"])
        history = set(_pair_keys(past).to_pylist())  # (replaced revision, its own source)
        mapping = self._ids(old, fresh, carried)
        new = {}
        for name in REBUILT:
            rows = fresh[name]
            if "doc_id" in rows.column_names:
                rows = rows.set_column(
                    rows.schema.get_field_index("doc_id"),
                    rows.schema.field("doc_id"),
                    _mapped(rows["doc_id"], mapping),
                )
            if name == "records":
                kept = _only(old[name], "doc_id", carried)
            elif name == "_index/docs":  # with the replaced revisions' (see integrity.py)
                kept = _only(old[name], "doc_id", carried | set(past["doc_id"].to_pylist()))
            else:  # and the replaced revisions' own audit and input rows: their history
                kept = _kept_rows(old[name], rerun, history if name != "merges" else set())
            new[name] = pa.concat_tables([kept, rows.cast(kept.schema)])
        new["records"] = self._keep_old_columns(new["records"], old["records"])
        self.old, self.new = old, new
        report = compare(_light(old["records"]), _light(new["records"]), carried)
        report.inputs = len(rerun)
        report.vanished_sources = sorted(carried_sources)[:LISTED]
        return report

    def _as_crawled(self, rows: pa.Table, old: dict[str, pa.Table]) -> pa.Table:
        """Scratch rows of archived responses under their pages' sources (the URL), with the
        old input hash (the crawl hashed the page as fetched, the archive reader its payload)."""
        if not self.origin or not rows.num_rows or "source_uri" not in rows.column_names:
            return rows
        index = rows.schema.get_field_index("source_uri")
        rows = rows.set_column(
            index, rows.schema.field(index), _mapped(rows["source_uri"], self.origin)
        )
        if "sources" in rows.column_names:
            lists = [
                sorted(self.origin.get(s, s) for s in row) for row in rows["sources"].to_pylist()
            ]
            index = rows.schema.get_field_index("sources")
            field = rows.schema.field(index)
            rows = rows.set_column(index, field, pa.array(lists, field.type))
        if "input_hash" in rows.column_names:
            known = old["_index/inputs"]
            hashes = dict(
                zip(known["source_uri"].to_pylist(), known["input_hash"].to_pylist(), strict=True)
            )
            crawled = set(self.origin.values())
            column = [
                hashes.get(s, h) if s in crawled else h
                for s, h in zip(
                    rows["source_uri"].to_pylist(), rows["input_hash"].to_pylist(), strict=True
                )
            ]
            index = rows.schema.get_field_index("input_hash")
            rows = rows.set_column(index, rows.schema.field(index), pa.array(column, pa.string()))
        return rows

    def _ids(
        self, old: dict[str, pa.Table], fresh: dict[str, pa.Table], carried: set[str]
    ) -> dict[str, str]:
        """{new doc_id: old doc_id} for new records whose source is an old record's."""
        by_kept = dict(
            zip(
                old["records"]["source_uri"].to_pylist(),
                old["records"]["doc_id"].to_pylist(),
                strict=True,
            )
        )
        inputs = old["_index/inputs"]
        by_any = {
            s: d
            for s, d in zip(
                inputs["source_uri"].to_pylist(), inputs["doc_id"].to_pylist(), strict=True
            )
            if d is not None
        }
        live = set(old["records"]["doc_id"].to_pylist()) - carried
        claimed: set[str] = set()
        mapping: dict[str, str] = {}
        kept_own: set[str] = set()  # new records that keep their own id (same text, same id)
        rows = fresh["records"].select(["doc_id", "source_uri", "sources"]).to_pylist()
        # records whose kept source is an old record's kept source claim first
        rows.sort(key=lambda r: (r["source_uri"] not in by_kept, r["doc_id"]))
        for row in rows:
            wanted = [by_kept.get(row["source_uri"])] + [by_any.get(s) for s in row["sources"]]
            old_id = next((d for d in wanted if d in live and d not in claimed), None)
            if old_id is not None:
                claimed.add(old_id)
                if old_id != row["doc_id"]:
                    mapping[row["doc_id"]] = old_id
                else:
                    kept_own.add(old_id)
        # a new record whose own id an old record kept under another text gives it up
        taken = claimed | carried
        for row in rows:
            own = row["doc_id"]
            if own not in mapping and own not in kept_own and own in taken:
                mapping[own] = make_doc_id(f"{own}:{self.run_id}")
        return mapping

    def _keep_old_columns(self, new: pa.Table, old: pa.Table) -> pa.Table:
        """Records that kept their id keep when they entered (`ingested_at`, and so their
        partition) and their place in the article's history (revision columns)."""
        ids = new["doc_id"].to_pylist()
        for name in _KEPT_COLUMNS:
            before = dict(zip(old["doc_id"].to_pylist(), old[name].to_pylist(), strict=True))
            column = [
                before.get(d, value) for d, value in zip(ids, new[name].to_pylist(), strict=True)
            ]
            index = new.schema.get_field_index(name)
            field = new.schema.field(index)
            new = new.set_column(index, field, pa.array(column, field.type))
        return new

    def differs(self) -> bool:
        """Whether the rebuilt tables hold anything the old ones do not (run ids aside)."""
        return not all(_same(self.old[n], self.new[n]) for n in REBUILT)

    def commit(self, swap_root: Path) -> None:
        """Write the new tables beside the live folders and swap them in with one commit."""
        day_of = {
            d: f"{when:%Y-%m-%d}"
            for d, when in zip(
                self.new["records"]["doc_id"].to_pylist(),
                self.new["records"]["ingested_at"].to_pylist(),
                strict=True,
            )
        }
        today = f"{self.now:%Y-%m-%d}"
        written: list[Path] = []
        superseded: list[Path] = []
        swaps: list[tuple[Path, Path]] = []
        for name in REBUILT:
            spec = REGISTRY[name]
            groups: dict[Path, list[dict[str, Any]]] = defaultdict(list)
            root = self.dataset.root / FOLDERS[name]
            for path in self.dataset.files(name):
                groups.setdefault(path.parent, [])
                superseded.append(path)
            for row in self.new[name].to_pylist():
                folder = root
                if spec.partition_by:
                    folder = root / str(spec.partition(day_of.get(row["doc_id"], today)))
                groups[folder].append(row)
            if not groups:
                groups[root] = []
            for folder, rows in sorted(groups.items()):
                folder.mkdir(parents=True, exist_ok=True)  # a new partition: an empty one swaps
                shadow = swap_root / folder.relative_to(self.dataset.root)
                out = folder / f"part-{self.run_id}.parquet"
                writer = TableWriter(shadow / out.name, spec.schema, self.run_id, 20_000)
                writer.write(rows)
                writer.close(write_empty=True)
                written.append(out)
                swaps.append((folder, shadow))
        info = {"reprocess": True, "pipeline_version": __version__}
        self.dataset.commit(self.run_id, written, info, superseded, swaps=swaps)
        shutil.rmtree(swap_root, ignore_errors=True)  # the swapped-out old files with it


def _light(records: pa.Table) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = records.select(
        ["doc_id", "text", "word_count", "sources", "title"]
    ).to_pylist()
    return rows


def _same(old: pa.Table, new: pa.Table) -> bool:
    """Whether two versions of a table hold the same rows in any order, without the columns
    that name the writing run (compared as Arrow columns, sorted by every scalar column)."""
    if old.num_rows != new.num_rows:
        return False
    names = [n for n in old.column_names if n not in _RUN_COLUMNS]
    keys = [(n, "ascending") for n in names if not pa.types.is_list(old.schema.field(n).type)]
    old, new = old.select(names), new.select(names).cast(old.select(names).schema)
    return bool(old.sort_by(keys).equals(new.sort_by(keys)))
