"""A run's staged batches: the Parquet pair each clean-stage batch leaves for `finish`.

One file of staged documents (with audit rows, input hash and MinHash signature) and one of
rejects per batch, in the dataset's staging folder. The names do not end in .parquet, so no
reader's glob over the dataset folder picks them up.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from crawler.record import RECORDS_SCHEMA, REJECTS_SCHEMA

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


def write_batch(
    docs: list[dict[str, Any]], rejects: list[dict[str, Any]], docs_path: str, rejects_path: str
) -> None:
    """Write one batch's staged rows and reject rows."""
    pq.write_table(pa.Table.from_pylist(docs, schema=STAGED_SCHEMA), docs_path)
    pq.write_table(pa.Table.from_pylist(rejects, schema=STAGED_REJECTS_SCHEMA), rejects_path)


def write_docs(docs: list[dict[str, Any]], path: str) -> None:
    """Write staged rows alone (a batch rewritten by finish, such as site-lines stripping)."""
    pq.write_table(pa.Table.from_pylist(docs, schema=STAGED_SCHEMA), path)


def read_docs(path: str, columns: list[str] | None = None) -> pa.Table:
    """A batch's staged documents (all columns, or these)."""
    return pq.read_table(path, columns=columns, schema=STAGED_SCHEMA)


def read_rejects(path: str, columns: list[str] | None = None) -> pa.Table:
    """A batch's staged rejects (all columns, or these)."""
    return pq.read_table(path, columns=columns, schema=STAGED_REJECTS_SCHEMA)


def row_count(path: str) -> int:
    """The rows of a staged file, from its footer."""
    return int(pq.ParquetFile(path).metadata.num_rows)


class SpilledColumns:
    """Variable-width columns (texts, signatures) of a run's staged batches, spilled to one
    file each in `folder` and read back row by row with `pread`: row i counts across all the
    batches, in order. Dedup asks for a few texts at a time, so the run never holds them all
    (pages the kernel caches are not the process's memory, unlike a read or a memory map).

    Spilling copies each batch's Arrow buffers as they are (no Python object per row). Use it
    as a context manager: its files are removed on exit."""

    def __init__(self, docs_paths: list[str], columns: list[str], folder: str | Path) -> None:
        self.columns = columns
        self._paths = [Path(folder) / f"run-{c}.spill" for c in columns]
        self._offsets: list[npt.NDArray[np.int64]] = []
        self._fds: list[int] = []
        try:
            self._spill(docs_paths)
        except BaseException:
            self.close()
            raise

    def _spill(self, docs_paths: list[str]) -> None:
        parts: list[list[npt.NDArray[np.int64]]] = [[np.zeros(1, np.int64)] for _ in self.columns]
        sizes = [0] * len(self.columns)
        outs = [open(p, "wb") for p in self._paths]  # noqa: SIM115 (closed below)
        try:
            for path in docs_paths:
                table = read_docs(path, self.columns)
                for c, name in enumerate(self.columns):
                    for chunk in table.column(name).chunks:
                        starts = _spill_chunk(chunk, outs[c])
                        parts[c].append(starts[1:] - starts[0] + sizes[c])
                        sizes[c] += int(starts[-1] - starts[0])
        finally:
            for out in outs:
                out.close()
        self._offsets = [np.concatenate(p) for p in parts]
        self._fds = [os.open(p, os.O_RDONLY) for p in self._paths]

    def __len__(self) -> int:
        return int(self._offsets[0].size - 1) if self._offsets else 0

    def get(self, column: str, i: int) -> bytes:
        """Row i's value of `column`, as bytes."""
        c = self.columns.index(column)
        if not 0 <= i < len(self):
            raise IndexError(i)
        start, end = int(self._offsets[c][i]), int(self._offsets[c][i + 1])
        return os.pread(self._fds[c], end - start, start)

    def text(self, column: str, i: int) -> str:
        """Row i's value of a string column."""
        return self.get(column, i).decode("utf-8")

    def close(self) -> None:
        for fd in self._fds:
            os.close(fd)
        self._fds = []
        for path in self._paths:
            path.unlink(missing_ok=True)

    def __enter__(self) -> SpilledColumns:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _spill_chunk(chunk: pa.Array, out: BinaryIO) -> npt.NDArray[np.int64]:
    """Write the values of one string or binary Arrow array (its data buffer, as is); their
    start offsets in that buffer, one more than there are values (nulls are empty)."""
    width: type[np.signedinteger[Any]]
    if pa.types.is_large_string(chunk.type) or pa.types.is_large_binary(chunk.type):
        width = np.int64
    elif pa.types.is_string(chunk.type) or pa.types.is_binary(chunk.type):
        width = np.int32
    else:
        raise TypeError(f"cannot spill a {chunk.type} column")
    _, offsets_buffer, data = chunk.buffers()
    n = len(chunk)
    if offsets_buffer is None:  # an empty array may come without buffers
        return np.zeros(1, np.int64)
    window = np.frombuffer(offsets_buffer, dtype=width)[chunk.offset : chunk.offset + n + 1]
    offsets: npt.NDArray[np.int64] = window.astype(np.int64)
    if data is not None and offsets[-1] > offsets[0]:
        out.write(memoryview(data)[int(offsets[0]) : int(offsets[-1])])
    return offsets
