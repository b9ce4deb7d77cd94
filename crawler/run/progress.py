"""How long-running stages report progress, without knowing who is watching.

The library calls `start(stage, total)` then `advance(n)`; the CLI passes a terminal progress
bar (flows/progress.py), everything else the silent `NoProgress`.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, stage: str, total: int) -> None:
        """A stage with `total` units of work (files, pages) begins."""

    def advance(self, n: int = 1) -> None:
        """`n` more units of the current stage are done."""


class NoProgress:
    """Reports nothing."""

    def start(self, stage: str, total: int) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass
