"""The Prefect flow runs the same stages as `corpus ingest` and produces the same dataset."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import RefusedConfig

from crawler.errors import ConfigError
from crawler.record import AUDIT_SCHEMA, MERGES_SCHEMA, RECORDS_SCHEMA
from crawler.run.ingest import run_ingest
from crawler.store.dataset import Dataset
from flows.ingest import clean_batch_task, ingest_flow

RUN_FIELDS = {"run_id", "ingested_at", "merged_at", "seen_at"}


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


def test_a_flow_run_publishes_its_report_and_review_table(
    prefect_harness: None, seeds_copy: Path, tmp_path: Path
) -> None:
    from prefect.artifacts import Artifact

    (seeds_copy / "empty.txt").write_bytes(b"")
    summary = ingest_flow(paths=[str(seeds_copy)], out=str(tmp_path / "c"))
    report = Artifact.get("ingest-run-report")
    assert report is not None and report.type == "markdown"
    markdown = str(report.data)
    assert markdown.startswith(f"# corpus ingest run {summary['run_id']}")
    assert "inputs 6  unchanged 0  processed 6  added 4  merged 0 exact + 1 near" in markdown
    assert "## rejected inputs (1)" in markdown and "by reason: empty 1" in markdown
    assert "## removed lines by reason" in markdown and "related_block" in markdown
    assert "## time per stage (s)" in markdown and "scan " in markdown and "clean " in markdown
    assert "| doc_id | title | publisher |" in markdown  # the records table
    review = Artifact.get("ingest-review")
    assert review is not None and review.type == "table"
    rows = json.loads(str(review.data))
    assert len(rows) == 4  # every record of a small run, lowest confidence first
    scores = [row["confidence"] for row in rows]
    assert scores == sorted(scores) and all(0 <= s <= 1 for s in scores)
    assert {row["doc_id"] for row in rows} == {r["doc_id"] for r in summary["review"]}


def test_a_failed_run_says_why_and_leaves_the_dataset_as_it_was(
    refused_config: RefusedConfig, seeds_copy: Path
) -> None:
    from prefect.artifacts import Artifact

    out, config = refused_config.out, refused_config.config
    with pytest.raises(ConfigError, match="built with dedup settings"):
        ingest_flow(paths=[str(seeds_copy)], out=str(out), config=str(config))
    assert refused_config.files_now() == refused_config.files
    report = Artifact.get("ingest-run-report")
    assert report is not None
    assert "# corpus ingest run failed" in str(report.data)
    assert "ConfigError" in str(report.data) and "built with dedup settings" in str(report.data)


def test_io_retries_come_from_the_config_and_only_for_io_errors(tmp_path: Path) -> None:
    from prefect.client.schemas.objects import State as ClientState

    from crawler.config_file import load_config
    from flows.ingest import io_retries, is_io_error

    config = tmp_path / "c.toml"
    config.write_text("[runs]\nio_retries = 4\nio_retry_base_seconds = 0.5\n")
    options = io_retries(load_config(str(config)).runs)
    assert options["retries"] == 4
    assert options["retry_delay_seconds"](4) == [0.5, 1.0, 2.0, 4.0]
    failed = ClientState(type="FAILED", data=OSError("disk full"))
    refused = ClientState(type="FAILED", data=ConfigError("bad setting"))
    assert is_io_error(None, None, failed) and not is_io_error(None, None, refused)


def test_batches_clean_in_worker_processes_and_survive_one_dying(
    prefect_harness: None, seeds_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functools import partial

    from crashy import clean_or_die

    import crawler.run.ingest
    from crawler.run.workers import clean_batches

    # the flow's worker processes run a batch function that dies on die*.txt
    dying = partial(clean_batches, clean=clean_or_die)
    monkeypatch.setattr(crawler.run.ingest, "clean_batches", dying)
    (seeds_copy / "die.txt").write_text((seeds_copy / "003_36ddb65ec7cb6b45.txt").read_text())
    summary = ingest_flow(paths=[str(seeds_copy)], out=str(tmp_path / "c"), batch_size=2)
    assert summary["added"] == 4 and summary["merged_near"] == 1
    assert summary["rejects_by_reason"] == {"crashed": 1}


def test_the_flow_cleans_in_the_runs_worker_processes_not_in_a_task_per_batch(
    prefect_harness: None, seeds_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Prefect orchestrates, the workers do the work: the batches are cleaned as `corpus
    ingest` cleans them, with no Prefect task per batch."""

    def no_task(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a batch was submitted as a Prefect task")

    monkeypatch.setattr(clean_batch_task, "submit", no_task)
    summary = ingest_flow(paths=[str(seeds_copy)], out=str(tmp_path / "c"), batch_size=2)
    assert summary["added"] == 4 and summary["merged_near"] == 1
