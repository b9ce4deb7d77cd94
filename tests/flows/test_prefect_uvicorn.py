"""The temporary server's process (flows/prefect_uvicorn.py): Prefect's server modules loaded
with the collector paused and then frozen and without beartype's import hook, uvicorn run as
`python -m uvicorn` would."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import psutil
import pytest

from flows import prefect_uvicorn
from flows.prefect_env import server_startup_timeout
from flows.prefect_server import healthy, server_command, starting_server
from flows.prefect_uvicorn import APP_MODULE, DOCKET_POLL, slower_docket_polling

AFTER_LOAD = """
import gc, json, sys
from flows.prefect_uvicorn import load_frozen
gc.set_threshold(1)  # a collection at every allocation, were the collector on during the load
load_frozen({module!r})
print(json.dumps([gc.isenabled(), gc.get_freeze_count(), {module!r} in sys.modules]))
"""


def test_the_temporary_server_runs_uvicorn_from_the_launcher() -> None:
    command = server_command(4321, ephemeral=True)
    assert command[1:3] == ["-m", "flows.prefect_uvicorn"]
    assert f"{APP_MODULE}:create_app" in command
    assert command[command.index("--port") + 1] == "4321"
    # `corpus serve`'s server is Prefect's own command, untouched
    assert server_command(4321, ephemeral=False)[1:5] == ["-m", "prefect", "server", "start"]


def test_load_frozen_imports_with_the_collector_paused_then_freezes_and_resumes_it() -> None:
    code = AFTER_LOAD.format(module="email.mime.text")
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    enabled, frozen, imported = json.loads(done.stdout)
    assert enabled and imported
    assert frozen > 1000  # the interpreter's and the module's objects, out of the collections


# a package that registers beartype's import hook for itself, as py-key-value's key_value.aio does
CLAWED_INIT = "from beartype.claw import beartype_this_package\nbeartype_this_package()\n"
CLAWED_MODULE = "def double(x: int) -> int:\n    return x * 2\n"
CALL_CLAWED = """
import json, sys
import beartype.claw
from flows.prefect_uvicorn import load_frozen
register = beartype.claw.beartype_this_package
{load}
from clawed.mod import double
print(json.dumps([double("ab"), beartype.claw.beartype_this_package is register]))
"""


def _call_clawed(tmp_path: Path, load: str) -> subprocess.CompletedProcess[str]:
    package = tmp_path / "clawed"
    package.mkdir()
    (package / "__init__.py").write_text(CLAWED_INIT)
    (package / "mod.py").write_text(CLAWED_MODULE)
    return subprocess.run(
        [sys.executable, "-c", CALL_CLAWED.format(load=load)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )


def test_load_frozen_imports_without_beartypes_import_hook(tmp_path: Path) -> None:
    done = _call_clawed(tmp_path, "load_frozen('clawed.mod')")
    assert done.returncode == 0, done.stderr
    # not rewritten with @beartype: the call's wrong type passes; the hook is put back after
    assert json.loads(done.stdout) == ["abab", True]


def test_the_same_package_imported_normally_is_checked_by_beartype(tmp_path: Path) -> None:
    done = _call_clawed(tmp_path, "")
    assert done.returncode != 0 and "Beartype" in done.stderr


@pytest.mark.slow
def test_the_launched_temporary_server_answers_and_is_stopped(tmp_path: Path) -> None:
    with starting_server(
        tmp_path, server_startup_timeout(), port=None, ephemeral=True, log=tmp_path / "log"
    ) as pending:
        server = pending.ready()
        assert healthy(server.api_url)
        process = psutil.Process(server.pid)
        assert "flows.prefect_uvicorn" in process.cmdline()
    assert not psutil.pid_exists(server.pid) or process.status() == psutil.STATUS_ZOMBIE


def test_the_servers_background_worker_polls_every_2_s(monkeypatch: pytest.MonkeyPatch) -> None:
    from docket import Docket
    from prefect.server.api import background_workers

    monkeypatch.setattr(background_workers, "Worker", background_workers.Worker)  # put back after
    slower_docket_polling()
    slower_docket_polling()  # once is enough: not wrapped twice
    worker = background_workers.Worker(Docket(name="test-poll", url="memory://"))
    assert timedelta(seconds=2) == DOCKET_POLL
    assert worker.scheduling_resolution == DOCKET_POLL  # docket's default: 250 ms
    assert worker.minimum_check_interval == DOCKET_POLL


def test_the_launcher_slows_the_polling_before_uvicorn_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from uvicorn.main import main as uvicorn_main

    calls: list[str] = []
    monkeypatch.setattr(prefect_uvicorn, "load_frozen", lambda: calls.append("load"))
    monkeypatch.setattr(prefect_uvicorn, "slower_docket_polling", lambda: calls.append("poll"))
    monkeypatch.setattr(uvicorn_main, "main", lambda **kwargs: calls.append("uvicorn"))
    prefect_uvicorn.main(["--factory", f"{APP_MODULE}:create_app"])
    assert calls == ["load", "poll", "uvicorn"]
