"""`corpus` as a user runs it: output, exit codes, error messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT

from flows.cli import main


def test_ingest_prints_a_summary_table(
    seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ingest", str(seeds_copy), "--out", str(tmp_path / "c")]) == 0
    out = capsys.readouterr().out
    assert "added 4" in out and "merged 0 exact + 1 near" in out
    assert "The Defense News" in out and "000_048c629248b55fb2.txt, 001_072caf9a92d821cb.txt" in out


def test_ingest_json_summary(
    seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (seeds_copy / "empty.txt").write_bytes(b"")
    assert main(["ingest", str(seeds_copy), "--out", str(tmp_path / "c"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["added"] == 4 and summary["rejected"] == 1
    assert summary["rejects"][0]["reason"] == "empty"


def test_missing_path_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", str(tmp_path / "nope"), "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("corpus: error: no such file or directory") and err.count("\n") == 1
    assert not (tmp_path / "c").exists()


@pytest.mark.slow
def test_console_script_exit_codes(tmp_path: Path) -> None:
    corpus = Path(sys.executable).parent / "corpus"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(corpus), *args], capture_output=True, text=True, cwd=ROOT)

    bad_flag = run("ingest", "seeds", "--no-such-flag")
    assert bad_flag.returncode == 2 and "unrecognized arguments: --no-such-flag" in bad_flag.stderr
    assert run("frobnicate").returncode == 2
    assert run().returncode == 2
    helped = run("ingest", "--help")
    assert helped.returncode == 0 and "example: corpus ingest" in helped.stdout
    missing = run("ingest", str(tmp_path / "missing"))
    assert missing.returncode == 2 and "no such file or directory" in missing.stderr


def test_explain_marks_every_line(capsys: pytest.CaptureFixture[str]) -> None:
    seed = ROOT / "seeds" / "003_36ddb65ec7cb6b45.txt"
    assert main(["explain", str(seed)]) == 0
    out = capsys.readouterr().out
    assert "\033[" not in out  # plain when not on a terminal
    rows = [line for line in out.splitlines() if not line.startswith("#")]
    non_blank = [line for line in seed.read_text().splitlines() if line.strip()]
    assert len(rows) == len(non_blank)
    verdicts = {row.split()[1] for row in rows}
    assert {"kept", "title", "read_time", "repost_notice", "caption"} <= verdicts
    assert main(["explain", str(seed), "--colour", "always"]) == 0
    assert "\033[32m" in capsys.readouterr().out


def test_explain_of_a_missing_file_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "no/such/file.txt"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_stats_and_compact_commands(
    seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "c")
    assert main(["stats", "--out", out]) == 2
    assert "no dataset at" in capsys.readouterr().err
    main(["ingest", str(seeds_copy), "--out", out])
    capsys.readouterr()
    assert main(["stats", "--out", out, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["records"] == 4
    assert main(["compact", "--out", out]) == 0
    assert "nothing to compact" in capsys.readouterr().out  # one run: one file per table


def test_quiet_prints_nothing_and_verbose_logs_each_stage(
    seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "c")
    assert main(["ingest", str(seeds_copy), "--out", out, "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")
    (seeds_copy / "more.txt").write_text((seeds_copy / "003_36ddb65ec7cb6b45.txt").read_text())
    try:
        assert main(["ingest", str(seeds_copy), "--out", out, "-v"]) == 0
    finally:
        main(["config", "-q"])  # without -v: takes the handler off the library's loggers
    captured = capsys.readouterr()
    assert "6 inputs, 1 new, 5 unchanged" in captured.err
    assert "committed: 0 added, 1 merged" in captured.err
    assert "added 0  merged 1 exact + 0 near" in captured.out


def test_every_command_has_json_output(
    seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "c")
    assert main(["ingest", str(seeds_copy), "--out", out, "--json", "-q"]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == 4  # --json wins over --quiet
    seed = str(seeds_copy / "003_36ddb65ec7cb6b45.txt")
    assert main(["explain", seed, "--json"]) == 0
    explained = json.loads(capsys.readouterr().out)
    assert {"kept", "title"} <= {line["verdict"] for line in explained["lines"]}
    assert main(["compact", "--out", out, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"compacted": {}}
    assert main(["config", "--json"]) == 0
    config = json.loads(capsys.readouterr().out)
    assert config["settings"]["settings.min_words"]["value"] == 30


def test_config_command_shows_values_and_origins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[settings]\nmin_words = 12\n")
    monkeypatch.setenv("CORPUS_SETTINGS_BATCH_SIZE", "9")
    assert main(["config", "--config", str(path)]) == 0
    rows = {line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines()}
    assert rows["settings.min_words"] == ["12", str(path)]
    assert rows["settings.batch_size"] == ["9", "$CORPUS_SETTINGS_BATCH_SIZE"]
    monkeypatch.setenv("CORPUS_SETTINGS_BATCH_SIZE", "nine")
    assert main(["config"]) == 2
    assert "CORPUS_SETTINGS_BATCH_SIZE: expected int" in capsys.readouterr().err


def test_a_locked_dataset_is_waited_for_then_refused(
    seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from crawler.store.dataset import Dataset

    out = tmp_path / "c"
    with Dataset(out).lock():
        assert main(["ingest", str(seeds_copy), "--out", str(out), "--wait", "0.5"]) == 3
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("corpus: note: dataset") and "waiting up to 0.5 s" in err[0]
    assert err[1].startswith("corpus: error: dataset") and "gave up after 0.5 s" in err[1]
    assert len(err) == 2


def test_progress_bars_only_on_a_terminal(seeds_copy: Path, tmp_path: Path) -> None:
    import io

    from crawler.run.ingest import run_ingest
    from flows.progress import progress_for

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    piped, terminal = io.StringIO(), Terminal()
    with progress_for(True, piped) as progress:
        run_ingest([str(seeds_copy)], tmp_path / "a", progress=progress)
    assert piped.getvalue() == ""
    with progress_for(True, terminal) as progress:
        run_ingest([str(seeds_copy)], tmp_path / "b", progress=progress)
    shown = terminal.getvalue()
    assert "scan" in shown and "clean" in shown and "5/5" in shown
    with progress_for(False, terminal) as progress:  # --quiet
        assert type(progress).__name__ == "NoProgress"


def test_every_command_help_has_an_example() -> None:
    from flows.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert commands is not None
    for name, sub in commands.items():
        text = sub.format_help()
        assert "example" in text and f"corpus {name}" in text, name
        assert "--quiet" in text and "--config" in text, name
