"""The small, serializable values an ingest run passes between its stages."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from crawler.config import Settings

if TYPE_CHECKING:  # a type only: core imports no layer above it at run time
    from crawler.readers.inputs import Input


@dataclass(frozen=True)
class RunContext:
    """What every stage of one run needs to know; plain values only."""

    run_id: str
    dataset_root: str
    staging: str
    started_at: str
    settings: Settings


@dataclass(frozen=True)
class ScanResult:
    """What the scan found: the inputs to clean (hashed once, here) and how many were known."""

    new_files: list[str]  # the new inputs' keys (`Input.key`: a file's path)
    unchanged: int
    line_stats_path: str | None
    new_inputs: list[Input] = field(default_factory=list)
    inputs: int = 0  # every input found (a file may hold several)


@dataclass(frozen=True)
class BatchResult:
    """One cleaned batch: its staged documents and rejects (Parquet files) and counters."""

    docs_path: str
    rejects_path: str
    counters: dict[str, int]
    seconds: float


@dataclass
class RunSummary:
    """What a run did: printed by the CLI, returned by the flow, kept in the manifest."""

    run_id: str
    dataset: str
    inputs: int = 0
    unchanged: int = 0
    processed: int = 0
    added: int = 0
    merged_exact: int = 0
    merged_near: int = 0
    rejected: int = 0
    total_records: int = 0
    rejects: list[dict[str, str]] = field(default_factory=list)  # the first SUMMARY_ROWS
    records: list[dict[str, Any]] = field(default_factory=list)  # the first SUMMARY_ROWS
    rejects_by_reason: dict[str, int] = field(default_factory=dict)
    removal_reasons: dict[str, int] = field(default_factory=dict)  # removed lines by reason
    review: list[dict[str, Any]] = field(default_factory=list)  # lowest confidence first
    seconds: dict[str, float] = field(default_factory=dict)  # per stage

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def new_run_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%S}Z-{secrets.token_hex(3)}"
