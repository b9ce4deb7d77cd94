"""The quality filters (crawler/filters/): each one's verdict and detail, their order, the
language filter's settings from corpus.toml, the environment and `corpus ingest --languages`."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from crawler.config import FilterSettings, Settings
from crawler.config_file import flat_items, load_config
from crawler.errors import ConfigError, Drop
from crawler.extract.chain import process
from crawler.filters.base import Filter
from crawler.filters.error_page import ErrorPage
from crawler.filters.language import Language
from crawler.filters.length import OnlyBoilerplate, TooShort
from crawler.filters.registry import FILTERS, active_filters
from crawler.model import Document, Meta, Removal
from crawler.readers.files import RawInput
from crawler.reasons import Rejected, Removed
from flows.cli import main

ENGLISH = (
    "The city council voted on Tuesday to expand the bus network to the northern suburbs, "
    "after a year of public hearings in which residents said that the existing routes left "
    "them without a practical way to reach the hospital, the schools and the new train station."
)
GERMAN = (
    "Der Stadtrat hat am Dienstag beschlossen, das Busnetz in die nördlichen Vororte zu "
    "erweitern, nachdem die Anwohner ein Jahr lang in öffentlichen Anhörungen erklärt hatten, "
    "dass sie mit den bisherigen Linien weder das Krankenhaus noch die Schulen und den neuen "
    "Bahnhof auf vernünftige Weise erreichen können."
)


def reject(text: str, settings: Settings, kind: str = "text") -> Drop:
    with pytest.raises(Drop) as caught:
        process(RawInput("file:///doc.txt", kind, text, len(text)), settings)
    return caught.value


def test_every_filter_owns_a_distinct_reason_and_the_order_is_the_old_gate_s() -> None:
    # the gate's old order comes first; an error page is named so before it is too short
    assert FILTERS[:3] == (OnlyBoilerplate, ErrorPage, TooShort)
    reasons = [kind.reason for kind in FILTERS]
    assert len(set(reasons)) == len(reasons) and all(isinstance(r, Rejected) for r in reasons)
    assert all(issubclass(kind, Filter) for kind in FILTERS)


def test_nothing_left_is_only_boilerplate_counting_removed_lines_only() -> None:
    doc = Document("u", "text", "", removed=[Removal(0, "Menu", Removed.NAVIGATION)] * 3)
    doc.removed.append(Removal(5, "a\\x00b", Removed.CONTROL_CHARS))  # kept, only cleaned
    assert OnlyBoilerplate().check(doc) == "all 3 lines removed as chrome"
    assert OnlyBoilerplate().check(Document("u", "text", "x")) is None


def test_too_short_says_how_many_words_and_the_minimum() -> None:
    assert TooShort(30).check(Document("u", "text", "a b", word_count=2)) == (
        "2 words left after cleaning (min 30; no article evidence)"
    )
    assert TooShort(2).check(Document("u", "text", "a b", word_count=2)) is None
    drop = reject(ENGLISH, Settings(min_words=500))
    assert drop.reason == Rejected.TOO_SHORT
    assert drop.detail == "46 words left after cleaning (min 500; no article evidence)"


def test_the_chain_rejects_an_all_chrome_page_as_before() -> None:
    drop = reject("Home\nNews\nSubscribe\nLog in\n", Settings())
    assert drop.reason == Rejected.ONLY_BOILERPLATE and drop.detail.startswith("all ")


def test_language_filter_is_off_by_default_and_keeps_every_language() -> None:
    assert not any(isinstance(f, Language) for f in active_filters(Settings()))
    doc = process(RawInput("file:///de.txt", "text", GERMAN, len(GERMAN)), Settings())
    assert doc.meta.language == "de"


def test_language_filter_rejects_other_languages_with_its_reason() -> None:
    settings = Settings(filters=FilterSettings(["en"]))
    drop = reject(GERMAN, settings)
    assert drop.reason == Rejected.LANGUAGE == "language"
    assert drop.detail == "language de (keeping en)"
    kept = process(RawInput("file:///en.txt", "text", ENGLISH, len(ENGLISH)), settings)
    assert kept.meta.language == "en"
    both = Settings(filters=FilterSettings(["en", "de"]))
    assert process(RawInput("file:///de.txt", "text", GERMAN, len(GERMAN)), both).text


def test_a_document_of_unknown_language_is_rejected_when_languages_are_set() -> None:
    language = Language(frozenset({"en", "de"}))
    assert language.check(Document("u", "text", "x", meta=Meta(language=None))) == (
        "language not detected (keeping de, en)"
    )


def test_filters_table_in_the_config_file_and_environment(tmp_path: Path) -> None:
    path = tmp_path / "corpus.toml"
    path.write_text('[filters]\nlanguages = ["en", "de"]\n')
    config = load_config(str(path), env={})
    assert config.settings.filters.languages == ["en", "de"]  # what the runs get
    origins = {key: (value, origin) for key, value, origin in flat_items(config)}
    assert origins["filters.languages"] == (["en", "de"], str(path))
    assert not any(key.startswith("settings.filters") for key in origins)  # listed once
    from_env = load_config(str(path), env={"CORPUS_FILTERS_LANGUAGES": "fr"})
    assert from_env.settings.filters.languages == ["fr"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[filters]\nlanguages = ["english"]\n', "'english' is not a two-letter"),
        ('[filters]\nlanguages = ["EN"]\n', "'EN' is not a two-letter lower-case"),
        ("[filters]\nlanguages = 'en'\n", "filters.languages: expected list"),
        ('[filters]\nlanguage = ["en"]\n', r"unknown key\(s\): filters.language"),
        ('[settings]\nfilters = {languages = ["en"]}\n', r"unknown key\(s\): settings.filters"),
    ],
)
def test_bad_filters_config_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "corpus.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(str(path), env={})


def test_filter_settings_survive_a_crawl_job_s_round_trip_through_a_dict() -> None:
    settings = Settings(filters=FilterSettings(["de"]))
    assert Settings().with_overrides(**asdict(settings)) == settings


def test_ingest_languages_flag_overrides_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "en.txt").write_text(ENGLISH)
    (inputs / "de.txt").write_text(GERMAN)
    config = tmp_path / "corpus.toml"
    config.write_text('[filters]\nlanguages = ["en"]\n')
    out = str(tmp_path / "c")
    args = ["ingest", str(inputs), "--out", out, "--config", str(config), "--json"]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["added"] == 1
    assert [(r["reason"], Path(r["source_uri"]).name) for r in summary["rejects"]] == [
        ("language", "de.txt")
    ]
    out2 = str(tmp_path / "c2")
    assert main([*args[:3], out2, *args[4:], "--languages", "de, en"]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == 2
    assert main([*args[:3], out2 + "x", *args[4:], "--languages", "german"]) == 2
    assert "'german' is not a two-letter" in capsys.readouterr().err
