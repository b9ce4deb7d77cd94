"""`python -m flows.ingest` as the README runs it: what its processes load (and when), what
runs while Prefect's temporary server starts, and what the run leaves in Prefect. Prefect orchestrates
from the flow's process; the workers only clean."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import SEEDS

# Imported by every Python process of the run (PYTHONPATH): marks which modules the run's
# worker processes (forked from the forkserver) and its main process import, as files. The
# temporary server (uvicorn) starts only once the run's workers have (at most 60 s later):
# the stages must not wait for the server.
WATCH = """
import atexit, gc, os, sys, time

MARKS = os.environ["FLOW_TEST_MARKS"]
WORKER = any("multiprocessing.forkserver" in arg for arg in sys.orig_argv)
MAIN = sys.orig_argv[1:3] == ["-m", "flows.ingest"]


def mark(name):
    open(os.path.join(MARKS, name), "w").close()


def importing():  # an import, not `importlib.util.find_spec` (which only looks)
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_name != "_find_and_load":
        frame = frame.f_back
    return frame is not None


class Watch:
    def find_spec(self, name, path=None, target=None):
        if WORKER and name in ("prefect", "flows.ingest"):
            mark(f"worker-imported-{name}-{os.getpid()}")
        if MAIN and name in ("prefect.server.api.server", "fastapi"):
            mark(f"main-imported-{name}")
        if MAIN and name == "prefect" and importing():
            workers = any(n.startswith("forkserver-") for n in os.listdir(MARKS))
            mark(f"main-imported-prefect-{'after' if workers else 'before'}-the-workers")
            mark(f"main-imported-prefect-with-the-collector-{'on' if gc.isenabled() else 'off'}")
        return None


if WORKER:
    mark(f"forkserver-{os.getpid()}")
if MAIN:
    atexit.register(
        lambda: mark(f"main-exited-with-the-collector-{'on' if gc.isenabled() else 'off'}")
    )
sys.meta_path.insert(0, Watch())
if any("uvicorn" in arg for arg in sys.orig_argv):
    if not any(n.startswith("main-imported-prefect") for n in os.listdir(MARKS)):
        mark("server-launched-before-main-imported-prefect")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(name.startswith("forkserver-") for name in os.listdir(MARKS)):
            mark("server-started-after-the-workers")
            break
        time.sleep(0.05)
    else:
        mark("server-gave-up-waiting-for-the-workers")
"""


@pytest.mark.slow
def test_python_m_flows_ingest_cleans_while_the_server_starts_and_records_the_run(
    tmp_path: Path,
) -> None:
    hook, marks, home = tmp_path / "hook", tmp_path / "marks", tmp_path / "prefect"
    hook.mkdir()
    marks.mkdir()
    (hook / "sitecustomize.py").write_text(WATCH)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CORPUS_"))}
    env.update(
        PYTHONPATH=str(hook),
        FLOW_TEST_MARKS=str(marks),
        PREFECT_HOME=str(home),  # no PREFECT_API_URL: the README's default, a temporary server
        CORPUS_SETTINGS_WORKERS="2",
    )
    command = [sys.executable, "-m", "flows.ingest", str(SEEDS), "--out", str(tmp_path / "c")]
    done = subprocess.run(
        [*command, "--batch-size", "2"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = sorted(p.name for p in marks.iterdir())
    assert any(name.startswith("forkserver-") for name in seen), seen  # workers did run
    # the run's workers started while the server was still starting (it waited for them)
    assert "server-started-after-the-workers" in seen, seen
    # the server was launched before the flow's process imported Prefect, which it did only
    # once the stages had started the workers (the flow run's thread, once the server answered)
    assert "server-launched-before-main-imported-prefect" in seen, seen
    assert "main-imported-prefect-after-the-workers" in seen, seen
    # Prefect's import in the flow run's thread ran with the collector paused, and the
    # collector was on again afterwards (flows/collector.py)
    assert "main-imported-prefect-with-the-collector-off" in seen, seen
    assert "main-exited-with-the-collector-on" in seen, seen
    # the workers import neither the flow nor Prefect (multiprocessing re-imports a `-m`
    # module in each), and the flow's process does not load Prefect's server to start one,
    # nor FastAPI to store the run's parameters (flows/flow_parameters.py)
    expected = (
        "forkserver-",
        "server-",
        "main-imported-prefect-after",
        "main-imported-prefect-with",
    )
    expected += ("main-exited-with-the-collector-on",)
    assert [n for n in seen if not n.startswith(expected)] == []
    assert sorted(p.name for p in home.glob("temporary-server-*.log")) == []

    # the run as Prefect keeps it: its state, task runs, logs and artifacts, in PREFECT_HOME
    with sqlite3.connect(f"file:{home / 'prefect.db'}?mode=ro", uri=True) as db:
        runs = db.execute("SELECT id, state_type FROM flow_run").fetchall()
        assert [state for _, state in runs] == ["COMPLETED"]
        run_id = runs[0][0]
        tasks = db.execute("SELECT name, state_type FROM task_run WHERE flow_run_id = ?", (run_id,))
        # the stages began before the flow run; the commit is its task (retried on I/O)
        assert [(name.split("-")[0], state) for name, state in tasks] == [
            ("commit_task", "COMPLETED")
        ]
        logs = [
            m for (m,) in db.execute("SELECT message FROM log WHERE flow_run_id = ?", (run_id,))
        ]
        assert any("committed: 4 added" in m for m in logs), logs
        assert any("began" in m and "before this flow run" in m for m in logs), logs
        artifacts = db.execute("SELECT key FROM artifact WHERE flow_run_id = ?", (run_id,))
        assert sorted(key for (key,) in artifacts) == ["ingest-review", "ingest-run-report"]
