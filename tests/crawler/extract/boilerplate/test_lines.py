"""Line features: length, punctuation, function words, dates, lists, repetition keys."""

from __future__ import annotations

import pytest

from crawler.extract.boilerplate.lines import features, fold_key, normalize


@pytest.mark.parametrize(
    "line",
    [
        "The council approved the budget on Tuesday after a long debate about the new school.",
        "Der Stadtrat hat den Haushalt am Dienstag nach einer langen Debatte über die Schule beschlossen.",
        "Le conseil a approuvé le budget mardi après un long débat sur la nouvelle école du quartier.",
        "O conselho aprovou o orçamento na terça-feira depois de um longo debate sobre a nova escola.",
        "Совет утвердил бюджет во вторник после долгих споров о новой школе в этом районе города.",
        "Dewan menyetujui anggaran pada hari Selasa setelah perdebatan panjang tentang sekolah yang baru.",
        "市議会は火曜日、新しい学校をめぐる長い議論の末に予算案を可決しました。関係者によると、工事は来年始まる予定です。",
    ],
)
def test_prose_in_many_languages(line: str) -> None:
    f = features(line)
    assert f.prose_like
    assert f.end_punct
    assert not f.headline_like


@pytest.mark.parametrize(
    "line",
    [
        "Home",
        "World News",
        "Log In",
        "Sign up",
        "Deportes",
        "Новости",
        "ニュース一覧",
        "Politik | Wirtschaft",
    ],
)
def test_menu_entries_are_not_prose(line: str) -> None:
    assert not features(line).prose_like


def test_cjk_lengths_count_characters() -> None:
    f = features("これはテストの文章です。")
    assert f.is_cjk
    assert f.cjk >= 10
    assert f.units == pytest.approx(f.cjk / 2, abs=1)
    assert f.end_punct


def test_end_punctuation_allows_closing_quotes_and_ellipsis() -> None:
    assert features("He said: “We will win.”").end_punct
    assert features("And then it stopped…").end_punct
    assert features("Was it worth it?)").end_punct
    assert not features("Read the full story").end_punct
    assert features("Ingredients:").end_colon


def test_stop_word_share_separates_prose_from_titles() -> None:
    prose = features("It was the first time that the team had won at home in a year.")
    title = features("Republicans Are Following Trump Nowhere")
    assert prose.stop_ratio > 0.4
    assert title.stop_ratio <= 0.2
    assert title.title_ratio == 1.0


@pytest.mark.parametrize(
    "line",
    [
        "November 19, 2019",
        "Nov. 20, 2019, 11:06am ist",
        "2018-08-16",
        "13.11.2019, 23:06",
        "2 hours ago",
        "Published 7:07 PM EST Nov 19, 2019",
        "segunda-feira, 22 de janeiro de 2018 às 0:13",
        "2016年12月1日",
    ],
)
def test_date_only_lines(line: str) -> None:
    assert features(line).date_like


@pytest.mark.parametrize(
    "line",
    [
        "Kazakhstan also needed the doubles match to beat the Netherlands 2-1 in 2019.",
        "By Jane Doe",
    ],
)
def test_lines_with_content_are_not_date_only(line: str) -> None:
    assert not features(line).date_like


@pytest.mark.parametrize(
    "line", ["1 tsp cinnamon", "Palm Bay 18 22 13 17 — 70", "85%", "• Fresh basil"]
)
def test_list_and_table_lines_are_data(line: str) -> None:
    assert features(line).data_like


def test_category_counts_are_not_data() -> None:
    assert not features("Aliran Islam (160)").data_like


def test_normalize_and_fold_key() -> None:
    assert normalize("  a\u00a0 b\u200b  c ") == "a b c"
    assert fold_key("604 COMMENTS") == fold_key("226 comments")
    assert fold_key("02-751-1500") != fold_key("2019-11-20")
