"""`python -m flows.ingest` on a temporary server: the run's stages begin in the main thread
while the server starts, the flow run (its own thread) commits; each side's failure reaches
the other (flows/ingest/head_start.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from helpers import RefusedConfig

from crawler.errors import ConfigError
from crawler.record import RECORDS_SCHEMA
from crawler.store.dataset import Dataset
from flows.ingest import ingest_flow, run_with_head_start
from flows.temporary_server import FlowRunApi


class NoServer(FlowRunApi):
    """A temporary server that never comes up."""

    @contextmanager
    def reporting(self) -> Iterator[str | None]:
        raise ConfigError("the local Prefect server at http://127.0.0.1:1 exited (log x: boom)")
        yield None


def records(out: Path) -> int:
    return Dataset(out).read("records", RECORDS_SCHEMA).num_rows if out.exists() else 0


def test_a_server_that_never_comes_up_fails_the_run_before_its_commit(
    seeds_copy: Path, tmp_path: Path
) -> None:
    out = tmp_path / "c"
    with pytest.raises(ConfigError, match=r"local Prefect server .* exited"):
        run_with_head_start(NoServer(None), [str(seeds_copy)], str(out), 2, None)
    assert records(out) == 0  # nothing is committed without a flow run to record it


def test_the_stages_run_before_the_flow_run_which_commits_and_reports(
    prefect_harness: None, prefect_server: str, seeds_copy: Path, tmp_path: Path
) -> None:
    from prefect.artifacts import Artifact

    out = tmp_path / "c"
    run_with_head_start(FlowRunApi(prefect_server), [str(seeds_copy)], str(out), 2, None)
    assert records(out) == 4
    report = Artifact.get("ingest-run-report")
    assert report is not None and "added" in str(report.data)
    # the flow itself still runs every stage when nothing began before it (deployments)
    again = ingest_flow(paths=[str(seeds_copy)], out=str(out))
    assert again["unchanged"] == 5 and records(out) == 4


def test_a_failure_of_the_stages_fails_the_flow_run_with_its_reason(
    refused_config: RefusedConfig, prefect_server: str, seeds_copy: Path
) -> None:
    from prefect.artifacts import Artifact

    out, config = refused_config.out, refused_config.config
    with pytest.raises(ConfigError, match="built with dedup settings"):
        run_with_head_start(
            FlowRunApi(prefect_server), [str(seeds_copy)], str(out), None, str(config)
        )
    assert refused_config.files_now() == refused_config.files
    report = Artifact.get("ingest-run-report")
    assert report is not None
    assert "# corpus ingest run failed" in str(report.data)
    assert "built with dedup settings" in str(report.data)


def test_discovery_before_the_flow_run_retries_io_errors_as_its_task_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import flows.ingest.head_start as head_start
    from crawler.config_file import RunLimits

    calls: list[int] = []

    def flaky(paths: list[str], follow_symlinks: bool) -> list[str]:
        calls.append(1)
        if len(calls) < 3:
            raise OSError("share went away")
        return ["a.txt"]

    monkeypatch.setattr(head_start, "discover_inputs", flaky)
    limits = RunLimits(io_retries=2, io_retry_base_seconds=0.0)
    assert head_start.discover_with_retries(["x"], False, limits) == ["a.txt"]
    calls.clear()
    with pytest.raises(OSError):
        head_start.discover_with_retries(
            ["x"], False, RunLimits(io_retries=1, io_retry_base_seconds=0.0)
        )
    assert len(calls) == 2
