"""Hostile inputs: huge lines, many lines, odd characters. Cleaning must not crash and must
stay linear. Linearity is checked by counting the function calls cleaning makes (the same on any
machine, however busy), never by a clock: bench/limits_bench.py times these shapes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

import pytest

from crawler.extract.boilerplate import CleanResult, LineStats, clean_text


def _cleaned(make: Callable[[], str], mode: str = "dump") -> tuple[CleanResult, str]:
    text = make()
    stats = LineStats()
    stats.add(text)
    return clean_text(text, stats, mode="dump" if mode == "dump" else "extracted"), text


def calls_made(work: Callable[[], object]) -> int:
    """Function calls (Python and C) made while `work` runs: a measure of work that a busy
    machine does not change."""
    count = 0

    def profiler(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profiler)
    try:
        work()
    finally:
        sys.setprofile(None)
    return count


PROSE = "The council voted on Tuesday to extend the programme for another two years. "

CASES: dict[str, Callable[[], str]] = {
    "10MB single prose line": lambda: PROSE * (10_000_000 // len(PROSE)),
    "10MB line without spaces": lambda: "x" * 10_000_000,
    "10MB of digits": lambda: "1" * 10_000_000,
    "5MB of braces and percents": lambda: "{{ {* %2F%3A " * 400_000,
    "100k lines, 10k distinct": lambda: "\n".join(
        (PROSE + str(i % 5_000)) if i % 2 else f"Menu item {i % 5_000}" for i in range(100_000)
    ),
    "100k identical lines": lambda: "\n".join(["Share"] * 100_000),
    "100k recurring-looking lines": lambda: "\n".join(["Home", "News"] * 50_000),
    "5k-char punctuation lines": lambda: "\n".join(
        "".join(chr(33 + (i + j) % 15) for j in range(5_000)) for i in range(200)
    ),
    "long dash word": lambda: "a" + "-" * 2_000_000 + "b",
    "zero-width, RTL, control": lambda: "\n".join(
        ["\u200b\u200e\u202e\u2066", "\x00\x01\x02\x1b[0m", "مرحبا\u200f بالعالم " * 50, PROSE]
        * 2_000
    ),
    "NUL everywhere": lambda: ("\x00" + PROSE) * 20_000,
    "mixed line endings": lambda: (PROSE + "\r\n" + "Share\r" + "\u2028" + PROSE + "\n") * 5_000,
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("mode", ["dump", "extracted"])
def test_hostile_input_is_safe(name: str, mode: str) -> None:
    res, text = _cleaned(CASES[name], mode)
    assert isinstance(res.paragraphs, list)
    assert sum(map(len, res.paragraphs)) <= len(text)  # cleaning never adds text
    kept = {r.line_no for r in res.removed}
    assert len(kept) == len(res.removed)  # every removed line reported once


@pytest.mark.slow
def test_many_recurring_lines_inside_a_body_stay_linear() -> None:
    """Recurring non-prose lines inside a long article with no prose near them (the
    syndication check looks for the nearest prose: it must not rescan the page)."""
    chrome = ["Subscribe", "Login", "Menu", "Search"]
    stats = LineStats()
    for _ in range(5):
        stats.add("\n".join(chrome))

    def page(labels: int) -> str:
        body = [PROSE * 3] * 5 + [f"Label {i}" for i in range(labels)] + [PROSE * 3] * 5
        return "\n".join(body + chrome * (labels // 10))

    small = calls_made(lambda: clean_text(page(1_000), stats))
    large = calls_made(lambda: clean_text(page(4_000), stats))
    assert large < 5 * small, f"{small} -> {large} calls for 4x the lines"


def _page(n_lines: int) -> str:
    return "\n".join(
        (PROSE + str(i)) if i % 3 else f"Related story number {i}" for i in range(n_lines)
    )


@pytest.mark.slow
def test_work_grows_linearly_with_distinct_lines() -> None:
    """4x the lines: 4x the calls (16x if a step were quadratic in lines); 5x allowed."""
    clean_text(_page(100))  # warm-up: lazy imports and caches are not the document's work
    small = calls_made(lambda: clean_text(_page(2_000)))
    large = calls_made(lambda: clean_text(_page(8_000)))
    assert large < 5 * small, f"{small} -> {large} calls"


def test_work_grows_linearly_with_line_length() -> None:
    """One line 4x longer: the per-line steps must not loop per character in Python."""
    small = calls_made(lambda: clean_text(PROSE * 200))
    large = calls_made(lambda: clean_text(PROSE * 800))
    assert large < 2 * small, f"{small} -> {large} calls"
