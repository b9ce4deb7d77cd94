"""Prefect flow: ingest page dumps and HTML files into a dataset.

    discover -> scan -> clean batches -> dedup + commit

Run it: `python -m flows.ingest seeds --out data/corpus` (flows/ingest/__main__.py, which runs
`flows.ingest.launch.main`; Prefect's temporary server by default: flows/temporary_server.py,
started while the run's stages begin: flows/ingest/head_start.py). The flow and its tasks
(flows/ingest/prefect_flow.py: `flows.ingest.ingest_flow`, a deployment's entry point) are
imported from here when first asked for, so that importing this package does not import Prefect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flows.ingest.launch import EXIT_STATUS, check_dataset, main, run_with_head_start

if TYPE_CHECKING:
    from flows.ingest.prefect_flow import (
        clean_batch_task,
        commit_task,
        discover_task,
        ingest_flow,
        io_retries,
        is_io_error,
        run_ingest_flow,
        scan_task,
    )

__all__ = [
    "EXIT_STATUS",
    "check_dataset",
    "clean_batch_task",
    "commit_task",
    "discover_task",
    "ingest_flow",
    "io_retries",
    "is_io_error",
    "main",
    "run_ingest_flow",
    "run_with_head_start",
    "scan_task",
]
_FROM_PREFECT_FLOW = frozenset(__all__) - {
    "EXIT_STATUS",
    "check_dataset",
    "main",
    "run_with_head_start",
}


def __getattr__(name: str) -> Any:
    """The flow and its tasks, from flows/ingest/prefect_flow.py (Prefect imported then)."""
    if name in _FROM_PREFECT_FLOW:
        from flows.ingest import prefect_flow

        return getattr(prefect_flow, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
