from datetime import UTC, datetime

from crawler.extract.normalize import (
    content_hash,
    detect_language,
    norm_language,
    normalize_line,
    normalize_text,
    parse_date,
    tokens,
    word_count,
)


def test_normalize_line_removes_invisible_characters_and_collapses_space() -> None:
    assert normalize_line("  a\u200bb \t c\u00ad\x07 ") == "ab c"
    assert normalize_text(["one", "  ", " two  words "]) == "one\ntwo words"


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
