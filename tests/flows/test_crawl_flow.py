"""`corpus crawl` and the Prefect crawl flow, against the fixture news site on 127.0.0.1."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from newssite import FAST, NewsSite, serve
from prefect.artifacts import Artifact

from crawler.store.dataset import Dataset
from flows.cli import main
from flows.crawl import crawl_flow, crawl_task, plan_task

SETS = [arg for name, value in FAST.items() for arg in ("--set", f"{name}={json.dumps(value)}")]


@pytest.fixture(scope="module")
def site() -> Iterator[NewsSite]:
    with serve(5, traps=False) as news:
        yield news


def crawl(site: NewsSite, out: Path, *flags: str) -> list[str]:
    return [
        "crawl",
        site.url("/"),
        "--sitemap",
        site.url("/sitemap.xml"),
        "--out",
        str(out),
        "--json",
        *SETS,
        *flags,
    ]


def test_cli_crawl_json_report(
    site: NewsSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "c"
    assert main(crawl(site, out, "--allow-net", "127.0.0.0/8", "--contact", "desk@x.test")) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["finished"] and report["crawl"]["stored"] == 5
    assert report["summary"]["added"] == 5 and report["summary"]["total_records"] == 5
    # links in the chrome (log in, ...) and the listing pages, followed, not stored
    assert report["crawl"]["skipped"] == {"http_404": 5, "listing": 5}


def test_cli_refuses_loopback_unless_allowed(
    site: NewsSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "c"
    assert main(crawl(site, out)) == 1  # nothing could be fetched: not a success
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["crawl"]["pages_fetched"] == 0 and report["summary"]["added"] == 0
    assert report["crawl"]["skipped"] == {"private_address": 2}  # the start page, the sitemap
    assert "no --contact given" in captured.err
    error = [line for line in captured.err.splitlines() if line.startswith("corpus: error:")]
    assert len(error) == 1 and "nothing fetched" in error[0]
    assert "--allow-net CIDR" in error[0] and "--allow-private" in error[0]
    assert main(crawl(site, out, "--allow-private")) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["added"] == 5


@pytest.mark.slow
def test_cli_network_down_exits_1_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:  # a port nothing listens on: every connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    seed = f"http://127.0.0.1:{port}/news/"
    args = ["crawl", seed, "--out", str(tmp_path / "c"), "--allow-net", "127.0.0.0/8", *SETS]
    assert main([*args, "--set", "RETRY_TIMES=0", "--quiet"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("corpus: error: nothing fetched:")
    assert "network down / DNS failed" in err[-1]


def test_cli_locked_dataset_exits_3(
    site: NewsSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "c"
    with Dataset(out).lock():
        assert main(crawl(site, out, "--allow-private", "--wait", "0.5")) == 3
    err = capsys.readouterr().err
    assert "waiting up to 0.5 s" in err and "gave up after 0.5 s" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["crawl", "--out", "x"], "nothing to crawl"),
        (["crawl", "ftp://x.test/"], "not an http(s) URL"),
        (["crawl", "http://x.test/", "--allow-net", "nonsense"], "not a network"),
        (["crawl", "http://x.test/", "--set", "NOEQUALS"], "--set wants NAME=VALUE"),
        (["crawl", "--source", "FPIF"], "--source needs --sources"),
        (["crawl", "--sources", "seeds/sources.toml", "--source", "Nope"], "no source named"),
    ],
)
def test_cli_usage_errors_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_flow_runs_twice_in_one_process(
    prefect_harness: None, site: NewsSite, tmp_path: Path
) -> None:
    options: dict[str, Any] = {
        "urls": [site.url("/")],
        "feeds": [site.url("/feed.xml")],
        "out": str(tmp_path / "c"),
        "allowed_networks": ["127.0.0.0/8"],
        "scrapy_settings": FAST,
    }
    first = crawl_flow(**options)
    assert first["finished"] and first["summary"]["added"] == 5
    assert first["crawl"]["pages_fetched"] >= 7 and first["crawl"]["stored"] == 5
    # the about page reaches the chain, which finds it too short to be an article
    assert first["crawl"]["dropped"] == {"too_short": 1} and first["crawl"]["errors"] == {}
    report = Artifact.get("crawl-run-report")
    assert report is not None
    markdown = str(report.data)
    assert markdown.startswith("# corpus crawl run") and "## crawl finished" in markdown
    assert "5 stored" in markdown and "added 5" in markdown
    review = Artifact.get("crawl-review")
    assert review is not None and len(json.loads(str(review.data))) == 5
    second = crawl_flow(**options)
    assert second["summary"]["added"] == 0 and second["summary"]["total_records"] == 5
    # the five articles and the about page the chain rejected: neither is fetched again
    assert second["crawl"]["skipped"]["already_in_dataset"] == 6


def test_crawl_progress_counts_the_pages(site: NewsSite, tmp_path: Path) -> None:
    from crawler.crawl.job import job_from_options, run_crawl_job

    class Recorder:
        def __init__(self) -> None:
            self.total, self.done = 0, 0

        def start(self, stage: str, total: int) -> None:
            assert stage == "pages"
            self.total = total

        def advance(self, n: int = 1) -> None:
            self.done += n

    job = job_from_options(
        urls=[site.url("/")],
        out=str(tmp_path / "c"),
        max_pages=40,
        allowed_networks=("127.0.0.0/8",),
        scrapy_settings=FAST,
    )
    recorder = Recorder()
    report = run_crawl_job(job, progress=recorder, capture_log=True)
    assert recorder.total == 40
    assert recorder.done == report.crawl["pages_fetched"] > 0


def test_only_the_crawl_task_retries() -> None:
    assert crawl_task.retries == 1 and plan_task.retries == 0


def test_a_page_that_kills_its_worker_costs_only_itself(
    site: NewsSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crawler.crawl.job import job_from_options, run_crawl_job

    killer = sorted(p for p in site.pages if p.startswith("/articles/"))[0]
    monkeypatch.setenv("CRASHY_URL_PART", killer)
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parents[1]))  # the crawl process: crashy
    job = job_from_options(
        urls=[site.url("/")],
        out=str(tmp_path / "c"),
        allowed_networks=("127.0.0.0/8",),
        workers=2,
        scrapy_settings={**FAST, "CORPUS_CLEAN_PAGE": "crashy.clean_page_or_die"},
    )
    report = run_crawl_job(job, capture_log=True)
    assert report.finished, report.log[-3000:]
    assert report.summary["added"] == 4  # the other four articles, though in flight with it
    assert report.crawl["dropped"] == {"crashed": 1, "too_short": 1}  # too short: the about page
    assert report.reasons("dropped")["crashed"] == [site.url(killer)]


def test_python_m_flows_crawl_reports_to_the_temporary_server_of_flows_ingest(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`python -m flows.crawl` starts Prefect's temporary server as `python -m flows.ingest`
    does (flows/temporary_server.py, not Prefect's server imported into the flow's process),
    and one that does not come up is a one-line error, exit 2."""
    import contextlib

    import flows.crawl
    from crawler.errors import ConfigError

    entered: list[str] = []

    @contextlib.contextmanager
    def api() -> Iterator[str]:
        entered.append("api")
        yield "http://127.0.0.1:9/api"

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(flows.crawl, "flow_run_api", api)
    monkeypatch.setattr(flows.crawl, "crawl_flow", lambda **kw: entered.append("flow"))
    assert flows.crawl.main(["https://example.org/", "--out", str(tmp_path / "c")]) == 0
    assert entered == ["api", "flow"]

    @contextlib.contextmanager
    def no_server() -> Iterator[str]:
        raise ConfigError("the local Prefect server at http://127.0.0.1:9 exited (log x: boom)")
        yield ""

    monkeypatch.setattr(flows.crawl, "flow_run_api", no_server)
    assert flows.crawl.main(["https://example.org/", "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("flows.crawl: error: the local Prefect server") and err.count("\n") == 1
