"""Records sorted by a 64-bit key, spilled to files by the key's top bits as they come, and read
back one file at a time in ascending key order: a sum over a whole run (the scan's line
statistics, dedup's paragraph vote) held one partition at a time, never whole."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt


class KeyPartitions:
    """`partitions` files named `{name}-NNNN.spill` in `folder` (created on the first write).
    A context manager: `close` (or leaving the block) removes the files."""

    def __init__(
        self, folder: str | Path, name: str, dtype: np.dtype, partitions: int = 64
    ) -> None:
        if partitions < 1 or partitions & (partitions - 1):
            raise ValueError(f"partitions must be a power of two, not {partitions}")
        self._paths = [Path(folder) / f"{name}-{p:04d}.spill" for p in range(partitions)]
        self._shift = np.uint64(64 - (partitions.bit_length() - 1))
        self._dtype = dtype
        self._outs: list[BinaryIO] = []

    @property
    def written(self) -> bool:
        """Whether any records were written (and `read` has not run yet)."""
        return bool(self._outs)

    def write(self, records: npt.NDArray[np.void], keys: npt.NDArray[np.uint64]) -> None:
        """Append `records`, whose `keys` ascend: each partition's are one slice of them."""
        if not records.size:
            return
        if not self._outs:
            self._paths[0].parent.mkdir(parents=True, exist_ok=True)
            self._outs = [open(p, "wb") for p in self._paths]  # noqa: SIM115 (closed in close)
        if len(self._outs) == 1:
            bounds = np.array([0, records.size], dtype=np.intp)
        else:
            top = keys >> self._shift
            bounds = np.searchsorted(top, np.arange(len(self._outs) + 1, dtype=np.uint64))
        for p, out in enumerate(self._outs):
            if bounds[p + 1] > bounds[p]:
                out.write(records[int(bounds[p]) : int(bounds[p + 1])].tobytes())

    def read(self) -> Iterator[npt.NDArray[np.void]]:
        """Every partition's records (in the order written), partition by partition: their
        keys ascend from one partition to the next. Each file is removed once read."""
        if not self._outs:
            return
        for out in self._outs:
            out.close()
        for path in self._paths:
            records = np.fromfile(path, dtype=self._dtype)
            path.unlink()
            yield records
        self.close()

    def close(self) -> None:
        """Remove the files (a sum that failed, or one whose result was taken)."""
        for out in self._outs:
            out.close()
        self._outs = []
        for path in self._paths:
            path.unlink(missing_ok=True)

    def __enter__(self) -> KeyPartitions:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
