"""The ingest flow with its cleaning batches on a Dask cluster makes the same dataset."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from distributed import LocalCluster
from distributed.diagnostics.plugin import SchedulerPlugin
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect_dask.task_runners import DaskTaskRunner

import flows.dask
from crawler.config import Settings
from crawler.errors import ConfigError
from crawler.record import AUDIT_SCHEMA, MERGES_SCHEMA, RECORDS_SCHEMA
from crawler.run.ingest import run_ingest
from crawler.store.dataset import Dataset
from flows.dask import dask_task_runner
from flows.ingest import main, run_ingest_flow

RUN_FIELDS = {"run_id", "ingested_at", "merged_at", "seen_at"}


def comparable(root: Path, table: str, schema: Any) -> list[dict[str, Any]]:
    """A table's rows without the per-run fields, in a stable order (as test_ingest_flow)."""
    rows = Dataset(root).read(table, schema).to_pylist()
    rows = [{k: v for k, v in r.items() if k not in RUN_FIELDS} for r in rows]
    return sorted(rows, key=lambda r: sorted((k, str(v)) for k, v in r.items()))


class WhereTasksRan(SchedulerPlugin):
    """Scheduler plugin: the worker each finished task ran on (the scheduler is in-process)."""

    def __init__(self) -> None:
        self.workers: dict[str, str] = {}

    def transition(self, key: Any, start: str, finish: str, *args: Any, **kwargs: Any) -> None:
        if finish == "memory" and "worker" in kwargs:
            self.workers[str(key)] = kwargs["worker"]


def test_dask_spec() -> None:
    local = dask_task_runner("local:2")
    assert isinstance(local, DaskTaskRunner)
    assert local.address is None and local.cluster_kwargs == {"n_workers": 2}
    assert local.resolved_cluster_class is flows.dask.local_cluster
    for address in ("tcp://10.0.0.5:8786", "scheduler:8786", "tls://[::1]:8786"):
        remote = dask_task_runner(address)
        assert isinstance(remote, DaskTaskRunner) and remote.address == address
    for bad in ("local:0", "local:two", "local", "tcp://host", "", "http://h:1/x"):
        with pytest.raises(ConfigError):
            dask_task_runner(bad)


def test_bad_dask_flag_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["seeds", "--dask", "local:0"])
    assert exit_info.value.code == 2
    assert "local:N wants N >= 1" in capsys.readouterr().err


@pytest.mark.slow
def test_flow_on_local_dask_cluster_matches_local_run(
    prefect_server: str,
    seeds_copy: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Workers are spawned from os.environ and import Prefect fresh: they need the URL there.
    # This process read its Prefect settings at import, so the flow run gets it through settings.
    monkeypatch.setenv("PREFECT_API_URL", prefect_server)
    where = WhereTasksRan()

    def local_cluster(n_workers: int, **kwargs: Any) -> LocalCluster:
        return original(n_workers, scheduler_kwargs={"plugins": [where]}, **kwargs)

    original = flows.dask.local_cluster
    monkeypatch.setattr(flows.dask, "local_cluster", local_cluster)

    via_dask, via_local = tmp_path / "dask", tmp_path / "local"
    started = time.perf_counter()
    with temporary_settings(updates={PREFECT_API_URL: prefect_server}):
        summary = run_ingest_flow(
            [str(seeds_copy)], out=str(via_dask), batch_size=1, dask="local:2"
        )
    print(f"dask flow run: {time.perf_counter() - started:.1f} s")
    run_ingest([str(seeds_copy)], via_local, Settings().with_overrides(batch_size=1))

    assert summary["added"] == 4 and summary["merged_near"] == 1 and summary["inputs"] == 5
    batches = {k: w for k, w in where.workers.items() if "clean_batch" in k}
    assert len(batches) == 5, where.workers  # only the cleaning batches went to the cluster
    assert len(set(batches.values())) == 2, batches  # ... and both workers got some
    for table, schema in (
        ("records", RECORDS_SCHEMA),
        ("audit", AUDIT_SCHEMA),
        ("merges", MERGES_SCHEMA),
    ):
        assert comparable(via_dask, table, schema) == comparable(via_local, table, schema), table
    assert not (via_dask / "_staging").exists()  # cleaned up after the commit
    assert os.environ["PREFECT_API_URL"] == prefect_server
