"""Paths and small helpers shared by tests (importable: `tests` is on pytest's pythonpath)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
GOLDEN = ROOT / "tests" / "golden"
EVAL = ROOT / "eval"


def load_scorer() -> ModuleType:
    """eval/score.py (the benchmark's metric) as a module."""
    spec = importlib.util.spec_from_file_location("eval_score", EVAL / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
