"""The temporary server started before Prefect is imported (flows/temporary_server.py): from
what the environment says, checked against Prefect's settings once it answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings

from flows.prefect_env import STARTUP_TIMEOUT
from flows.prefect_server import LocalServer
from flows.temporary_server import FlowRunApi, ServerGuess, server_guess


def env(home: Path, **extra: str) -> dict[str, str]:
    return {"PREFECT_HOME": str(home), STARTUP_TIMEOUT: "120", **extra}


def test_the_guess_is_the_environments_server_when_nothing_else_could_set_the_api(
    tmp_path: Path,
) -> None:
    home, here = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    here.mkdir()
    assert server_guess(env(home), here) == ServerGuess(home, 120.0)
    (here / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (here / ".env").write_text("OTHER=1\n")
    (home / "profiles.toml").write_text(
        'active = "local"\n[profiles.local]\nPREFECT_LOGGING_LEVEL = "INFO"\n'
        '[profiles.remote]\nPREFECT_API_URL = "http://elsewhere/api"\n'
    )
    assert server_guess(env(home), here) == ServerGuess(home, 120.0)


@pytest.mark.parametrize(
    "where",
    ["environment", "active profile", "chosen profile", "prefect.toml", ".env", "pyproject"],
)
def test_no_guess_where_a_setting_could_point_the_run_elsewhere(tmp_path: Path, where: str) -> None:
    home, here = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    here.mkdir()
    environ = env(home)
    profiles = (
        'active = "remote"\n[profiles.remote]\nPREFECT_API_URL = "http://elsewhere/api"\n'
        '[profiles.local]\nPREFECT_LOGGING_LEVEL = "INFO"\n'
    )
    if where == "environment":
        environ["PREFECT_API_URL"] = "http://elsewhere/api"
    elif where == "active profile":
        (home / "profiles.toml").write_text(profiles)
    elif where == "chosen profile":
        (home / "profiles.toml").write_text(profiles.replace('"remote"\n', '"local"\n', 1))
        environ["PREFECT_PROFILE"] = "remote"
    elif where == "prefect.toml":
        (here / "prefect.toml").write_text("[logging]\nlevel = 'INFO'\n")
    elif where == ".env":
        (here / ".env").write_text("PREFECT_API_URL=http://elsewhere/api\n")
    else:
        (here / "pyproject.toml").write_text("[tool.prefect.api]\nurl = 'http://elsewhere/api'\n")
    assert server_guess(environ, here) is None


class Pending:
    """A temporary server that answered at once."""

    def __init__(self, log: Path) -> None:
        self.log, self.stopped, self.startup_timeout = log, False, 1.0
        self.server = LocalServer(1, 1, log)

    def ready(self) -> LocalServer:
        return self.server

    def stop(self) -> None:
        self.stopped = True


def test_a_guess_that_prefects_settings_contradict_gives_way_to_them(tmp_path: Path) -> None:
    log = tmp_path / "temporary-server.log"
    log.write_text("")
    pending = Pending(log)
    api = FlowRunApi(None, pending, guessed=ServerGuess(tmp_path, 1.0))  # type: ignore[arg-type]
    configured = {PREFECT_API_URL: "http://configured:4200/api"}
    with temporary_settings(updates=configured), api.reporting() as url:
        assert url == "http://configured:4200/api"
    assert pending.stopped and api.pending is None and not log.exists()


def test_a_guess_that_prefects_settings_confirm_is_the_runs_server(tmp_path: Path) -> None:
    pending = Pending(tmp_path / "temporary-server.log")
    api = FlowRunApi(None, pending, guessed=ServerGuess(tmp_path, 1.0))  # type: ignore[arg-type]
    temporary = {PREFECT_API_URL: "", PREFECT_HOME: str(tmp_path)}
    with temporary_settings(updates=temporary), api.reporting() as url:
        assert url == "http://127.0.0.1:1/api"
    assert not pending.stopped and api.pending is pending
