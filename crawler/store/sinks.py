"""The sink interface: where the rows of one table go, batch by batch.

`crawler.store.dataset.TableWriter` (the Parquet writer every run's tables go through) is the first
sink; `corpus export` writes through the sinks of `crawler.store.export.FORMATS`. A sink that
writes a file writes a hidden temporary beside it and renames it into place on `close`, so a
reader never sees half a file; `abort` leaves nothing behind.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Sink(Protocol):
    """Takes rows (dicts of one table's columns), then is closed, or aborted on failure."""

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Append rows."""

    def close(self) -> Path | None:
        """Finish; the file written (None: nothing written, or not to a file)."""

    def abort(self) -> None:
        """Give up: remove whatever was written."""


def temporary_beside(final: Path) -> Path:
    """The hidden temporary a file sink writes before renaming it to `final`."""
    return final.with_name(f".{final.name}.{os.getpid()}.tmp")
