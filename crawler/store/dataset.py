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
renamed to their visible names. The manifest records each committed file's size, sha256, row
count and run id. Recovery, at the start of every run, rolls a committed run forward (finishes
its renames) and deletes only what it can prove an unfinished run left: hidden files of a run the
manifest does not list. Anything else that disagrees with the manifest (a committed file missing,
cut short, an unlisted visible file, a missing or unreadable manifest) is damage: runs refuse
(DatasetDamagedError) until `corpus repair` (crawler/store/repair.py) has fixed it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import hashlib
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

from crawler.errors import DatasetAccessError, DatasetDamagedError, DatasetLockedError
from crawler.record import SCHEMA_VERSION
from crawler.schemas import REGISTRY
from crawler.schemas import table as registered_table

MANIFEST = "_manifest.json"
TABLES = tuple(REGISTRY)  # the registry's table names, in its order
FOLDERS = {name: t.folder for name, t in REGISTRY.items()}  # table -> folder under the root
_TMP_SUFFIX = ".tmp"
STAGING = "_staging"
# A crawl's raw responses (WARC files, crawler.crawl.warc_archive): committed with its run like
# table files, listed in the manifest under this name, but not a table (no Parquet, no rows).
ARCHIVE = "_warc"
QUARANTINE = "_quarantine"


def repair_hint(root: Path) -> str:
    return (
        f"run `corpus verify --out {root}` to list the damage, "
        f"`corpus repair --out {root}` to fix it"
    )


