"""Held-out page styles the cleaner was not developed on (tests/fixtures/dumps): each
dump is scored against its expected body with the benchmark's metric (eval/score.py),
cleaned on its own (no corpus LineStats), and must stay above a per-page floor.

The fixtures are hand-written in styles absent from the dev set (WordPress with comments,
Substack, a wire story on a local template, de/fr/es/ja/zh/ar news, a live blog, a press
release, a listicle, an author box, a paywall teaser, inline "Read more:" links). Rules
must not be tuned to their exact strings; they check that the general features carry."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from helpers import ROOT, load_scorer

from crawler.extract.boilerplate import clean_text

DUMPS = ROOT / "tests" / "fixtures" / "dumps"
NAMES = sorted(
    p.name.removesuffix(".txt") for p in DUMPS.glob("*.txt") if not p.name.endswith(".expected.txt")
)
FLOOR = 0.95
FLOORS = {"live_blog_timestamps": 0.85}  # first entry's time stamp is read as a dateline
MEAN_FLOOR = 0.97


@pytest.fixture(scope="module")
def score() -> ModuleType:
    module: ModuleType = load_scorer()
    return module


def _f1(score: ModuleType, name: str) -> float:
    expected = (DUMPS / f"{name}.expected.txt").read_text("utf-8")
    got = clean_text((DUMPS / f"{name}.txt").read_text("utf-8")).text
    result = score.evaluate({name: expected}, {name: got})
    return float(result["f1"])


def test_there_are_enough_fixtures() -> None:
    assert len(NAMES) >= 12


@pytest.mark.parametrize("name", NAMES)
def test_unseen_style_scores_above_floor(name: str, score: ModuleType) -> None:
    f1 = _f1(score, name)
    assert f1 >= FLOORS.get(name, FLOOR), f"{name}: F1 {f1:.3f}"


def test_unseen_styles_mean(score: ModuleType) -> None:
    scores = [_f1(score, n) for n in NAMES]
    assert sum(scores) / len(scores) >= MEAN_FLOOR


def test_fixture_files_are_complete() -> None:
    for name in NAMES:
        assert (DUMPS / f"{name}.expected.txt").read_text("utf-8").strip(), name
        assert Path(DUMPS / f"{name}.txt").stat().st_size > 0
