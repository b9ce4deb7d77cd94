from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extract.normalize import (
    content_hash,
    detect_language,
    joined_tokens,
    norm_language,
    normalize_line,
    normalize_text,
    parse_date,
    replace_surrogates,
    tokens,
    word_count,
)


def test_normalize_line_removes_invisible_characters_and_collapses_space() -> None:
    assert normalize_line("  a\u200bb \t c\u00ad\x07 ") == "ab c"
    assert normalize_text(["one", "  ", " two  words "]) == "one\ntwo words"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.characters(codec=None, min_codepoint=0, max_codepoint=0xFFFF),
            st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff"]),
        )
    ).map("".join)
)
def test_replace_surrogates_is_the_regex_everywhere(text: str) -> None:
    import re

    expected = re.sub("[\ud800-\udfff]", "\ufffd", text)
    assert replace_surrogates(text) == expected
    expected.encode("utf-8")  # storable


def test_word_count_counts_cjk_characters() -> None:
    assert word_count("three little words") == 3
    assert word_count("日本語 and two") == 5


def test_content_hash_ignores_case_punctuation_and_quotes() -> None:
    assert content_hash("It’s “here”, now.") == content_hash("it's here now")
    assert content_hash("one text") != content_hash("another text")


def test_language_from_declaration_or_text() -> None:
    assert detect_language("anything", "pt-BR") == "pt"
    english = "The council approved the plan on Tuesday after a long debate about costs. " * 8
    assert detect_language(english, "de") == "en"  # a confident guess beats a wrong declaration
    assert detect_language("Это длинное предложение на русском языке о новостях дня.") == "ru"
    assert detect_language("ok") is None


def test_parse_date_only_takes_absolute_dates() -> None:
    assert parse_date("July 7, 2025") == datetime(2025, 7, 7, tzinfo=UTC)
    assert parse_date("2024-03-22T10:00:00+02:00") == datetime(2024, 3, 22, 8, tzinfo=UTC)
    assert parse_date("a day ago") is None
    assert parse_date("time2 hours ago") is None
    assert parse_date(None) is None


def test_parse_date_knows_news_zone_abbreviations() -> None:
    assert parse_date("Nov. 20, 2019 6:00 PM ET") == datetime(2019, 11, 20, 23, tzinfo=UTC)


def test_one_date_parser_for_metadata_bylines_and_feeds() -> None:
    """Strings the former two parsers (html_meta's exact one, normalize's free-text one) read
    differently: the day-first German date, a declared date with a zone abbreviation, an
    archive date before 1990, a free-text byline."""
    assert parse_date("12.03.2024") == datetime(2024, 3, 12, tzinfo=UTC)  # was 3 December
    assert parse_date("2024-03-22 10:00 CET") == datetime(2024, 3, 22, 9, tzinfo=UTC)
    assert parse_date("1985-06-01") == datetime(1985, 6, 1, tzinfo=UTC)  # exact: an archive
    assert parse_date("Published 5 March 2024") == datetime(2024, 3, 5, tzinfo=UTC)
    assert parse_date("5 March") is None  # free text without a year
    assert parse_date("0001-01-01T00:00:00Z") is None


def test_one_language_normaliser_for_declarations() -> None:
    """detect_language reads a declaration as html_meta does ("jp" is Japanese; a list of
    languages gives its first)."""
    assert norm_language("de, en") == detect_language("kurz", "de, en") == "de"
    assert norm_language("jp") == detect_language("kurz", "jp") == "ja"
    assert detect_language("kurz", "x-klingon") is None


def test_tokens_and_word_count_asked_twice_are_the_same() -> None:
    """The last text's tokens / count are reused (content hash then shingles): same answer,
    and a caller changing its list does not change the next caller's."""
    text = "Der Bundestag hat 2019 beschlossen.\n東京で会議 — the Council met"
    expected = ["der", "bundestag", "hat", "2019", "beschlossen", *"東京で会議", "the", "council"]
    expected.append("met")
    first = tokens(text)
    first.append("changed")
    assert tokens(text) == first[:-1] == expected
    assert tokens("Other words") == ["other", "words"]
    assert word_count(text) == word_count(text) == 13
    assert word_count("one two") == 2
    assert word_count(text) == 13


# characters each step of normalize_line treats specially: white space of every kind, line
# breaks, invisible and control characters, combining marks (NFC), CJK, letters
_TRICKY = st.sampled_from(
    [
        *" \t\n\r\x0b\x0c\x1c\x85\u2028\u2029\u3000\u00a0\u200b\u00ad\x07\ufeff",
        *("e", "\u0301", "\u0327", "A", "\u1100", "\u1161", "日", "x", "é", "\u212b"),
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(_TRICKY, max_size=12), max_size=8))
def test_normalize_text_is_each_paragraph_normalized(paragraphs: list[str]) -> None:
    """Done on the whole text at once (when no paragraph holds a line break), the record's
    text is still `normalize_line` of each paragraph, blanks dropped."""
    expected = "\n".join(p for p in (normalize_line(p) for p in paragraphs) if p)
    assert normalize_text(paragraphs) == expected


