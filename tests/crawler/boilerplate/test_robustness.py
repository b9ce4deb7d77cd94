"""Hostile inputs: huge lines, many lines, odd characters. Cleaning must not crash and must
stay linear: each case would take far longer than its limit if any step were quadratic."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from crawler.boilerplate import CleanResult, LineStats, clean_text

LIMIT_S = 2.0


def _timed(make: Callable[[], str], mode: str = "dump") -> tuple[CleanResult, float]:
    text = make()
    stats = LineStats()
    stats.add(text)
    t0 = time.perf_counter()
    res = clean_text(text, stats, mode="dump" if mode == "dump" else "extracted")
    return res, time.perf_counter() - t0


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


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("mode", ["dump", "extracted"])
def test_hostile_input_is_fast_and_safe(name: str, mode: str) -> None:
    res, took = _timed(CASES[name], mode)
    assert took < LIMIT_S, f"{name} ({mode}) took {took:.2f}s"
    assert isinstance(res.paragraphs, list)
    kept = {r.line_no for r in res.removed}
    assert len(kept) == len(res.removed)  # every removed line reported once


def test_many_recurring_lines_inside_a_body_stay_linear() -> None:
    """Recurring non-prose lines inside a long article with no prose near them (the
    syndication check looks for the nearest prose: it must not rescan the page)."""
    chrome = ["Subscribe", "Login", "Menu", "Search"]
    stats = LineStats()
    for _ in range(5):
        stats.add("\n".join(chrome))
    body = [PROSE * 3] * 5 + [f"Label {i}" for i in range(20_000)] + [PROSE * 3] * 5
    text = "\n".join(body + chrome * 2_000)
    t0 = time.perf_counter()
    clean_text(text, stats)
    assert time.perf_counter() - t0 < LIMIT_S


def _clean_seconds(n_lines: int) -> float:
    text = "\n".join(
        (PROSE + str(i)) if i % 3 else f"Related story number {i}" for i in range(n_lines)
    )
    t0 = time.perf_counter()
    clean_text(text)
    return time.perf_counter() - t0


def test_time_grows_linearly_with_distinct_lines() -> None:
    """4x the lines must cost well under 16x the time (quadratic) — allow 8x for noise."""
    _clean_seconds(2_000)  # warm-up
    small = min(_clean_seconds(4_000) for _ in range(2))
    large = _clean_seconds(16_000)
    assert large < 8 * small + 0.05, f"{small:.3f}s -> {large:.3f}s"
