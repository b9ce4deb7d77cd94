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


def test_ingest_json_summary(seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
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
