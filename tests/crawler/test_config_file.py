"""The config file: precedence, environment overrides, errors, and corpus.toml documents all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import ROOT

from crawler.config_file import CorpusConfig, env_var, flat_items, load_config
from crawler.errors import ConfigError


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "corpus.toml"
    path.write_text(text)
    return str(path)


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./corpus.toml here
    config = load_config(env={})
    assert config == CorpusConfig()
    assert config.path is None and {origin for _, _, origin in flat_items(config)} == {"default"}


def test_file_then_environment_then_flags(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'dataset = "/srv/corpus"\n[settings]\nmin_words = 50\nbatch_size = 10\n'
        '[schedule.crawl]\nenabled = true\nsource_names = ["FPIF"]\n',
    )
    env = {
        "CORPUS_SETTINGS_MIN_WORDS": "80",
        "CORPUS_SCHEDULE_CRAWL_SOURCE_NAMES": "FPIF, The Diplomat",
        "CORPUS_SCHEDULE_INGEST_ENABLED": "no",
        "CORPUS_RUNS_LOCK_WAIT_SECONDS": "5",
    }
    config = load_config(path, env)
    assert config.dataset == "/srv/corpus" and config.settings.batch_size == 10
    assert config.settings.min_words == 80  # the environment beats the file
    assert config.schedule.crawl.enabled and not config.schedule.ingest.enabled
    assert config.schedule.crawl.source_names == ["FPIF", "The Diplomat"]
    assert config.runs.lock_wait_seconds == 5.0
    origins = {key: origin for key, _, origin in flat_items(config)}
    assert origins["settings.min_words"] == "$CORPUS_SETTINGS_MIN_WORDS"
    assert origins["settings.batch_size"] == path and origins["settings.workers"] == "default"
    assert config.settings.with_overrides(min_words=3).min_words == 3  # flags come last


def test_the_config_file_comes_from_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "[settings]\nmin_words = 7\n")
    assert load_config(env={"CORPUS_CONFIG": path}).settings.min_words == 7
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(str(tmp_path / "missing.toml"), env={})


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("[settings]\nmin_word = 5\n", {}, r"unknown key\(s\): settings.min_word"),
        ("[settings]\nmin_words = '5'\n", {}, "settings.min_words: expected int, got '5'"),
        ("[settings]\nuse_line_stats = 1\n", {}, "expected bool"),
        ("settings = 3\n", {}, "settings must be a table"),
        ("[settings\n", {}, "not valid TOML"),
        ("", {"CORPUS_SETTINGS_BATCH_SIZE": "many"}, "CORPUS_SETTINGS_BATCH_SIZE: expected int"),
        ("[settings]\nnum_perm = 60\n", {}, "multiple of lsh_bands"),
    ],
)
def test_bad_config_is_one_clear_error(
    tmp_path: Path, text: str, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text), env)


def test_corpus_toml_documents_every_setting_with_its_default() -> None:
    shipped = ROOT / "corpus.toml"
    config = load_config(str(shipped), env={})
    defaults = {key: value for key, value, _ in flat_items(CorpusConfig())}
    assert {key: value for key, value, _ in flat_items(config)} == defaults
    lines = shipped.read_text().splitlines()
    table = ""
    documented = set()
    for n, line in enumerate(lines):
        if header := re.fullmatch(r"\[([\w.]+)\]", line):
            table = header[1] + "."
        elif key := re.match(r"(\w+) = ", line):
            above = lines[n - 1]
            # a comment right above, or the key's own group comment a few lines up
            group = [lines[i] for i in range(max(0, n - 4), n)]
            assert above.startswith("#") or any(g.startswith("#") for g in group), line
            documented.add(table + key[1])
    assert documented == set(defaults)


def test_env_var_names() -> None:
    assert env_var("settings.min_words") == "CORPUS_SETTINGS_MIN_WORDS"
    assert env_var("schedule.ingest.cron") == "CORPUS_SCHEDULE_INGEST_CRON"
    assert env_var("dataset") == "CORPUS_DATASET"
