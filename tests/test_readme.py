"""The README's reading examples run as written against a freshly ingested dataset."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from helpers import ROOT


def readme_blocks(section: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", body, flags=re.S)


def test_reading_examples_run(
    seeds_dataset: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shutil.copytree(seeds_dataset, tmp_path / "data" / "corpus")
    monkeypatch.chdir(tmp_path)
    blocks = readme_blocks("Reading the corpus")
    assert len(blocks) == 2
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "The Defense News" in out and "related_block" in out
