"""Per-line and per-token analysis reused across lines and documents: same output, bounded memory."""

from __future__ import annotations

import dataclasses
import re

import pytest

from crawler.extract.boilerplate import LineStats, clean_text, cleaner, lines
from crawler.extract.boilerplate.lines import fold_key
from crawler.extract.boilerplate.stats import key_hash

CHROME = [
    "Home | World | Sport",
    "Share this article",
    "Sign up for our newsletter",
    "© 2024 Daily",
]


def _page(n: int) -> str:
    body = [
        f"Story {n} begins as the council met on Tuesday to discuss the budget for the year.",
        f"Officials said the plan for district {n} would be published after a long debate.",
        "Residents who attended the meeting asked many questions about the new rules.",
    ]
    return "\n".join([*CHROME, f"Headline number {n} for the page", "", *body, *CHROME[1:]])


def _audit(text: str, stats: LineStats | None) -> tuple[object, ...]:
    r = clean_text(text, stats)
    return (r.paragraphs, [(x.line_no, x.text, x.reason) for x in r.removed], r.meta, r.captions)


@pytest.mark.parametrize("with_stats", [False, True])
def test_a_page_cleans_the_same_after_other_pages(with_stats: bool) -> None:
    pages = [_page(n) for n in range(12)]
    stats = None
    if with_stats:
        stats = LineStats()
        for p in pages:
            stats.add(p)
    fresh = []
    for p in pages:  # each page as the first one a process cleans
        cleaner._SEEN.clear()
        fresh.append(_audit(p, stats))
    cleaner._SEEN.clear()
    warm = [_audit(p, stats) for p in pages]  # later pages reuse the chrome lines' analysis
    assert "Share this article" in cleaner._SEEN
    assert warm == fresh


def test_the_memo_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cleaner, "_SEEN_MAX", 50)
    cleaner._SEEN.clear()
    for n in range(40):
        clean_text(_page(n) + "\n" + "\n".join(f"unique line {n} {k}" for k in range(20)))
        assert len(cleaner._SEEN) <= 50
    long_line = "word " * 400  # longer than _SEEN_MAX_CHARS: never kept
    clean_text(long_line + "\n" + _page(99))
    assert long_line not in cleaner._SEEN


def test_hash_freqs_are_key_freqs() -> None:
    stats = LineStats()
    for n in range(6):
        stats.add(_page(n))
    keys = [fold_key(line) for line in [*CHROME, "never seen", "Headline number 3 for the page"]]
    assert stats.hash_freqs([key_hash(k) for k in keys]) == [stats.key_freq(k) for k in keys]
    assert LineStats().hash_freqs([key_hash("x")]) == [0]
    assert stats.hash_freqs([]) == []


TOKEN_LINES = [
    "The Council met on Tuesday, 12:30 GMT, and said: “Don't wait” — e-mail us (now).",
    "Updated 3 hours ago · Mon, Nov. 20, 2019",
    "ſ K İ ı « » ¿ ¡ ... -- ’s",
    "Der Bundestag hat am Donnerstag beschlossen, dass die Mieten begrenzt werden.",
    "",
]


def test_token_counts_are_the_token_by_token_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lines, "_TOKENS_MAX", 8)  # the table is emptied while lines are counted
    widest = max(len(set(text.split(" "))) for text in TOKEN_LINES)
    for _ in range(2):  # the second time from the table
        for text in TOKEN_LINES:
            sample = text.split(" ") if text else []
            assert lines._token_counts(sample) == lines._token_counts_of(sample), text
            assert len(lines._TOKENS) <= 8 + widest


# The date expressions as one alternation (what `lines._has_date` searches piece by piece).
_DATE_ONE_REGEX = re.compile(
    r"\b\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}\b|\b\d{1,2}:\d{2}\b|\b(?:19|20)\d{2}\b"
    r"|\b\d+\s*(?:hours?|hrs?|minutes?|mins?|days?|weeks?|months?|years?)\s+ago\b"
    r"|\b(?:a|an|one)\s+(?:hour|minute|day|week|month|year)\s+ago\b"
    r"|\d{4}年\d{1,2}月\d{1,2}日|\d{1,2}月\d{1,2}日|\byesterday\b|\bjust now\b",
    re.IGNORECASE,
)
DATE_LINES = [
    *TOKEN_LINES,
    "2019-11-20",
    "a2019-11-20 x12:30 b1999 x3 hours ago",  # no word boundary before the digits
    "12019-11-20",
    "on 20/11/2019, at 9:02",
    "In 1999 and 2020",
    "3.11.20199",
    "19999 20222 1 9",
    "posted 5 HOURS AGO",
    "an hour ago",
    "5hrs  ago today",
    "2019年11月20日 11月20日",
    "12345年6月7日",
    "Yesterday, just now",
    "YESTERDAYS and ſjust now",
    "١٢:٣٠ ٢٠١٩",  # Arabic-Indic digits are \d
    "²³:⁴⁵",  # superscripts: isdigit but not \d
    "no date here at all",
]


def test_has_date_is_the_one_regex() -> None:
    for text in DATE_LINES:
        digits = sum(map(str.isdigit, text))
        assert lines._has_date(text, digits) == (_DATE_ONE_REGEX.search(text) is not None), text


def test_features_are_a_complete_line_features() -> None:
    """`features_of_normalized` (through `features.make`, compiled or not) sets every field,
    equal to the same values passed to the constructor."""
    names = [f.name for f in dataclasses.fields(lines.LineFeatures)]
    for text in [t for t in DATE_LINES if t]:
        f = lines.features_of_normalized(lines.normalize(text))
        assert all(getattr(f, n) is not None for n in names)
        assert f == lines.LineFeatures(**{n: getattr(f, n) for n in names})
        with pytest.raises(dataclasses.FrozenInstanceError):
            f.chars = 0  # type: ignore[misc]
