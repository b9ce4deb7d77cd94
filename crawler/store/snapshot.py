"""A reader's snapshot of a dataset: the committed files of one manifest, opened before any is
read, so that a commit made meanwhile (a compaction, a reprocess, a revision swap) cannot take
them away from a long read such as `corpus export`.

A file unlinked or moved while open stays readable through its open handle (POSIX), so readers
need no lock and never hold a writer up. The handles are opened in one go, after one read of
the manifest; when a file is missing at that moment and the manifest has changed since, a
commit moved it, and the snapshot is taken again from the new manifest.
"""

from __future__ import annotations

import contextlib
import resource
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.fs as pafs

from crawler.store.dataset import Dataset

ATTEMPTS = 5  # commits racing the opening of the files, in a row, before giving up pinning
SPARE_HANDLES = 128  # file handles left for everything else the process opens

_PARQUET = pads.ParquetFileFormat()
_LOCAL = pafs.LocalFileSystem()


class Snapshot:
    """The committed files of some tables as of one manifest (`pinned`: held open, so no later
    commit can remove them; False when there were more files than the process may open, and
    the files are then read by path, as a plain reader would)."""

    def __init__(self, dataset: Dataset, sources: dict[str, list[tuple[str, Any]]]) -> None:
        self.dataset = dataset
        self._sources = sources

    @property
    def pinned(self) -> bool:
        """Whether the files are held open (see the class docstring)."""
        return any(not isinstance(s, str) for files in self._sources.values() for _, s in files)

    def paths(self, table: str) -> list[str]:
        """Where the table's files were when the snapshot was taken."""
        return [path for path, _ in self._sources[table]]

    def batches(
        self, table: str, index: int, schema: pa.Schema, columns: list[str], batch_rows: int
    ) -> Iterator[pa.RecordBatch]:
        """Record batches of the table's `index`-th file, read as `schema` (columns a file
        predates come back null, as a dataset scan gives them)."""
        _, source = self._sources[table][index]
        fragment = _PARQUET.make_fragment(source, _LOCAL if isinstance(source, str) else None)
        yield from fragment.to_batches(schema=schema, columns=columns, batch_size=batch_rows)

    def close(self) -> None:
        """Let go of the open files."""
        for files in self._sources.values():
            for _, source in files:
                if not isinstance(source, str):
                    source.close()


@contextlib.contextmanager
def snapshot(dataset: Dataset, tables: list[str]) -> Iterator[Snapshot]:
    """The tables' committed files, pinned (see `Snapshot`). A file missing while the manifest
    stays the same is damage, and is left for the read to name."""
    taken = _take(dataset, tables)
    try:
        yield taken
    finally:
        taken.close()


def _take(dataset: Dataset, tables: list[str]) -> Snapshot:
    for _ in range(ATTEMPTS):
        manifest = dataset.manifest()
        located = {t: [str(p) for p in dataset.files(t, manifest)] for t in tables}
        if not _room_for(sum(len(paths) for paths in located.values())):
            break
        opened: dict[str, list[tuple[str, Any]]] = {t: [] for t in tables}
        try:
            for table, paths in located.items():
                for path in paths:
                    opened[table].append((path, pa.OSFile(path)))
        except FileNotFoundError:
            Snapshot(dataset, opened).close()
            if dataset.manifest() != manifest:
                continue  # a commit moved the files between the two reads: take it again
            return _by_path(located, dataset)  # damage: the read names the missing file
        return Snapshot(dataset, opened)
    return _by_path({t: [str(p) for p in dataset.files(t)] for t in tables}, dataset)


def _by_path(located: dict[str, list[str]], dataset: Dataset) -> Snapshot:
    return Snapshot(dataset, {t: [(p, p) for p in paths] for t, paths in located.items()})


def _room_for(files: int) -> bool:
    """Whether this process may hold `files` more files open, raising its soft limit toward
    the hard one when that is what it takes."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = files + SPARE_HANDLES
    if need <= soft:
        return True
    if hard != resource.RLIM_INFINITY and need > hard:
        return False
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
        return True
    return False
