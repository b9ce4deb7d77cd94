"""The dataset directory: Parquet tables, a manifest that says which files are committed, a lock,
and crash recovery.

Layout under the dataset root (everything a dataset needs lives there; two roots never interact):

    records/ingest_date=<day>/part-<run>.parquet   one row per unique article (what consumers read)
    _audit/ingest_date=<day>/part-<run>.parquet    every removed line, with its reason
    _rejects/part-<run>.parquet       inputs that produced no record, with their reason
    _merges/part-<run>.parquet        inputs merged into a record as duplicates
    _index/docs/part-<run>.parquet    dedup index: content hash + MinHash signature per record
    _index/inputs/part-<run>.parquet  every input seen: its bytes' hash and what became of it
    _index/urls/part-<run>.parquet    crawled URLs found gone (404/410) or listing pages, and when
    _manifest.json                    committed files and run history (the commit point)
    .lock                             held by the run writing the dataset

Side tables live in `_`-prefixed folders, which pyarrow, pandas, Spark and Hive skip when they
discover a dataset, so reading the dataset folder itself yields the records and nothing else.

Commit protocol: new files are written as hidden `.part-<run>.parquet.tmp` (no reader or glob
picks them up), then the manifest is replaced atomically (the commit point), then the files are
renamed to their visible names. Recovery, at the start of every run, rolls a committed run forward
(finishes its renames) and deletes everything an uncommitted run left behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from crawler.errors import DatasetLockedError
from crawler.record import SCHEMA_VERSION

MANIFEST = "_manifest.json"
TABLES = ("records", "audit", "rejects", "merges", "_index/docs", "_index/inputs", "_index/urls")
FOLDERS = {  # table -> its folder under the dataset root
    "records": "records",
    "audit": "_audit",
    "rejects": "_rejects",
    "merges": "_merges",
    "_index/docs": "_index/docs",
    "_index/inputs": "_index/inputs",
    "_index/urls": "_index/urls",
}
_TMP_SUFFIX = ".tmp"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _hidden(path: Path) -> Path:
    return path.with_name(f".{path.name}{_TMP_SUFFIX}")


class TableWriter:
    """Streams rows of one table of one run into a hidden Parquet file (no reader sees it until
    the run commits). Rows are buffered into row groups of `rows_per_group`."""

    def __init__(self, final: Path, schema: pa.Schema, run_id: str, rows_per_group: int) -> None:
        self.final = final
        meta = dict(schema.metadata or {})
        meta[b"corpus.run_id"] = run_id.encode()
        self.schema = schema.with_metadata(meta)
        self.rows_per_group = rows_per_group
        self._rows: list[dict[str, Any]] = []
        self._writer: pq.ParquetWriter | None = None
        self.count = 0

    def write(self, rows: list[dict[str, Any]]) -> None:
        self._rows.extend(rows)
        self.count += len(rows)
        if len(self._rows) >= self.rows_per_group:
            self._flush()

    def _flush(self) -> None:
        if not self._rows:
            return
        if self._writer is None:
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(
                _hidden(self.final), self.schema, compression="zstd", compression_level=3
            )
        self._writer.write_table(pa.Table.from_pylist(self._rows, schema=self.schema))
        self._rows = []

    def close(self) -> Path | None:
        """Finish the file; its final path, or None when no row was written."""
        self._flush()
        if self._writer is None:
            return None
        self._writer.close()
        with open(_hidden(self.final), "rb") as handle:
            os.fsync(handle.fileno())
        return self.final


class Dataset:
    """A corpus dataset directory."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    # -- reading -----------------------------------------------------------------------------

    def manifest(self) -> dict[str, Any]:
        """The committed state: {"schema_version", "files": {table: [relpath]}, "runs": [...]}."""
        path = self.root / MANIFEST
        if not path.exists():
            return {"schema_version": SCHEMA_VERSION, "files": {t: [] for t in TABLES}, "runs": []}
        data: dict[str, Any] = json.loads(path.read_text("utf-8"))
        for table in TABLES:
            data["files"].setdefault(table, [])
        return data

    def files(self, table: str) -> list[Path]:
        """The committed files of a table. A run killed between its commit point and its renames
        leaves committed files under their hidden names until the next run renames them: those
        are given by their hidden name."""
        paths = [self.root / rel for rel in self.manifest()["files"][table]]
        return [_hidden(p) if not p.exists() and _hidden(p).exists() else p for p in paths]

    def read(self, table: str, schema: pa.Schema, columns: list[str] | None = None) -> pa.Table:
        """A committed table (empty, with the given schema, when it has no files yet)."""
        files = [str(f) for f in self.files(table)]
        if not files:
            empty = schema.empty_table()
            return empty.select(columns) if columns else empty
        return pads.dataset(files, schema=schema, format="parquet").to_table(columns=columns)

    def writer(
        self,
        table: str,
        schema: pa.Schema,
        run_id: str,
        partition: str | None = None,
        rows_per_group: int = 20_000,
    ) -> TableWriter:
        """A streaming writer for one table of a run (`partition`: "ingest_date=2026-11-21")."""
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}")
        folder = self.root / FOLDERS[table]
        folder = folder / partition if partition else folder
        return TableWriter(folder / f"part-{run_id}.parquet", schema, run_id, rows_per_group)

    def staging_dir(self, run_id: str) -> Path:
        """Where a run keeps its intermediate files (removed when it commits)."""
        path = self.root / "_staging" / run_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    # -- locking and recovery ---------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(
        self, wait_seconds: float = 0.0, on_wait: Callable[[str], None] | None = None
    ) -> Iterator[None]:
        """Hold the dataset's write lock; DatasetLockedError if another run holds it past the wait.

        The lock is an flock on `.lock`: the kernel releases it when the holder dies, so a
        killed run never leaves the dataset locked. `on_wait` is told once, with a line naming
        the holder, when this run has to wait.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+") as handle:
            deadline = time.monotonic() + wait_seconds
            told = False
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    if on_wait is not None and not told and wait_seconds > 0:
                        on_wait(
                            f"dataset {self.root} is being written by {holder}; waiting up to "
                            f"{wait_seconds:g} s for it"
                        )
                        told = True
                    if time.monotonic() >= deadline:
                        waited = f"; gave up after {wait_seconds:g} s" if wait_seconds else ""
                        raise DatasetLockedError(
                            f"dataset {self.root} is being written by {holder}{waited}; "
                            "wait for that run to finish"
                        ) from None
                    time.sleep(0.2)
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()} since {datetime.now(UTC).isoformat()}\n")
            handle.flush()
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def recover(self) -> list[str]:
        """Bring the directory in line with the manifest (call it holding the lock).

        Finishes the renames of a committed run, deletes files of runs that never committed and
        leftover staging. Returns what it did, one line per action.
        """
        actions: list[str] = []
        committed = {self.root / rel for rels in self.manifest()["files"].values() for rel in rels}
        for path in sorted(committed):
            if not path.exists() and _hidden(path).exists():
                _hidden(path).rename(path)
                actions.append(f"finished commit of {path.relative_to(self.root)}")
        for table in TABLES:
            folder = self.root / FOLDERS[table]
            if not folder.is_dir():
                continue
            for path in sorted(folder.rglob("*")):  # partition folders too
                if (
                    path.is_file()
                    and path not in committed
                    and path.name.endswith((".parquet", _TMP_SUFFIX))
                ):
                    path.unlink()
                    actions.append(f"removed uncommitted {path.relative_to(self.root)}")
        unfinished_manifest = self.root / f".{MANIFEST}{_TMP_SUFFIX}"
        if unfinished_manifest.exists():
            unfinished_manifest.unlink()
            actions.append(f"removed uncommitted {unfinished_manifest.name}")
        staging = self.root / "_staging"
        if staging.exists():
            shutil.rmtree(staging)
            actions.append("removed leftover staging")
        return actions

    # -- writing ---------------------------------------------------------------------------------

    def write_tables(self, run_id: str, tables: dict[str, pa.Table]) -> list[Path]:
        """Write whole tables of a run as hidden files (for small runs); their final paths."""
        written = []
        for table, data in tables.items():
            writer = self.writer(table, data.schema, run_id)
            writer.write(data.to_pylist())
            if (path := writer.close()) is not None:
                written.append(path)
        return written

    def commit(
        self,
        run_id: str,
        written: list[Path],
        run_info: dict[str, Any],
        superseded: list[Path] | None = None,
        dedup: dict[str, int] | None = None,
    ) -> list[Path]:
        """Commit a run's files (written hidden by `writer`/`write_tables`) and drop superseded
        ones, atomically. Returns the committed files.

        Committing a run that is already in the manifest (a retried task) only finishes it.
        """
        manifest = self.manifest()
        if any(run["run_id"] == run_id for run in manifest["runs"]):
            self.recover()
            return []
        gone = {str(p.relative_to(self.root)) for p in superseded or []}
        for table in TABLES:
            manifest["files"][table] = [f for f in manifest["files"][table] if f not in gone]
        for path in written:
            table = next(t for t in TABLES if path.is_relative_to(self.root / FOLDERS[t]))
            manifest["files"][table].append(str(path.relative_to(self.root)))
        manifest["schema_version"] = SCHEMA_VERSION
        if dedup is not None:
            manifest.setdefault("dedup", dedup)  # what the persisted signatures were made with
        manifest["runs"].append({"run_id": run_id, **run_info})

        tmp = self.root / f".{MANIFEST}{_TMP_SUFFIX}"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(manifest, handle, indent=1, sort_keys=True, default=str)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.root / MANIFEST)  # the commit point
        _fsync_dir(self.root)
        for path in written:
            os.replace(_hidden(path), path)
        for path in superseded or []:
            path.unlink(missing_ok=True)
        return written
