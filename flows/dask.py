"""The ingest flow's cleaning batches on a Dask cluster (prefect-dask's `DaskTaskRunner`).

`--dask` takes either the address of a running scheduler (`tcp://host:8786`) or `local:N`, a
`LocalCluster` of N worker processes (one thread each) that lives for one flow run. Only the
tasks the flow *submits* go to the cluster (`clean_batch_task`); discovery, the scan, dedup and
the commit run in the flow process, after all batches, under the dataset's lock.

Workers report their task runs to the Prefect API named by `PREFECT_API_URL` in *their*
environment; Prefect reads it when it is imported, so it must be there when a worker process
starts (see docs/distributed.md).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from distributed import LocalCluster
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner
from prefect_dask.task_runners import DaskTaskRunner

from crawler.errors import ConfigError

LOCAL = re.compile(r"local:(\d+)")
ADDRESS = re.compile(r"(?:[a-z][a-z0-9+.-]*://)?(?:\[[0-9a-fA-F:.]+\]|[^\s:/\[\]]+):\d+")
API_URL = "PREFECT_API_URL"


Runner = TaskRunner[PrefectFuture[Any]]


def dask_task_runner(spec: str) -> Runner:
    """A task runner for `spec`: `local:N` (a LocalCluster per run) or a scheduler address."""
    return cast(Runner, _dask_task_runner(spec.strip()))  # its base is TaskRunner unparametrized


def _dask_task_runner(spec: str) -> DaskTaskRunner:
    local = LOCAL.fullmatch(spec)
    if local:
        n_workers = int(local.group(1))
        if n_workers < 1:
            raise ConfigError("--dask local:N wants N >= 1")
        # by name: prefect-dask types cluster_class as a no-argument callable, but calls it with
        # **cluster_kwargs (prefect_dask/task_runners.py, DaskTaskRunner.client)
        return DaskTaskRunner(
            cluster_class=f"{__name__}.local_cluster", cluster_kwargs={"n_workers": n_workers}
        )
    if not ADDRESS.fullmatch(spec):
        raise ConfigError(
            f"--dask wants a scheduler address (tcp://host:8786) or local:N, got {spec!r}"
        )
    return DaskTaskRunner(address=spec)


def is_local(spec: str) -> bool:
    return LOCAL.fullmatch(spec.strip()) is not None


def local_cluster(n_workers: int, **kwargs: Any) -> LocalCluster:
    """N single-threaded worker processes that report to this process's Prefect API.

    Called by the task runner inside the flow run, when the first batch is submitted.
    """
    export_api_url()
    kwargs.setdefault("threads_per_worker", 1)
    kwargs.setdefault("processes", True)
    kwargs.setdefault("dashboard_address", ":0")  # any free port: runs side by side never clash
    return LocalCluster(n_workers=n_workers, **kwargs)  # type: ignore[no-untyped-call]


def export_api_url() -> None:
    """Put the running flow's Prefect API URL in os.environ, for worker processes spawned next.

    Without it (Prefect's temporary server, no PREFECT_API_URL), each worker would start its own
    temporary server. A no-op when PREFECT_API_URL is already set or outside a flow run.
    """
    if os.environ.get(API_URL):
        return
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    if ctx is not None:
        os.environ[API_URL] = str(ctx.client.api_url).rstrip("/")


@contextmanager
def restored_api_url() -> Iterator[None]:
    """Undo `export_api_url` after the run: the URL it exported was for this run's workers."""
    before = os.environ.get(API_URL)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(API_URL, None)
        else:
            os.environ[API_URL] = before
