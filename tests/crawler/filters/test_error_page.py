"""The error-page filter reads only the removed lines that can match its expressions: the same
verdicts as reading every one (`_reference_check`, the rule before that change)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.filters import error_page
from crawler.filters.error_page import ErrorPage
from crawler.model import Document, Meta, Removal

EVAL = Path(__file__).resolve().parents[3] / "eval" / "dev" / "text"


def _reference_check(doc: Document) -> str | None:
    """ErrorPage.check with every removed line read by the expressions."""
    if doc.word_count >= error_page.MAX_ERROR_PAGE_WORDS:
        return None
    headings = [doc.meta.title or "", *(doc.evidence.headings if doc.evidence else ())]
    for heading in headings:
        if heading and error_page._ERROR_HEADING.search(heading):
            return f"error page: headline {heading[:80]!r}"
    for line in doc.text.split("\n")[: error_page._MESSAGE_LINES]:
        if error_page._ERROR_TEXT.search(line):
            return f"error page: text {line[:80]!r}"
    for removed in doc.removed:
        line = removed.text
        short = len(line.split()) <= error_page._HEADING_WORDS
        if error_page._ERROR_TEXT.search(line) or (
            short and error_page._ERROR_HEADING.search(line)
        ):
            return f"error page: removed line {line[:80]!r}"
    return None


def _doc(lines: list[str]) -> Document:
    removed = [Removal(i, line, "chrome") for i, line in enumerate(lines)]
    return Document("file:///x.txt", "text", "A short text.", Meta(), removed=removed, word_count=3)


def test_every_character_the_expressions_match_to_a_needed_words_is_folded_to_it() -> None:
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    for letter in {c for word in error_page._NEEDED for c in word}:
        for found in re.finditer(re.escape(letter), every, re.IGNORECASE):
            assert error_page._folded(found.group()) == letter, (hex(ord(found.group())), letter)


# what error pages' lines are made of, what chrome is made of, and characters that fold oddly
_WORDS = [
    "page",
    "file",
    "article",
    "story",
    "content",
    "post",
    "url",
    "link",
    "not",
    "found",
    "no",
    "longer",
    "available",
    "removed",
    "could",
    "be",
    "exist",
    "you",
    "are",
    "looking",
    "for",
    "requested",
    "this",
    "the",
    "that",
    "error",
    "404",
    "403",
    "oops",
    "went",
    "wrong",
    "nothing",
    "was",
    "seite",
    "wurde",
    "nicht",
    "gefunden",
    "página",
    "pagina",
    "no",
    "encontrada",
    "strona",
    "nie",
    "znaleziono",
    "страница",
    "не",
    "найдена",
    "sayfa",
    "bulunamadı",
    "sidan",
    "finns",
    "inte",
    "页面不存在",
    "ページが見つかりません",
    "페이지를",
    "찾을",
    "수",
    "없",
    "menu",
    "home",
    "subscribe",
    "log",
    "in",
    "share",
    "İ",
    "ı",
    "K",
    "ſ",
    "PAGE",
    "FİLE",
    "Pagİna",
    "Fıle",
    "|",
    ":",
    "—",
    "-",
]
_LINE = st.lists(st.sampled_from(_WORDS), max_size=10).map(" ".join)


@settings(max_examples=800, deadline=None)
@given(st.lists(_LINE | st.text(max_size=40), max_size=12))
def test_any_removed_lines_get_the_verdict_of_reading_every_line(lines: list[str]) -> None:
    doc = _doc(lines)
    assert ErrorPage().check(doc) == _reference_check(doc)


def test_the_dev_pages_lines_get_the_verdict_of_reading_every_line() -> None:
    for path in sorted(EVAL.glob("*.txt")):
        lines = [line.strip() for line in path.read_text("utf-8").splitlines() if line.strip()]
        for part in (lines, lines[: len(lines) // 2], [*lines, "Sorry, this page is unavailable"]):
            doc = _doc(part)
            assert ErrorPage().check(doc) == _reference_check(doc)
            doc = replace(doc, removed=doc.removed[::-1])
            assert ErrorPage().check(doc) == _reference_check(doc)


def test_a_line_holding_a_line_break_is_read_too() -> None:
    doc = _doc(["menu", "Sorry, this page\nis unavailable", "home"])
    assert ErrorPage().check(doc) == _reference_check(doc) is not None
