"""The JSON Lines sink: one JSON object per row, UTF-8, keys in column order, dates in ISO 8601
(what many training pipelines read)."""

from __future__ import annotations

import json
import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa

from crawler.store.sinks import temporary_beside


class JsonlSink:
    """Writes rows as JSON Lines to `out` (atomically), or to standard output when None."""

    def __init__(self, out: Path | None, schema: pa.Schema) -> None:
        self.out = out
        self._float32 = [f.name for f in schema if pa.types.is_float32(f.type)]
        self._tmp = temporary_beside(out) if out is not None else None
        self._handle: IO[bytes] = (
            open(self._tmp, "wb") if self._tmp is not None else sys.stdout.buffer  # noqa: SIM115
        )

    def write(self, rows: list[dict[str, Any]]) -> None:
        lines = []
        for row in rows:
            for name in self._float32:  # as written, not float32's binary expansion
                if row[name] is not None:
                    row[name] = float(str(np.float32(row[name])))
            lines.append(json.dumps(row, ensure_ascii=False, default=_iso) + "\n")
        self._handle.write("".join(lines).encode("utf-8"))

    def close(self) -> Path | None:
        self._handle.flush()
        if self._tmp is None or self.out is None:
            return None
        os.fsync(self._handle.fileno())
        self._handle.close()
        os.replace(self._tmp, self.out)
        return self.out

    def abort(self) -> None:
        if self._tmp is not None:
            self._handle.close()
            self._tmp.unlink(missing_ok=True)


def _iso(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
