"""`corpus serve`: the scheduled deployments built from the config, and served for real."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from helpers import GOLDEN, ROOT, SEEDS, stop_process_group
from newssite import FAST, NewsSite, serve
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import ConcurrencyLimitStrategy, FlowRun
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL, temporary_settings

from crawler.config_file import load_config
from crawler.record import RECORDS_SCHEMA
from crawler.store.dataset import Dataset
from flows.cli import common_options
from flows.deploy import add_serve_parser, build_deployments, cmd_serve, describe, main

FIXTURES = ROOT / "tests" / "fixtures" / "dumps"
RUN_TIMEOUT = 240.0  # per flow run, generous: two cores shared with other work


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "corpus.toml"
    path.write_text(text, "utf-8")
    return path


SCHEDULED = """
dataset = "corpus"
[crawl]
contact = "desk@example.org"
max_pages = 50
[runs]
lock_wait_seconds = 1
[schedule.ingest]
cron = "30 6 * * *"
timezone = "Europe/Paris"
inbox = "drop"
[schedule.crawl]
enabled = true
cron = "0 3 * * 1"
sources = "sources.toml"
source_names = ["Local"]
"""


def test_deployments_follow_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(str(write_config(tmp_path, SCHEDULED)), env={})
    ingest, crawl = build_deployments(config)

    assert (ingest.flow_name, ingest.name) == ("ingest", "ingest-inbox")
    assert ingest.entrypoint == "flows.ingest.ingest_flow"
    assert ingest.parameters == {
        "paths": [str(tmp_path / "drop")],
        "out": str(tmp_path / "corpus"),
        "config": str(tmp_path / "corpus.toml"),
    }
    assert (crawl.flow_name, crawl.name) == ("crawl", "crawl-sources")
    assert crawl.parameters == {
        "sources_file": str(tmp_path / "sources.toml"),
        "source_names": ["Local"],
        "out": str(tmp_path / "corpus"),
        "contact": "desk@example.org",
        "max_pages": 50,
        "max_depth": None,
        "workers": None,
        "config": str(tmp_path / "corpus.toml"),
    }
    schedules = [(d.schedules or [])[0].schedule for d in (ingest, crawl)]
    assert [(s.cron, s.timezone) for s in schedules] == [  # type: ignore[union-attr]
        ("30 6 * * *", "Europe/Paris"),
        ("0 3 * * 1", "UTC"),
    ]
    for deployment in (ingest, crawl):  # the overlap guard: one run at a time, others wait
        assert deployment.concurrency_limit == 1
        assert deployment.concurrency_options is not None
        assert deployment.concurrency_options.collision_strategy is ConcurrencyLimitStrategy.ENQUEUE
    assert not (tmp_path / "drop").exists()  # building has no side effects; serving creates it


def test_disabled_deployments_are_skipped(tmp_path: Path) -> None:
    path = str(write_config(tmp_path, "[crawl]\ncontact = 'x@y.z'\n"))
    assert [d.name for d in build_deployments(load_config(path, env={}))] == ["ingest-inbox"]
    no_ingest = load_config(path, env={"CORPUS_SCHEDULE_INGEST_ENABLED": "no"})
    assert build_deployments(no_ingest) == []


def test_list_shows_next_runs_in_the_schedule_time_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(str(write_config(tmp_path, SCHEDULED)), env={})
    text = describe(build_deployments(config), now=datetime(2026, 1, 10, 12, 0, tzinfo=UTC))
    assert "ingest/ingest-inbox\n  schedule: '30 6 * * *' Europe/Paris, next run " in text
    assert "next run 2026-01-11T06:30:00+01:00" in text  # the 10th was a Saturday
    assert "next run 2026-01-12T03:00:00+00:00" in text  # Monday
    assert f"  paths = ['{tmp_path / 'drop'}']" in text


def test_serve_is_a_corpus_subcommand(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="corpus")
    add_serve_parser(parser.add_subparsers(dest="command"), common_options())
    args = parser.parse_args(["serve", "--config", str(write_config(tmp_path, "")), "--list"])
    assert cmd_serve(args, load_config(args.config, env={})) == 0
    assert capsys.readouterr().out.startswith("ingest/ingest-inbox\n  schedule: '*/15 * * * *' UTC")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("[schedule.ingest]\ncron = '61 * * * *'", 'schedule.ingest: Invalid cron string: "61'),
        ("[schedule.ingest]\ntimezone = 'Mars/Base'", 'schedule.ingest: Invalid timezone: "Mars'),
        ("[schedule.crawl]\nenabled = true", "schedule.crawl is enabled but crawl.contact is"),
        ("[schedule.ingest]\nenabled = false", "nothing to serve"),
        ("[schedule.ingest]\nevery = 5", "unknown key(s): schedule.ingest.every"),
    ],
)
def test_bad_schedules_exit_2(
    config: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(write_config(tmp_path, config)), "--list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("corpus: error: ") and message in err, err


# --- served for real, against the session's Prefect server -----------------------------------


@contextmanager
def served(config: Path, api_url: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m flows.deploy --config FILE` in its own session; SIGTERM (then SIGKILL) at exit."""
    env = {**os.environ, "PREFECT_API_URL": api_url, "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flows.deploy", "--config", str(config)],
            cwd=config.parent,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        stop_process_group(proc)


