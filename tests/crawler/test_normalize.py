from datetime import UTC, datetime

from crawler.normalize import (
    content_hash,
    detect_language,
    normalize_line,
    normalize_text,
    parse_date,
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
