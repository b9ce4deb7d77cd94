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
