"""docs/dataset.md's reading examples (pandas, DuckDB, Polars) run as written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import ROOT, markdown_section, python_blocks


def test_dataset_doc_examples_run(
    seeds_dataset: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shutil.copytree(seeds_dataset, tmp_path / "data" / "corpus")
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks(markdown_section(ROOT / "docs" / "dataset.md", "Reading it"))
    assert len(blocks) == 3
    for block in blocks:
        exec(compile(block, "docs/dataset.md", "exec"), {})
    out = capsys.readouterr().out
    assert "The Defense News" in out and "related_block" in out and "(4,)" in out
    assert "near" in out  # the merged seed duplicate
