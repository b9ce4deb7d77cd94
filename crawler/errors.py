"""The ways a step or a run can fail, and what the caller does with each."""

from __future__ import annotations


class Drop(Exception):
    """This one input produces no record: the run goes on, the input goes to `rejects`."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class ConfigError(Exception):
    """Bad settings or arguments: the run must not start. The CLI exits with status 2."""


class DatasetLockedError(Exception):
    """Another run is writing the same dataset right now."""


class DatasetDamagedError(Exception):
    """The dataset's files disagree with its manifest (or the manifest is unreadable): no run
    touches it until `corpus repair` has fixed it. The CLI exits with status 4."""


class DatasetAccessError(Exception):
    """The dataset folder cannot be written (read-only, no space left, its lock is not a file).
    The CLI exits with status 5."""
