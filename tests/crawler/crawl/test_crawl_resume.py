"""`corpus crawl` stopped by Ctrl-C, or killed outright (SIGKILL to its whole process group),
then run again as the same command: the crawl completes, every article of the fixture site is
stored exactly once, and no job file is left outside the dataset's folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pyarrow.dataset as pads
import pytest
from newssite import FAST, NewsSite, serve

from crawler.crawl.progress import read_progress

ROOT = Path(__file__).resolve().parents[3]
ARTICLES = 12
WAIT_SECONDS = 300  # a bound for the test, not a timing assertion

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site() -> Iterator[NewsSite]:
    with serve(ARTICLES, traps=False) as news:
        yield news


def command(site: NewsSite, out: Path) -> list[str]:
    # slowed down and in small batches, so that kills land mid-crawl, some pages staged
    slow = {**FAST, "DOWNLOAD_DELAY": 0.1, "CONCURRENT_REQUESTS_PER_DOMAIN": 2}
    sets = [arg for k, v in slow.items() for arg in ("--set", f"{k}={json.dumps(v)}")]
    return [
        sys.executable,
        "-m",
        "flows.cli",
        "crawl",
        site.url("/"),
        "--sitemap",
        site.url("/sitemap.xml"),
        "--out",
        str(out),
        "--allow-net",
        "127.0.0.0/8",
        "--contact",
        "desk@x.test",
        "--batch-size",
        "3",
        "--workers",
        "2",
        "--quiet",
        *sets,
    ]


def environment(tmp_path: Path) -> dict[str, str]:
    # A short real folder behind the link: the worker pool's forkserver binds a Unix socket
    # under TMPDIR, and such a path may not exceed 107 bytes (pytest-xdist's tmp_path is long).
    system_tmp = tmp_path / "system-tmp"
    if not system_tmp.exists():
        system_tmp.symlink_to(tempfile.mkdtemp(prefix="corpus-t-", dir="/tmp"))
    tmpdir = os.path.realpath(system_tmp)
    return {**os.environ, "TMPDIR": tmpdir, "PREFECT_HOME": str(tmp_path / "prefect")}


def fetched(out: Path) -> int:
    """Pages the running crawl has fetched, from its progress file (in the dataset's folder;
    the system temp folder is looked at too, where older versions kept it)."""
    files = [
        *out.glob("_crawl/run-*/progress.json"),
        *out.parent.glob("system-tmp/*/progress.json"),
    ]
    return max((int(read_progress(p).get("pages", 0)) for p in files), default=0)


def run(
    cmd: list[str], env: dict[str, str], err: IO[str], out: Path, stop_after: int | None, sig: int
) -> int | None:
    """Run `cmd` in a process group of its own; once the crawl has fetched `stop_after`
    pages, send `sig` to the whole group. Its exit status, None if SIGKILLed."""
    child = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True
    )
    deadline = time.monotonic() + WAIT_SECONDS
    sent = False
    while child.poll() is None:
        assert time.monotonic() < deadline, "the crawl did not end"
        if not sent and stop_after is not None and fetched(out) >= stop_after:
            os.killpg(child.pid, sig)
            sent = True
        time.sleep(0.05)
    if sent and sig == signal.SIGKILL:
        return None
    return child.returncode


def stored_urls(out: Path) -> Counter[str]:
    table = pads.dataset(out / "records", format="parquet", partitioning="hive").to_table()
    return Counter(table["url"].to_pylist())


def articles(site: NewsSite) -> set[str]:
    return {site.url(p) for p in site.pages if p.startswith("/articles/")}


def no_job_file_outside(tmp_path: Path, out: Path) -> None:
    assert not list((tmp_path / "system-tmp").rglob("*.json"))  # job, report, progress
    assert not list(out.glob("_crawl/run-*"))  # those of killed runs: removed by the next


def test_a_crawl_killed_again_and_again_completes_with_every_article_once(
    site: NewsSite, tmp_path: Path
) -> None:
    out, env = tmp_path / "c", environment(tmp_path)
    kills = 0
    with (tmp_path / "stderr.txt").open("w") as err:
        # pages fetched by the run being killed: by then the site's articles are queued, and
        # were the queue lost, the resumed crawl would find them all "seen" and fetch nothing
        for pages in (2, 5, 9):
            status = run(command(site, out), env, err, out, pages, signal.SIGKILL)
            kills += status is None
        status = run(command(site, out), env, err, out, None, 0)
    log = (tmp_path / "stderr.txt").read_text()
    assert status == 0, log[-3000:]
    assert kills >= 2, log[-3000:]  # most runs were killed mid-crawl, not after it
    stored = stored_urls(out)
    assert set(stored) == articles(site), log[-3000:]
    assert set(stored.values()) == {1}  # each exactly once
    no_job_file_outside(tmp_path, out)


def test_ctrl_c_stops_with_one_line_and_the_same_command_resumes(
    site: NewsSite, tmp_path: Path
) -> None:
    out, env = tmp_path / "c", environment(tmp_path)
    with (tmp_path / "stderr.txt").open("w") as err:
        status = run(command(site, out), env, err, out, 3, signal.SIGINT)  # as a terminal does
    log = (tmp_path / "stderr.txt").read_text()
    assert status == 130, log[-3000:]
    assert "Traceback" not in log
    lines = [line for line in log.splitlines() if line.strip()]
    stopped = [line for line in lines if "stopped;" in line]
    assert len(stopped) == 1 and stopped[0].endswith("run the same command to resume"), log
    n = int(stopped[0].split("stopped; ")[1].split(" pages stored")[0])
    assert n == sum(stored_urls(out).values()) if (out / "records").exists() else n == 0
    with (tmp_path / "stderr2.txt").open("w") as err:
        assert run(command(site, out), env, err, out, None, 0) == 0
    stored = stored_urls(out)
    assert set(stored) == articles(site) and set(stored.values()) == {1}
    no_job_file_outside(tmp_path, out)
