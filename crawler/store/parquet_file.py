"""The Parquet sink for exports: one Parquet file, written by the dataset's own table writer."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa

from crawler.errors import ConfigError
from crawler.store.dataset import TableWriter


class ParquetFileSink:
    """Writes rows as one Parquet file at `out`, renamed into place when complete. Parquet is
    binary: it is not written to standard output."""

    def __init__(self, out: Path | None, schema: pa.Schema) -> None:
        if out is None:
            raise ConfigError("--format parquet writes a file: give --output FILE")
        self.out = out
        self._writer = TableWriter(out, schema, "export", 20_000)

    def write(self, rows: list[dict[str, Any]]) -> None:
        self._writer.write(rows)

    def close(self) -> Path | None:
        self._writer.close(write_empty=True)
        os.replace(self._writer.hidden, self.out)
        return self.out

    def abort(self) -> None:
        self._writer.abort()
