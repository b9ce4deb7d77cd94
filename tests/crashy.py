"""A batch cleaner whose process dies on files named `die*`, as one would on a page that runs
it out of memory: for tests of how a run survives a dead worker (it must be importable by the
worker processes, hence a module of its own)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from crawler.run_types import BatchResult, RunContext
from crawler.staging import clean_batch


def clean_or_die(
    ctx: RunContext, batch_no: int, files: list[str], line_stats_path: str | None
) -> BatchResult:
    if any(Path(name).name.startswith("die") for name in files):
        os.kill(os.getpid(), signal.SIGKILL)
    return clean_batch(ctx, batch_no, files, line_stats_path)
