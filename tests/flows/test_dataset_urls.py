"""A dataset named by a URL (`--out s3://bucket/x`, `dataset = "s3://..."`) is refused with one
line and exit 2 by every command that takes a dataset, before anything is written; a plain path
or a `file://` URL is a local directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import SEEDS

import flows.crawl
import flows.deploy
import flows.ingest
from crawler.config_file import dataset_dir, load_config
from crawler.errors import ConfigError
from flows.cli import main as corpus

URLS = ["s3://bucket/x", "gs://bucket/corpus", "HDFS://namenode/x", "http://example.org/c"]

# every `corpus` command that takes --out, with the rest of its arguments
CLI_OUT = {
    "ingest": ["ingest", str(SEEDS)],
    "crawl": ["crawl", "https://example.org/", "--contact", "x@example.org"],
    "stats": ["stats"],
    "compact": ["compact"],
}


def test_paths_and_file_urls_are_directories() -> None:
    assert dataset_dir("data/corpus", "--out") == "data/corpus"
    assert dataset_dir("/srv/my corpus", "--out") == "/srv/my corpus"
    assert dataset_dir("file:///srv/my%20corpus", "--out") == "/srv/my corpus"
    assert dataset_dir("file://localhost/srv/c", "--out") == "/srv/c"
    assert dataset_dir("weird:name/x", "--out") == "weird:name/x"  # no "://": a path
    for url in [*URLS, "file://otherhost/srv/c", "file://"]:
        with pytest.raises(ConfigError, match="is a URL"):
            dataset_dir(url, "--out")


def test_dataset_from_the_config_or_env_is_checked(tmp_path: Path) -> None:
    config = tmp_path / "corpus.toml"
    config.write_text('dataset = "s3://bucket/x"\n', "utf-8")
    with pytest.raises(ConfigError, match=r"corpus.toml: dataset: 's3://bucket/x' is a URL"):
        load_config(str(config), env={})
    with pytest.raises(ConfigError, match=r"\$CORPUS_DATASET: dataset: 'gs://b/c' is a URL"):
        load_config(None, env={"CORPUS_DATASET": "gs://b/c"})
    config.write_text(f'dataset = "file://{tmp_path}/c"\n', "utf-8")
    assert load_config(str(config), env={}).dataset == f"{tmp_path}/c"


def _one_line_exit_2(err: str, url: str) -> None:
    assert err.count("\n") == 1 and f"{url!r} is a URL" in err, err


@pytest.mark.parametrize("command", sorted(CLI_OUT))
@pytest.mark.parametrize("url", URLS[:2])
def test_corpus_commands_refuse_a_url_out(
    command: str,
    url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert corpus([*CLI_OUT[command], "--out", url]) == 2
    _one_line_exit_2(capsys.readouterr().err, url)
    assert list(tmp_path.iterdir()) == []  # no ./s3:/bucket/x


@pytest.mark.parametrize("command", [*sorted(CLI_OUT), "serve", "serve --list"])
def test_corpus_commands_refuse_a_url_dataset_in_the_config(
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "corpus.toml").write_text('dataset = "s3://bucket/x"\n', "utf-8")
    argv = CLI_OUT.get(command, command.split())
    assert corpus(argv) == 2
    _one_line_exit_2(capsys.readouterr().err, "s3://bucket/x")
    assert flows.deploy.main([]) == 2  # python -m flows.deploy


@pytest.mark.parametrize(
    ("main", "argv"),
    [(flows.ingest.main, [str(SEEDS)]), (flows.crawl.main, ["https://example.org/"])],
    ids=["flows.ingest", "flows.crawl"],
)
def test_flow_commands_refuse_a_url_out_before_any_flow_run(
    main: object,
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    cases = [("c", ["--out", "s3://bucket/x"], "s3://bucket/x"), ("gs://b/c", [], "gs://b/c")]
    for dataset, extra, url in cases:
        (tmp_path / "corpus.toml").write_text(f'dataset = "{dataset}"\n', "utf-8")
        with pytest.raises(SystemExit) as exit_info:
            main([*argv, *extra])  # type: ignore[operator]
        assert exit_info.value.code == 2
        _one_line_exit_2(capsys.readouterr().err, url)
    assert [p.name for p in tmp_path.iterdir()] == ["corpus.toml"]
