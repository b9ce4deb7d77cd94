"""The three ways a step can fail, and what the caller does with each."""

from __future__ import annotations


class Drop(Exception):
    """This one input produces no record: the run goes on, the input goes to `rejects`."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class RetryableError(Exception):
    """Transient I/O trouble: the step may be retried (only I/O tasks are)."""


class ConfigError(Exception):
    """Bad settings or arguments: the run must not start. The CLI exits with status 2."""


class DatasetLockedError(Exception):
    """Another run is writing the same dataset right now."""