def wait_for_deployments(proc: subprocess.Popen[bytes], log: Path, names: list[str]) -> None:
    with get_client(sync_client=True) as client:
        deadline = time.monotonic() + 120
        while True:
            found = {d.name for d in client.read_deployments()}
            if set(names) <= found:
                return
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"deployments {names} not served:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)


def wait_for_runs(ids: list[UUID], log: Path) -> list[FlowRun]:
    with get_client(sync_client=True) as client:
        deadline = time.monotonic() + RUN_TIMEOUT * len(ids)
        while True:
            runs = [client.read_flow_run(i) for i in ids]
            if all(r.state is not None and r.state.is_final() for r in runs):
                return runs
            if time.monotonic() > deadline:
                states = [r.state_name for r in runs]
                pytest.fail(f"runs not finished: {states}\n{log.read_text()[-3000:]}")
            time.sleep(1)


def seed_records(out: Path) -> dict[tuple[str, ...], Any]:
    rows = Dataset(out).read("records", RECORDS_SCHEMA).to_pylist()
    return {
        tuple(sorted(Path(s).name for s in r["sources"])): r["title"]
        for r in rows
        if r["source_kind"] == "text"
    }


@pytest.mark.slow
def test_served_deployments_take_turns_and_fail_cleanly(
    prefect_server: str, tmp_path: Path
) -> None:
    with serve(5, traps=False) as site:
        run_served(site, prefect_server, tmp_path)


def run_served(site: NewsSite, api_url: str, tmp_path: Path) -> None:
    (tmp_path / "sources.toml").write_text(
        f'[[source]]\nname = "Local"\nstart_urls = ["{site.url("/")}"]\n'
        f'sitemaps = ["{site.url("/sitemap.xml")}"]\n',
        "utf-8",
    )
    config = write_config(tmp_path, SCHEDULED)  # next runs hours away: only ours run
    log, out, inbox = tmp_path / "serve.log", tmp_path / "corpus", tmp_path / "drop"
    loopback = {"allowed_networks": ["127.0.0.0/8"], "scrapy_settings": FAST}
    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        with served(config, api_url, log) as proc:
            wait_for_deployments(proc, log, ["ingest-inbox", "crawl-sources"])
            assert inbox.is_dir()  # created by `serve`
            for seed in SEEDS.glob("*.txt"):
                shutil.copy(seed, inbox)
            triggered = [
                run_deployment("ingest/ingest-inbox", timeout=0),
                run_deployment("crawl/crawl-sources", parameters=loopback, timeout=0),
            ]
            ingest, crawl = wait_for_runs([r.id for r in triggered], log)
            records = Dataset(out).read("records", RECORDS_SCHEMA)
            # a run by hand holds the dataset past runs.lock_wait_seconds: the next one fails
            shutil.copy(FIXTURES / "analysis_with_read_more_links.txt", inbox)
            with Dataset(out).lock():
                locked_out = run_deployment("ingest/ingest-inbox", timeout=0)
                (failed,) = wait_for_runs([locked_out.id], log)
            with get_client(sync_client=True) as client:
                deployment = client.read_deployment_by_name("ingest/ingest-inbox")
        assert proc.returncode == 0, log.read_text()[-3000:]  # stopped cleanly by SIGTERM
    assert deployment.global_concurrency_limit is not None
    assert deployment.global_concurrency_limit.limit == 1

    assert ingest.state_name == "Completed" and crawl.state_name == "Completed", log.read_text()
    assert ingest.parameters["paths"] == [str(inbox)] and crawl.parameters["out"] == str(out)
    # the runner took one at a time: one run had ended before the other started
    assert ingest.start_time and ingest.end_time and crawl.start_time and crawl.end_time
    first, second = sorted((ingest, crawl), key=lambda r: r.start_time)
    assert first.end_time and second.start_time and first.end_time <= second.start_time

    golden = [json.loads(line) for line in (GOLDEN / "expected.jsonl").read_text().splitlines()]
    assert seed_records(out) == {tuple(sorted(g["sources"])): g["title"] for g in golden}
    assert records.num_rows == 4 + 5  # the seeds and the fixture site's five articles

    assert failed.state_name == "Failed" and failed.state is not None
    assert "is being written by pid" in str(failed.state.message)  # says why
    assert Dataset(out).read("records", RECORDS_SCHEMA).equals(records)  # left as it was


# --- `corpus serve` as the README prints it: its own server, a cron that really fires ---------

EVERY_MINUTE = """
dataset = "corpus"
[schedule.ingest]
cron = "* * * * *"
inbox = "drop"
"""
SCHEDULE_TIMEOUT = 240.0  # from the server being up: the next minute, plus the run itself
UI_LINE = re.compile(r"Prefect UI at (http://127\.0\.0\.1:\d+) \(API \S+, pid (\d+)")


