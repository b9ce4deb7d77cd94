"""Paths and small helpers shared by tests (importable: `tests` is on pytest's pythonpath)."""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

# the library's, for the tests that start process groups of their own
from flows.prefect_server import stop_process_group as stop_process_group

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
GOLDEN = ROOT / "tests" / "golden"
EVAL = ROOT / "eval"
# Dragnet's training pages, from ../shared when a checkout has it (AGPL: never copied into the
# repository); tests that read them run only where they are found
DRAGNET_HTML: Path | None = next(
    (
        up / "shared" / "eval" / "dragnet-train" / "html"
        for up in ROOT.parents
        if (up / "shared" / "eval" / "dragnet-train" / "html").is_dir()
    ),
    None,
)
# four paragraphs of plain news prose, for pages built in tests
ARTICLE_PARAGRAPHS = [
    "The city council voted on Tuesday to approve a new pedestrian bridge across the river, "
    "ending a debate that has divided residents of the two neighbourhoods for almost ten years.",
    "Supporters of the project said the bridge would cut the walk between the train station and "
    "the hospital by twenty minutes, and would bring new customers to the shops on both banks.",
    "Opponents argued that the money should instead be spent on repairing the existing roads, "
    "many of which have not been resurfaced since the flood that damaged the district in 2009.",
    "Construction is expected to begin next spring and to last about eighteen months, according "
    "to the engineering firm that won the contract after a competition held earlier this year.",
]


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


@dataclass(frozen=True)
class RefusedConfig:
    """A dataset the flow made from the seeds and a config it refuses (other dedup settings)."""

    out: Path
    config: Path
    files: list[Path] = field(init=False)  # the dataset's files (relative), when made

    def __post_init__(self) -> None:
        object.__setattr__(self, "files", self.files_now())

    def files_now(self) -> list[Path]:
        return sorted(p.relative_to(self.out) for p in self.out.rglob("*") if p.is_file())
