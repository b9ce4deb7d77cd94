"""The Prefect flow runs the same stages as `corpus ingest` and produces the same dataset."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prefect.testing.utilities import prefect_test_harness

from crawler.dataset import Dataset
from crawler.ingest import run_ingest
from crawler.record import AUDIT_SCHEMA, MERGES_SCHEMA, RECORDS_SCHEMA
from flows.ingest import clean_batch_task, ingest_flow

RUN_FIELDS = {"run_id", "ingested_at", "merged_at"}


@pytest.fixture(scope="module")
def prefect_harness() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=180):
        yield


def comparable(root: Path, table: str, schema: Any) -> list[dict[str, Any]]:
    rows = Dataset(root).read(table, schema).to_pylist()
    rows = [{k: v for k, v in r.items() if k not in RUN_FIELDS} for r in rows]
    return sorted(rows, key=lambda r: sorted((k, str(v)) for k, v in r.items()))


def test_flow_and_cli_make_identical_datasets(
    prefect_harness: None, seeds_copy: Path, tmp_path: Path
) -> None:
    via_flow, via_cli = tmp_path / "flow", tmp_path / "cli"
    summary = ingest_flow(paths=[str(seeds_copy)], out=str(via_flow), batch_size=2)
    run_ingest([str(seeds_copy)], via_cli)
    assert summary["added"] == 4 and summary["merged_near"] == 1
    for table, schema in (
        ("records", RECORDS_SCHEMA),
        ("audit", AUDIT_SCHEMA),
        ("merges", MERGES_SCHEMA),
    ):
        assert comparable(via_flow, table, schema) == comparable(via_cli, table, schema), table
    again = ingest_flow(paths=[str(seeds_copy)], out=str(via_flow))
    assert again["added"] == 0 and again["unchanged"] == 5


def test_only_io_tasks_retry() -> None:
    from flows.ingest import commit_task, discover_task, scan_task

    assert discover_task.retries == 2 and commit_task.retries == 2
    assert scan_task.retries == 0 and clean_batch_task.retries == 0
