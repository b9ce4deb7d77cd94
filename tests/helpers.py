"""Paths and small helpers shared by tests (importable: `tests` is on pytest's pythonpath)."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import signal
import subprocess
from pathlib import Path
from types import ModuleType

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


def stop_process_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group of `proc` (started with `start_new_session`), then SIGKILL."""
    for sig, wait in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        # the leader is gone; make sure nothing it started survives it
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        return