def without_prefect_settings() -> dict[str, str]:
    """This environment without PREFECT_* and CORPUS_* (a shell outside `make`)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CORPUS_"))}


def wait_for_line(
    proc: subprocess.Popen[bytes], log: Path, pattern: re.Pattern[str]
) -> re.Match[str]:
    deadline = time.monotonic() + 360  # corpus serve bounds the server's start-up at 300 s
    while (found := pattern.search(log.read_text("utf-8", errors="replace"))) is None:
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"no {pattern.pattern!r} from corpus serve:\n{log.read_text()[-3000:]}")
        time.sleep(0.5)
    return found


def scheduled_run_with_report(log: Path) -> tuple[FlowRun, Any]:
    """The first run the scheduler made that completed, and its `ingest-run-report` artifact."""
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    reports = ArtifactFilter(key=ArtifactFilterKey(any_=["ingest-run-report"]))
    with get_client(sync_client=True) as client:
        deadline = time.monotonic() + SCHEDULE_TIMEOUT
        while True:
            runs = [r for r in client.read_flow_runs() if r.auto_scheduled]
            for run in (r for r in runs if r.state_name == "Completed"):
                artifacts = client.read_artifacts(artifact_filter=reports)
                mine = [a for a in artifacts if a.flow_run_id == run.id]
                if mine:
                    return run, mine[0]
            if time.monotonic() > deadline:
                states = [(r.name, r.state_name) for r in runs]
                pytest.fail(f"no scheduled run completed: {states}\n{log.read_text()[-3000:]}")
            time.sleep(2)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture(scope="module")
def serve_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The PREFECT_HOME of this module's `corpus serve` runs, one after another: the first (the
    cron test) creates the server's database as on a fresh clone, the next ones start on it
    (each fresh database costs ~30 s of migrations, which are not what they test)."""
    return tmp_path_factory.mktemp("serve-prefect-home")


@contextmanager
def corpus_serve(tmp_path: Path, log: Path, home: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`.venv/bin/corpus serve` in tmp_path, as in a shell outside `make`, in a session of its
    own (its process group is what a terminal's Ctrl-C reaches); the group is stopped at exit."""
    env = {**without_prefect_settings(), "PREFECT_HOME": str(home)}
    corpus = Path(sys.executable).with_name("corpus")
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(corpus), "serve"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        stop_process_group(proc)


def assert_gone(pid: int, log: Path) -> None:
    deadline = time.monotonic() + 30
    while not gone(pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert gone(pid), f"the Prefect server outlived corpus serve:\n{log.read_text()[-2000:]}"


@pytest.mark.slow
def test_corpus_serve_fires_a_one_minute_cron_on_a_server_of_its_own(
    tmp_path: Path, serve_home: Path
) -> None:
    write_config(tmp_path, EVERY_MINUTE)
    (tmp_path / "drop").mkdir()
    for seed in SEEDS.glob("*.txt"):
        shutil.copy(seed, tmp_path / "drop")
    log = tmp_path / "serve.log"
    started, started_at = time.monotonic(), datetime.now(UTC)
    with corpus_serve(tmp_path, log, serve_home) as proc:
        found = wait_for_line(proc, log, UI_LINE)
        url, server_pid = found.group(1), int(found.group(2))
        up = time.monotonic() - started
        with temporary_settings(updates={PREFECT_API_URL: f"{url}/api"}):
            run, artifact = scheduled_run_with_report(log)
        seen = time.monotonic() - started
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in its terminal (the server has its own)
        assert proc.wait(timeout=90) == 0, log.read_text()[-3000:]
        assert_gone(server_pid, log)
    assert run.expected_start_time and run.start_time and run.end_time
    assert run.parameters["paths"] == [str(tmp_path / "drop")]
    assert "records added (4)" in str(artifact.data)
    assert Dataset(tmp_path / "corpus").read("records", RECORDS_SCHEMA).num_rows == 4
    print(  # the timeline, for the record (never asserted: the machine may be busy)
        f"serve started {started_at}; server up +{up:.0f} s; run {run.name} scheduled for "
        f"{run.expected_start_time}, started {run.start_time}, completed {run.end_time}; "
        f"artifact {artifact.created} (seen +{seen:.0f} s)"
    )


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_corpus_serve_takes_its_server_down_with_it(
    sig: int, tmp_path: Path, serve_home: Path
) -> None:
    write_config(tmp_path, "")
    log = tmp_path / "serve.log"
    with corpus_serve(tmp_path, log, serve_home) as proc:
        server_pid = int(wait_for_line(proc, log, UI_LINE).group(2))
        wait_for_line(proc, log, re.compile("Your deployments are being served"))
        proc.send_signal(sig)  # to corpus serve alone
        code = proc.wait(timeout=90)
        assert_gone(server_pid, log)  # SIGKILL: Linux's parent-death signal stops it
    assert code == (0 if sig == signal.SIGTERM else -signal.SIGKILL), log.read_text()[-3000:]
