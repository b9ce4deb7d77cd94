"""Paths and small helpers shared by tests (importable: `tests` is on pytest's pythonpath)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

# the library's, for the tests that start process groups of their own
from flows.prefect_server import stop_process_group as stop_process_group

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
GOLDEN = ROOT / "tests" / "golden"
EVAL = ROOT / "eval"


def markdown_section(path: Path, title: str) -> str:
    """The body of a document's `## title` section."""
    return path.read_text().split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def python_blocks(markdown: str) -> list[str]:
    """The ```python code blocks of some Markdown."""
    return re.findall(r"```python\n(.*?)```", markdown, flags=re.S)


def load_scorer() -> ModuleType:
    """eval/score.py (the benchmark's metric) as a module."""
    spec = importlib.util.spec_from_file_location("eval_score", EVAL / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