# one-line paragraphs take normalize_text's whole-text path; ASCII ones its shortcut past the
# white space regex
_ONE_LINE = st.sampled_from([*" \t\r\x0b\x0c\x1c\x1f\x07ab.", *"\x85\u3000\u00a0\u200b\u2028é"])


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.text(_ONE_LINE, max_size=12), max_size=8),
    st.lists(st.text(st.sampled_from(list(" \t\x0b\x07\rab.")), max_size=12), max_size=8),
)
def test_normalize_text_of_one_line_paragraphs_is_each_normalized(
    paragraphs: list[str], ascii_paragraphs: list[str]
) -> None:
    for given_paragraphs in (paragraphs, ascii_paragraphs):
        expected = "\n".join(p for p in (normalize_line(p) for p in given_paragraphs) if p)
        assert normalize_text(given_paragraphs) == expected


_CJK_CHAR = "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(max_codepoint=127), max_size=60), st.text(max_size=30))
def test_tokens_and_word_count_of_ascii_text_are_the_general_rules(text: str, other: str) -> None:
    """An ASCII text is tokenised without casefold and the CJK split, and its word count is
    its token count: the same as the rules for any text."""
    import re

    for value in (text, other, text + other):
        spaced = re.sub(f"({_CJK_CHAR})", r" \1 ", value.casefold())
        assert tokens(value) == re.findall(r"\w+", spaced)
        assert joined_tokens(value) == " ".join(re.findall(r"\w+", spaced))
        plain = re.sub(_CJK_CHAR, " ", value)
        expected = len(re.findall(r"\w+", plain)) + len(re.findall(_CJK_CHAR, value))
        assert word_count(value) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(list("ab 日本,.\n")), max_size=80), st.integers(1, 12))
def test_language_ids_bounded_word_count_is_the_word_count_up_to_its_limit(
    text: str, limit: int
) -> None:
    from crawler.extract.normalize import _words_up_to

    assert _words_up_to(text, limit) == min(word_count(text + " "), limit)
    assert _words_up_to(text, limit) == min(word_count(text), limit)  # the memo's answer


@settings(max_examples=300, deadline=None)
@given(
    st.text(st.sampled_from(list("ab 日本,.\n")), min_size=1, max_size=60).map(lambda s: s * 60),
    st.sampled_from([1, 2, 5, 50]),
)
def test_a_long_texts_bounded_word_count_read_from_its_head_is_the_same(
    text: str, limit: int
) -> None:
    """A head ending at a space holding `limit` words answers for the whole text."""
    from crawler.extract.normalize import _words_in, _words_up_to

    assert _words_up_to(text, limit) == _words_in(text, limit) == min(word_count(text), limit)


def test_a_declared_language_of_a_short_text_is_taken_without_a_guess(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only a confident guess from 50 words or more beats a declaration: below that none is
    made (the model is not asked)."""
    from crawler.extract import normalize

    english = "The council approved the plan on Tuesday after a long debate. "  # 11 words
    assert detect_language(english * 4, "de") == "de"
    asked: list[str] = []
    real = normalize._langid()

    class Counting:
        def classify(self, text: str) -> tuple[str, float]:
            asked.append(text)
            return real.classify(text)  # type: ignore[attr-defined,no-any-return]

    monkeypatch.setattr(normalize, "_langid", Counting)
    assert detect_language(english * 4, "de") == "de" and not asked
    assert detect_language(english * 5, "de") == "en" and len(asked) == 1  # 55 words
    assert detect_language(english * 4) == "en" and len(asked) == 2  # nothing declared


def test_only_u0345_folds_to_one_character_of_the_other_kind() -> None:
    """word_count takes a text's token count as its word count when the text casefolds char
    for char (`_folds_char_for_char`): that needs every character folded to a single one to
    stay a word character or not, U+0345 aside, and none to fold into the CJK ranges."""
    import re
    import sys

    word = re.compile(r"\w")
    other_kind, into_cjk = [], []
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        folded = char.casefold()
        if len(folded) == 1 and bool(word.match(char)) != bool(word.match(folded)):
            other_kind.append(code)
        if not re.match(_CJK_CHAR, char) and re.search(_CJK_CHAR, folded):
            into_cjk.append(code)
    assert other_kind == [0x345] and into_cjk == []


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from([*"aZ ß.İ\u0345\u03b9Σς日・ﬁ", "x"]), max_size=40))
def test_word_count_of_text_folding_char_for_char_is_the_general_rule(text: str) -> None:
    import re

    plain = re.sub(_CJK_CHAR, " ", text)
    expected = len(re.findall(r"\w+", plain)) + len(re.findall(_CJK_CHAR, text))
    assert word_count(text) == expected


@settings(max_examples=400, deadline=None)
@given(
    st.text(st.characters(max_codepoint=127))
    | st.text(st.sampled_from("a \t\n\r\x00\x0b\x1f\x7f\u200b\xad"))
)
def test_the_invisible_check_is_the_regex(text: str) -> None:
    from crawler.extract.normalize import _HAS_INVISIBLE, _holds_invisible

    assert _holds_invisible(text) == (_HAS_INVISIBLE.search(text) is not None)