def sha256_of(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def file_info(path: Path) -> dict[str, Any]:
    """What the manifest records of a committed file: size, sha256, rows, run id."""
    if not path.name.endswith((".parquet", f".parquet{_TMP_SUFFIX}")):  # an archive file
        return {"size": path.stat().st_size, "sha256": sha256_of(path), "rows": 0, "run_id": ""}
    meta = pq.read_metadata(path)
    run_id = (meta.metadata or {}).get(b"corpus.run_id", b"").decode()
    return {
        "size": path.stat().st_size,
        "sha256": sha256_of(path),
        "rows": meta.num_rows,
        "run_id": run_id,
    }


def run_of_name(name: str) -> str | None:
    """The run id in a table file's name (`part-<run>.parquet`, hidden or not), else None."""
    name = name.removeprefix(".").removesuffix(_TMP_SUFFIX)
    if name.startswith("part-") and name.endswith(".parquet"):
        return name[len("part-") : -len(".parquet")]
    return None


_LIBC = ctypes.CDLL(None, use_errno=True)
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange_dirs(a: Path, b: Path) -> None:
    """Swap two directories atomically (renameat2 RENAME_EXCHANGE): a reader listing either path
    sees the old contents or the new, never both or neither. Where the file system cannot, falls
    back to two renames (a moment when `b` is missing)."""
    if _LIBC.renameat2(_AT_FDCWD, bytes(a), _AT_FDCWD, bytes(b), _RENAME_EXCHANGE) == 0:
        return
    err = ctypes.get_errno()
    if err not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        raise OSError(err, os.strerror(err), str(b))
    aside = a.with_name(a.name + ".old")
    os.rename(b, aside)
    os.rename(a, b)
    os.rename(aside, a)


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
        self._tables: list[pa.Table] = []  # written as tables, in order with the rows
        self._buffered = 0
        self._writer: pq.ParquetWriter | None = None
        self.count = 0

    @property
    def hidden(self) -> Path:
        """Where the file is written until a commit renames it to `final`."""
        return _hidden(self.final)

    def write(self, rows: list[dict[str, Any]]) -> None:
        self._rows.extend(rows)
        self._added(len(rows))

    def write_table(self, table: pa.Table) -> None:
        """Rows already in Arrow: the table's columns are the schema's, by name (any order),
        each of the schema's type."""
        if self._rows:  # the rows written before it come first
            self._tables.append(self._table_of_rows())
        chosen = table.select(self.schema.names)
        for given, wanted in zip(chosen.schema, self.schema, strict=True):
            if given.type != wanted.type:  # from_arrays would not say
                raise TypeError(f"column {wanted.name!r} is {given.type}, not {wanted.type}")
        self._tables.append(pa.Table.from_arrays(chosen.columns, schema=self.schema))
        self._added(table.num_rows)

    def _added(self, rows: int) -> None:
        self.count += rows
        self._buffered += rows
        if self._buffered >= self.rows_per_group:
            self._flush()

    def _table_of_rows(self) -> pa.Table:
        table = pa.Table.from_pylist(self._rows, schema=self.schema)
        self._rows = []
        return table

    def _flush(self) -> None:
        if self._rows:
            self._tables.append(self._table_of_rows())
        if not self._tables:
            return
        if self._writer is None:
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(
                _hidden(self.final), self.schema, compression="zstd", compression_level=3
            )
        table = self._tables[0] if len(self._tables) == 1 else pa.concat_tables(self._tables)
        self._writer.write_table(table)
        self._tables, self._buffered = [], 0

    def close(self, write_empty: bool = False) -> Path | None:
        """Finish the file; its final path, or None when no row was written (unless
        `write_empty`: then a valid file with no rows, so readers' globs find the table)."""
        self._flush()
        if self._writer is None and write_empty:
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(_hidden(self.final), self.schema, compression="zstd")
        if self._writer is None:
            return None
        self._writer.close()
        with open(_hidden(self.final), "rb") as handle:
            os.fsync(handle.fileno())
        return self.final

    def abort(self) -> None:
        """Drop the unfinished file (a run that fails before its commit point)."""
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.close()
        _hidden(self.final).unlink(missing_ok=True)


class Dataset:
    """A corpus dataset directory."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    # -- reading -----------------------------------------------------------------------------

    def manifest(self) -> dict[str, Any]:
        """The committed state: {"schema_version", "files": {table: [relpath]}, "file_info":
        {relpath: {size, sha256, rows, run_id}}, "total_records", "runs": [...]}. An empty one
        when there is no manifest; DatasetDamagedError when it cannot be read."""
        path = self.root / MANIFEST
        if not path.exists():
            return {
                "schema_version": SCHEMA_VERSION,
                "files": {t: [] for t in TABLES},
                "file_info": {},
                "total_records": 0,
                "runs": [],
            }
        try:
            data = json.loads(path.read_text("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            if not isinstance(data.get("files"), dict) or not isinstance(data.get("runs"), list):
                raise ValueError("no files or runs")
            if not all(isinstance(r, dict) and "run_id" in r for r in data["runs"]):
                raise ValueError("a run without a run_id")
            for table in TABLES:
                files = data["files"].setdefault(table, [])
                if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
                    raise ValueError(f"bad file list for {table}")
        except (OSError, ValueError) as exc:
            raise DatasetDamagedError(
                f"dataset {self.root}: {MANIFEST} is unreadable ({exc}); {repair_hint(self.root)}"
            ) from None
        data.setdefault("file_info", {})
        data.setdefault("total_records", 0)
        return data

    def total_records(self) -> int:
        """Record rows of the committed files, from the manifest (no file is read)."""
        manifest = self.manifest()
        info = manifest["file_info"]
        return sum(int(info.get(rel, {}).get("rows", 0)) for rel in manifest["files"]["records"])

    def locate(self, rel: str, manifest: dict[str, Any] | None = None) -> Path:
        """Where a committed file is now: its own path; its hidden name (a run killed between
        its commit point and its renames); or a compaction's swap folder (killed before its
        folder swap). Its own path when it is nowhere."""
        return self._located(rel, _swaps(manifest or self.manifest()))

    def _located(self, rel: str, swaps: list[tuple[str, str]]) -> Path:
        path = self.root / rel
        candidates = [path, _hidden(path)]
        for live, shadow in swaps:
            if Path(rel).is_relative_to(live):
                moved = self.root / shadow / Path(rel).relative_to(live)
                candidates += [moved, _hidden(moved)]
        return next((c for c in candidates if c.exists()), path)

    def files(self, table: str, manifest: dict[str, Any] | None = None) -> list[Path]:
        """The committed files of a table, where they are now (see `locate`), by `manifest`
        (default: the one on disk now)."""
        manifest = self.manifest() if manifest is None else manifest
        swaps = _swaps(manifest)
        return [self._located(rel, swaps) for rel in manifest["files"][table]]

    def read(self, table: str, schema: pa.Schema, columns: list[str] | None = None) -> pa.Table:
        """A committed table (empty, with the given schema, when it has no files yet).
        DatasetDamagedError, naming the file, when one cannot be read."""
        files = [str(f) for f in self.files(table)]
        if not files:
            empty = schema.empty_table()
            return empty.select(columns) if columns else empty
        if table.startswith("_index/"):
            self.check_sums(table)
        try:
            return pads.dataset(files, schema=schema, format="parquet").to_table(columns=columns)
        except (OSError, pa.ArrowException) as exc:
            raise self.damaged_file_error(files, exc) from None

    def check_sums(self, table: str) -> None:
        """Checksums of a table's files against the manifest's. The indexes are read whole by
        every run, and a flipped bit in them can decode silently into wrong hashes; hashing
        costs a fraction of reading them (bench/damage_report.py --measure)."""
        manifest = self.manifest()
        for rel in manifest["files"][table]:
            want = manifest["file_info"].get(rel)
            if want and sha256_of(self.locate(rel, manifest)) != want["sha256"]:
                raise DatasetDamagedError(
                    f"dataset {self.root}: {rel} differs from its checksum in the manifest; "
                    f"{repair_hint(self.root)}"
                )

    def damaged_file_error(self, files: list[str], exc: BaseException) -> DatasetDamagedError:
        """The error for a read that failed: names the first file that does not read whole."""
        bad = next((f for f in files if not _reads_whole(Path(f))), None)
        where = str(Path(bad).relative_to(self.root)) if bad else "a committed file"
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return DatasetDamagedError(
            f"dataset {self.root}: {where} cannot be read ({reason}); {repair_hint(self.root)}"
        )

    def writer(
        self,
        table: str,
        schema: pa.Schema,
        run_id: str,
        partition: str | None = None,
        rows_per_group: int = 20_000,
    ) -> TableWriter:
        """A streaming writer for one table of a run (`partition`: "ingest_date=2026-11-21",
        for a table the registry partitions)."""
        kind = registered_table(table)
        if partition is not None and not (
            kind.partition_by and partition.startswith(kind.partition_by + "=")
        ):
            raise ValueError(f"table {table!r} has no partition {partition!r}")
        folder = self.root / kind.folder
        folder = folder / partition if partition else folder
        return TableWriter(folder / f"part-{run_id}.parquet", schema, run_id, rows_per_group)

    def staging_dir(self, run_id: str) -> Path:
        """Where a run keeps its intermediate files (removed when it commits). Its existence
        also marks the run as started: recovery may delete the hidden files of a run that has
        a staging area and is not in the manifest."""
        path = self.root / STAGING / run_id
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
        the holder, when this run has to wait. DatasetAccessError when the folder cannot be
        written (not a folder, read-only, `.lock` not a file).
        """
        handle = self._open_lock()
        with handle:
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

    def _open_lock(self) -> Any:
        """The lock file, opened for writing; DatasetAccessError with the reason if it cannot be."""
        lock = self.root / ".lock"
        try:
            if self.root.exists() and not self.root.is_dir():
                raise DatasetAccessError(f"{self.root} is a file, not a dataset folder")
            self.root.mkdir(parents=True, exist_ok=True)
            if lock.is_dir():
                raise DatasetAccessError(
                    f"{lock} is a folder, not a lock file: remove it (a run creates the file)"
                )
            return open(lock, "a+")  # closed by lock()
        except (FileExistsError, NotADirectoryError):
            raise DatasetAccessError(f"{self.root}: a part of this path is a file") from None
        except OSError as exc:
            raise access_error(exc, self.root) from None

    def problems(self, checksums: bool = False) -> list[str]:
        """What disagrees with the manifest, one line per file: committed files missing or of
        another size (or checksum, with `checksums`), visible files no manifest lists, a missing
        or unreadable manifest. Cheap without checksums (one stat per file): run at every start."""
        try:
            manifest = self.manifest()
        except DatasetDamagedError:
            return [f"{MANIFEST}: unreadable (not valid JSON, or not a manifest)"]
        found: list[str] = []
        if not (self.root / MANIFEST).exists():
            data = [str(p.relative_to(self.root)) for p in self.table_files(hidden=False)]
            if data:
                found.append(f"{MANIFEST}: missing, but {len(data)} data files are present")
            return found
        info = manifest["file_info"]
        committed = set()
        pending = self._pending_swaps(manifest)
        for table in (*TABLES, ARCHIVE):
            for rel in manifest["files"].get(table, []):
                committed.add(rel)
                path = self.locate(rel, manifest)
                if not path.exists():
                    found.append(f"{rel}: missing")
                    continue
                want = info.get(rel)
                if want is None:
                    continue  # from before checksums: `recover` records them
                size = path.stat().st_size
                if size != want["size"]:
                    found.append(f"{rel}: {size} bytes, the manifest says {want['size']}")
                elif checksums and sha256_of(path) != want["sha256"]:
                    found.append(f"{rel}: checksum differs from the manifest's (bit rot?)")
        for path in self.table_files(hidden=False):
            rel = str(path.relative_to(self.root))
            if rel not in committed and path.parent not in pending:
                found.append(f"{rel}: a visible file the manifest does not list")
        return found

    def table_files(self, hidden: bool) -> list[Path]:
        """Files in the table folders: visible `*.parquet`, or (hidden) `.*.tmp`."""
        found = []
        for table in TABLES:
            folder = self.root / FOLDERS[table]
            if not folder.is_dir():
                continue
            pattern = f".*{_TMP_SUFFIX}" if hidden else "*.parquet"
            found += [
                p
                for p in folder.rglob(pattern)
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(folder).parts[:-1])
                and (hidden or not p.name.startswith("."))
            ]
        return sorted(found)

    def recover(self) -> list[str]:
        """Bring the directory in line with the manifest (call it holding the lock).

        Finishes what a committed run left undone (renames, a compaction's folder swaps),
        deletes the hidden files of runs that never committed and leftover staging, and records
        size and checksum of committed files that have none yet (older manifests). Damage (see
        `problems`) raises DatasetDamagedError before anything is touched. Returns what it did,
        one line per action.
        """
        if found := self.problems():
            more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
            raise DatasetDamagedError(
                f"dataset {self.root} is damaged: {found[0]}{more}; {repair_hint(self.root)}"
            )
        manifest = self.manifest()
        has_manifest = (self.root / MANIFEST).exists()
        actions = self.roll_forward(manifest)
        committed_runs = {run["run_id"] for run in manifest["runs"]}
        committed = {self.root / rel for rels in manifest["files"].values() for rel in rels}
        staging = self.root / STAGING
        started = {p.name for p in staging.iterdir()} if staging.is_dir() else set()
        for path in self.table_files(hidden=True):
            run = run_of_name(path.name)
            if path.with_name(path.name[1 : -len(_TMP_SUFFIX)]) in committed:
                continue
            # proven uncommitted: the (readable) manifest, the commit point, does not list its
            # run; without a manifest, only a run that left its staging area
            if run is not None and run not in committed_runs and (has_manifest or run in started):
                path.unlink()
                actions.append(f"removed uncommitted {path.relative_to(self.root)}")
        archives = self.root / ARCHIVE  # a run's archive files are staged elsewhere until then
        for path in sorted(archives.glob(f".*{_TMP_SUFFIX}")) if archives.is_dir() else []:
            if path.with_name(path.name[1 : -len(_TMP_SUFFIX)]) not in committed:
                path.unlink()
                actions.append(f"removed uncommitted {path.relative_to(self.root)}")
        unfinished_manifest = self.root / f".{MANIFEST}{_TMP_SUFFIX}"
        if unfinished_manifest.exists():
            unfinished_manifest.unlink()
            actions.append(f"removed uncommitted {unfinished_manifest.name}")
        if staging.exists():
            shutil.rmtree(staging)
            actions.append("removed leftover staging")
        if has_manifest and any(
            rel not in manifest["file_info"] for rel in self.committed_rels(manifest)
        ):
            self._record_file_info(manifest)
            actions.append("recorded sizes and checksums of the committed files")
        return actions

    def roll_forward(self, manifest: dict[str, Any]) -> list[str]:
        """Finish what committed runs left undone: a compaction's swaps, renames of files still
        under their hidden names. Returns what it did."""
        actions: list[str] = []
        for run in manifest["runs"]:
            actions += self._finish_swaps(run)
        for rel in self.committed_rels(manifest):
            path = self.root / rel
            if not path.exists() and _hidden(path).exists():
                _hidden(path).rename(path)
                actions.append(f"finished commit of {rel}")
        return actions

    @staticmethod
    def committed_rels(manifest: dict[str, Any]) -> list[str]:
        return [rel for table in (*TABLES, ARCHIVE) for rel in manifest["files"].get(table, [])]

    def _record_file_info(self, manifest: dict[str, Any]) -> None:
        """Add size, checksum and rows of committed files that have none (older manifests)."""
        for rel in self.committed_rels(manifest):
            if rel not in manifest["file_info"]:
                try:
                    manifest["file_info"][rel] = file_info(self.locate(rel, manifest))
                except (OSError, pa.ArrowException) as exc:
                    raise self.damaged_file_error([str(self.root / rel)], exc) from None
        manifest["total_records"] = sum(
            manifest["file_info"][rel]["rows"] for rel in manifest["files"]["records"]
        )
        self.write_manifest(manifest)

    def _pending_swaps(self, manifest: dict[str, Any]) -> set[Path]:
        """Live folders of committed compactions whose swap is still to be made: their visible
        files are the superseded ones, which the swap takes away."""
        pending = set()
        for run in manifest["runs"]:
            for live, shadow in run.get("swaps", []):
                names = run.get("new_files", {}).get(live, [])
                if (self.root / shadow).is_dir() and not any(
                    (self.root / live / n).exists() for n in names
                ):
                    pending.add(self.root / live)
        return pending

    def _finish_swaps(self, run: dict[str, Any]) -> list[str]:
        """Roll a committed compaction forward: make its new files visible in their swap folders
        and swap those in (idempotent: a swap already made is not made again)."""
        actions = []
        for live, shadow in run.get("swaps", []):
            live_dir, shadow_dir = self.root / live, self.root / shadow
            if not shadow_dir.is_dir():
                continue
            for name in run.get("new_files", {}).get(live, []):
                if _hidden(shadow_dir / name).exists():
                    os.replace(_hidden(shadow_dir / name), shadow_dir / name)
                if (shadow_dir / name).exists() and not (live_dir / name).exists():
                    exchange_dirs(shadow_dir, live_dir)
                    actions.append(f"finished compaction of {live}")
                    break
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

    def adopt(self, source: Path) -> Path:
        """Place a run's archive file (a crawl's WARC, written in its staging folder) in
        `_warc/` under its hidden name, for `commit`; its final path. The staged file stays
        (hard-linked, or copied across file systems) until the run is committed."""
        final = self.root / ARCHIVE / source.name
        final.parent.mkdir(parents=True, exist_ok=True)
        _hidden(final).unlink(missing_ok=True)
        try:
            os.link(source, _hidden(final))
        except OSError:
            shutil.copyfile(source, _hidden(final))
        with open(_hidden(final), "rb") as handle:
            os.fsync(handle.fileno())
        return final

    def discard_uncommitted(self, path: Path) -> None:
        """Delete the hidden file a run wrote for `path` (the run failed before committing)."""
        _hidden(path).unlink(missing_ok=True)

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Replace the manifest atomically (the commit point of whatever it adds)."""
        tmp = self.root / f".{MANIFEST}{_TMP_SUFFIX}"
        try:
            with open(tmp, "w", encoding="utf-8") as handle:
                json.dump(manifest, handle, indent=1, sort_keys=True, default=str)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError:
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, self.root / MANIFEST)  # the commit point
        _fsync_dir(self.root)

    def commit(
        self,
        run_id: str,
        written: list[Path],
        run_info: dict[str, Any],
        superseded: list[Path] | None = None,
        dedup: dict[str, int] | None = None,
        swaps: list[tuple[Path, Path]] | None = None,
    ) -> list[Path]:
        """Commit a run's files (written hidden by `writer`/`write_tables`) and drop superseded
        ones, atomically. Returns the committed files.

        `swaps` (compaction): (live folder, swap folder) pairs; a written file under a live
        folder was written in its swap folder, which replaces the live folder (with one atomic
        exchange each) after the commit point, so glob readers see old rows or new, never both.

        Committing a run that is already in the manifest (a retried task) only finishes it.
        """
        manifest = self.manifest()
        if any(run["run_id"] == run_id for run in manifest["runs"]):
            self.recover()
            return []
        swaps = swaps or []

        def where(path: Path) -> Path:  # the written file's location before the swap
            for live, shadow in swaps:
                if path.is_relative_to(live):
                    return shadow / path.relative_to(live)
            return path

        gone = {str(p.relative_to(self.root)) for p in superseded or []}
        for table in TABLES:
            manifest["files"][table] = [f for f in manifest["files"][table] if f not in gone]
        for rel in gone:
            manifest["file_info"].pop(rel, None)
        for path in written:
            kind = next((t for t in TABLES if path.is_relative_to(self.root / FOLDERS[t])), None)
            if kind is None and path.is_relative_to(self.root / ARCHIVE):
                kind = ARCHIVE
            if kind is None:
                raise ValueError(f"{path} is in no table folder of {self.root}")
            rel = str(path.relative_to(self.root))
            manifest["files"].setdefault(kind, []).append(rel)
            manifest["file_info"][rel] = file_info(_hidden(where(path)))
        manifest["schema_version"] = SCHEMA_VERSION
        manifest["total_records"] = sum(
            manifest["file_info"].get(rel, {}).get("rows", 0)
            for rel in manifest["files"]["records"]
        )
        if dedup is not None:
            manifest.setdefault("dedup", dedup)  # what the persisted signatures were made with
        entry = {"run_id": run_id, **run_info, "total_records": manifest["total_records"]}
        if swaps:
            entry["swaps"] = [
                [str(live.relative_to(self.root)), str(shadow.relative_to(self.root))]
                for live, shadow in swaps
            ]
            entry["new_files"] = {
                str(live.relative_to(self.root)): [p.name for p in written if p.parent == live]
                for live, _ in swaps
            }
        manifest["runs"].append(entry)
        self.write_manifest(manifest)  # the commit point
        for path in written:
            os.replace(_hidden(where(path)), where(path))
        for run in manifest["runs"][-1:]:
            self._finish_swaps(run)
        for path in superseded or []:
            if not any(path.is_relative_to(live) for live, _ in swaps):
                path.unlink(missing_ok=True)
        return written


def _swaps(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """The (live, swap) folder pairs of the committed compactions in a manifest."""
    return [(live, shadow) for run in manifest["runs"] for live, shadow in run.get("swaps", [])]


def _reads_whole(path: Path) -> bool:
    try:
        pq.read_table(path)
    except Exception:
        return False
    return True


def access_error(exc: OSError, root: Path, needed: int = 0) -> DatasetAccessError:
    """A one-line DatasetAccessError for an OSError met writing the dataset at `root`
    (`needed`: about how many bytes the run needs, when known)."""
    where = exc.filename or root
    if exc.errno == errno.ENOSPC or "No space left" in str(exc):
        free = shutil.disk_usage(root if root.exists() else root.parent).free
        need = f"; the run needs about {needed / 1e6:.1f} MB (its new inputs)" if needed else ""
        return DatasetAccessError(
            f"no space left on the device of {where} ({free / 1e6:.1f} MB free{need}): "
            "free some space and run again (nothing was committed)"
        )
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return DatasetAccessError(f"cannot write to {where}: {exc.strerror} (read-only dataset?)")
    return DatasetAccessError(f"cannot write to {where}: {exc.strerror or exc}")


def is_write_error(exc: BaseException) -> bool:
    """Whether an exception is the file system refusing a write (full, read-only)."""
    if not isinstance(exc, OSError):
        return False
    codes = (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT)
    return exc.errno in codes or "No space left" in str(exc)
