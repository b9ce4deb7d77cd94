"""The README's commands and reading examples run as written (in a copy of the project's seeds
and config, as on a fresh clone)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, markdown_section, python_blocks


def section(title: str) -> str:
    return markdown_section(ROOT / "README.md", title)


def corpus_commands(title: str) -> list[list[str]]:
    """The `.venv/bin/corpus ...` lines of a section's indented blocks, comments cut."""
    found = []
    for line in section(title).splitlines():
        if line.startswith("    .venv/bin/corpus "):
            found.append(shlex.split(line.strip(), comments=True))
    return found


@pytest.mark.slow
def test_cli_and_scheduling_commands_work_as_written(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    shutil.copytree(ROOT / "eval" / "warc", tmp_path / "eval" / "warc")  # the example archive
    shutil.copy(ROOT / "corpus.toml", tmp_path)
    bin_dir = Path(sys.executable).parent
    commands = corpus_commands("One-shot CLI") + corpus_commands("Scheduled runs")
    assert len(commands) >= 8
    env = {k: v for k, v in os.environ.items() if not k.startswith("CORPUS_")}
    for command in commands:
        if command[1] == "serve" and "--list" not in command:
            continue  # serves until stopped: tests/flows/test_deploy.py runs it
        command[0] = str(bin_dir / "corpus")
        done = subprocess.run(
            command, cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env
        )
        # without a network here, a crawl of the real web says so on one line and exits 1
        offline = command[1] == "crawl" and "corpus: error: nothing fetched:" in done.stderr
        assert done.returncode == (1 if offline else 0), (command, done.stdout, done.stderr)
    assert (tmp_path / "data" / "corpus" / "_manifest.json").is_file()


def readme_commands(title: str, program: str) -> list[list[str]]:
    """The lines of a section's indented blocks that start with `program`, split as a shell."""
    return [
        shlex.split(line.strip(), comments=True)
        for line in section(title).splitlines()
        if line.startswith(f"    {program} ")
    ]


@pytest.mark.slow
def test_local_dask_command_works_as_written_outside_make(tmp_path: Path) -> None:
    """The README's `--dask local:2` line, in a shell without the Makefile's PREFECT_* exports:
    the program sets what Prefect needs itself, and leaves the user's home alone."""
    (command,) = [
        c for c in readme_commands("Distributed runs", ".venv/bin/python") if "local:2" in c
    ]
    assert command[1:] == [
        "-m",
        "flows.ingest",
        "seeds",
        "--out",
        "data/corpus",
        "--dask",
        "local:2",
    ]
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    shutil.copy(ROOT / "corpus.toml", tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CORPUS_"))}
    env["HOME"] = str(home)
    command[0] = sys.executable
    done = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=600, env=env
    )
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-3000:])
    assert "added 4" in done.stdout
    assert (tmp_path / "data" / "corpus" / "_manifest.json").is_file()
    assert list(home.iterdir()) == []  # no ~/.prefect: Prefect's state is the project's


def test_reading_examples_run(
    seeds_dataset: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shutil.copytree(seeds_dataset, tmp_path / "data" / "corpus")
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks(section("Reading the corpus (consumers)"))
    assert len(blocks) == 2
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "The Defense News" in out and "related_block" in out
