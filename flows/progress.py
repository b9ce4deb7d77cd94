"""Progress bars for the `corpus` command: on a terminal only, and gone when the work is done."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from crawler.run.progress import NoProgress
from crawler.run.progress import Progress as ProgressSink


class BarProgress:
    """One bar per stage on stderr; `transient`, so the finished bars leave no trace."""

    def __init__(self, stream: TextIO) -> None:
        self._bars = Progress(
            TextColumn("{task.description:<6}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(file=stream),
            transient=True,
        )
        self._task: TaskID | None = None

    def start(self, stage: str, total: int) -> None:
        if self._task is not None:
            self._bars.update(self._task, visible=False)
        self._task = self._bars.add_task(stage, total=total)

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._bars.advance(self._task, n)

    def __enter__(self) -> BarProgress:
        self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bars.stop()


@contextmanager
def progress_for(enabled: bool, stream: TextIO | None = None) -> Iterator[ProgressSink]:
    """Bars on `stream` (stderr) when enabled and it is a terminal; otherwise nothing."""
    stream = stream or sys.stderr
    if not enabled or not stream.isatty():
        yield NoProgress()
        return
    with BarProgress(stream) as bars:
        yield bars
