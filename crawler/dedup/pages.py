"""Dedup's second view of a page: the prose lines its cleaner removed.

A repost framed in other chrome may come out of cleaning as a block of the frame, its article
among the removed lines; `resolve` matches records against the page's kept text plus these
lines. They are spilled to one file per run (like the texts), read back row by row.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Self

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from crawler.dedup.lines import Lines
from crawler.dedup.minhash import U64
from crawler.dedup.votes import count_pages
from crawler.extract.normalize import tokens
from crawler.store.staged import read_docs

PROSE_WORDS = 10  # as resolve.PARAGRAPH_WORDS: shorter removed lines are menus and buttons


def removed_prose(lines: Iterable[str]) -> str:
    """The removed lines of at least PROSE_WORDS word tokens, one per line."""
    chosen = list(lines)
    return "\n".join(line for line, on in zip(chosen, is_prose(chosen), strict=True) if on)


def is_prose(lines: list[str]) -> list[bool]:
    """Whether each line has at least PROSE_WORDS word tokens (all tokenized in one pass)."""
    joined = "\n".join(lines)
    if joined.count("\n") != max(len(lines) - 1, 0):  # a line holds a line break
        return [len(tokens(line)) >= PROSE_WORDS for line in lines]
    return (Lines.of(joined).counts >= PROSE_WORDS).tolist() if lines else []


def prose_rows(column: pa.ChunkedArray) -> list[str]:
    """Each row's removed prose (`removed_prose` of its lines) of one batch's `removed`
    column (list of {line_no, line, reason}): one tokenization for the whole batch."""
    rows: list[str] = []
    for chunk in column.chunks:
        sizes = pc.fill_null(pc.list_value_length(chunk), 0).to_pylist()
        lines = chunk.flatten().field("line").to_pylist()
        prose = is_prose(lines)
        start = 0
        for size in sizes:
            end = start + size
            rows.append(
                "\n".join(
                    line for line, on in zip(lines[start:end], prose[start:end], strict=True) if on
                )
            )
            start = end
    return rows


def batch_pages(docs_path: str) -> tuple[npt.NDArray[np.void], list[str], list[U64]]:
    """One staged batch's share of the run's first pass over its pages, which any process can
    do: the votes of its pages (`crawler.dedup.votes.count_pages`), each row's removed prose
    (`prose_rows`) and each page's paragraph keys (sorted, distinct)."""
    table = read_docs(docs_path, ["text", "removed"])
    prose = prose_rows(table.column("removed"))
    texts = [t or "" for t in table.column("text").to_pylist()]
    del table
    paragraphs: list[U64] = []
    return count_pages(zip(texts, prose, strict=True), paragraphs), prose, paragraphs


class _RowSpill:
    """Values of the rows of a run, one after another in one file, read back with `pread` (row
    i counts across the batches, in order): memory holds 8 bytes per row. Rows are appended
    until the first is read. A context manager: the file is removed on exit."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._ends = array("q", [0])  # 8 bytes a row while the file is written
        self._offsets: npt.NDArray[np.int64] = np.zeros(1, dtype=np.int64)
        self._fd = -1
        self._out: BinaryIO | None = open(self.path, "wb")  # noqa: SIM115 (closed on read)

    def _add(self, values: Iterable[bytes]) -> None:
        if self._out is None:
            raise ValueError("rows are added before the first is read")
        ends = self._ends
        for data in values:
            self._out.write(data)
            ends.append(ends[-1] + len(data))

    def _reading(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
            self._offsets = np.frombuffer(self._ends, dtype=np.int64).copy()
            self._ends = array("q", [0])
            self._fd = os.open(self.path, os.O_RDONLY)

    def __len__(self) -> int:
        self._reading()
        return int(self._offsets.size - 1)

    def _get(self, i: int) -> bytes:
        self._reading()
        if not 0 <= i < len(self):
            raise IndexError(i)
        start, end = int(self._offsets[i]), int(self._offsets[i + 1])
        return os.pread(self._fd, end - start, start)

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class SpilledProse(_RowSpill):
    """The removed prose of every row of a run's staged batches (`_RowSpill`): `columns`
    yields each batch's `removed` column (`prose_rows`); more rows can be `add`ed (their prose
    made elsewhere) until the first is read."""

    def __init__(self, columns: Iterable[pa.ChunkedArray], path: str | Path) -> None:
        super().__init__(path)
        try:
            for column in columns:
                self.add(prose_rows(column))
        except BaseException:
            self.close()
            raise

    def add(self, rows: list[str]) -> None:
        """Append these rows' removed prose."""
        self._add(text.encode("utf-8") for text in rows)

    def __getitem__(self, i: int) -> str:
        return self._get(i).decode("utf-8")


class SpilledKeys(_RowSpill):
    """Each row's paragraph keys (sorted, distinct: `page_paragraphs`) of a run
    (`_RowSpill`)."""

    def add(self, rows: list[U64]) -> None:
        """Append these rows' keys."""
        self._add(keys.astype("<u8").tobytes() for keys in rows)

    def __getitem__(self, i: int) -> U64:
        return np.frombuffer(self._get(i), dtype="<u8").astype(np.uint64)
