"""Regression gate on the dev set (eval/): the whole ingest path must not score below floors set
a little under the figures reached (docs/quality.md). A drop means a change hurt extraction."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest
from helpers import EVAL

from crawler.run.ingest import run_ingest

FLOORS = {"text": 0.94, "html": 0.975}  # reached: text 0.948, html 0.980


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["text", "html"])
def test_dev_set_scores_stay_above_floors(kind: str, tmp_path: Path, scorer: ModuleType) -> None:
    gold = json.loads((EVAL / "dev" / "gold.json").read_text("utf-8"))
    summary = run_ingest([str(EVAL / "dev" / kind)], tmp_path / "corpus")
    assert summary.rejected == 0 and summary.added == len(gold)
    texts, _, _ = scorer.load_parquet(str(tmp_path / "corpus"), set(gold), "**/*.parquet")
    result = scorer.evaluate({i: g["text"] for i, g in gold.items()}, texts)
    assert result["f1"] >= FLOORS[kind], f"{kind} F1 {result['f1']:.3f} < floor {FLOORS[kind]}"
    assert min(result["precision"], result["recall"]) >= FLOORS[kind] - 0.03
