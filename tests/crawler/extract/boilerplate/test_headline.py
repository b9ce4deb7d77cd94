"""Headline / byline / publisher detection."""

from __future__ import annotations

import pytest

from crawler.extract.boilerplate.headline import find_date, parse_byline, split_outlet, title_score
from crawler.extract.boilerplate.lines import features


@pytest.mark.parametrize(
    ("line", "head", "outlet"),
    [
        (
            "Islamic State Claims Attack In Afghanistan That Killed 3 Spaniards – Radio Free "
            "Europe / Radio Liberty",
            "Islamic State Claims Attack In Afghanistan That Killed 3 Spaniards",
            "Radio Free Europe / Radio Liberty",
        ),
        (
            "Council approves new budget | The Springfield Gazette",
            "Council approves new budget",
            "The Springfield Gazette",
        ),
        ("Le conseil adopte le budget - Le Monde", "Le conseil adopte le budget", "Le Monde"),
        # the suffix is part of the headline, not an outlet: keep it whole
        (
            "Star Wars Jedi: Fallen Order review – shoots for the moon, lands among the stars",
            "Star Wars Jedi: Fallen Order review – shoots for the moon, lands among the stars",
            None,
        ),
        ("Why it matters - a primer", "Why it matters - a primer", None),
    ],
)
def test_split_outlet(line: str, head: str, outlet: str | None) -> None:
    assert split_outlet(line) == (head, outlet)


def test_outlet_glued_to_relative_date() -> None:
    by = parse_byline(features("The Diplomata day ago"))
    assert by is not None
    assert by.outlet == "The Diplomat"
    assert by.date_text == "a day ago"


@pytest.mark.parametrize(
    ("line", "authors", "date"),
    [
        ("By Jamelle Bouie", ("Jamelle Bouie",), None),
        (
            "By LISA MASCARO, MARY CLARE JALONICK and ERIC TUCKER",
            ("LISA MASCARO", "MARY CLARE JALONICK", "ERIC TUCKER"),
            None,
        ),
        (
            "Posted by Michael David Smith on November 19, 2019, 6:21 AM EST",
            ("Michael David Smith",),
            "November 19, 2019, 6:21 AM EST",
        ),
        ("Por María García", ("María García",), None),
        ("Von Hans Müller und Eva Schmidt", ("Hans Müller", "Eva Schmidt"), None),
        ("Catherine Shu @catherineshu / 2 days", ("Catherine Shu",), None),
    ],
)
def test_bylines(line: str, authors: tuple[str, ...], date: str | None) -> None:
    by = parse_byline(features(line))
    assert by is not None
    assert by.authors == authors
    assert by.date_text == date


def test_outlet_and_date_byline() -> None:
    by = parse_byline(features("Associated Press November 19, 2019, 9:02 AM"))
    assert by is not None
    assert by.outlet == "Associated Press"
    assert by.date_text is not None and by.date_text.startswith("November 19, 2019")


@pytest.mark.parametrize(
    "line",
    [
        "By the end of the year, the company expects to have hired more than 300 new staff.",
        "Republicans Are Following Trump to Nowhere",
        "Home",
    ],
)
def test_not_bylines(line: str) -> None:
    assert parse_byline(features(line)) is None


def test_find_date() -> None:
    assert find_date("Updated : 19 November 2019, 09:01 AM") == "19 November 2019, 09:01 AM"
    assert find_date("time2 hours ago") == "2 hours ago"
    assert find_date("Nothing here") is None


def test_title_score_prefers_doubled_headlines_near_the_body() -> None:
    head = features("Taliban Claims Downing of US Helicopter in Afghanistan")
    assert title_score(head, doubled=True, distance=0) > title_score(head, False, 0)
    assert title_score(head, False, 0) > title_score(head, False, 5)
    assert title_score(features("The crash is under investigation."), False, 0) == 0.0


@pytest.mark.parametrize(
    "line",
    [
        "Audi City Open for Business – Video",  # a one-word capitalised end of the headline
        "Not All Regions are Created Equal - South America Es Bueno",
    ],
)
def test_split_outlet_keeps_a_capitalised_end_that_names_no_outlet(line: str) -> None:
    assert split_outlet(line) == (line, None)


@pytest.mark.parametrize(
    "line",
    [
        "« This Week in The Law Journal | Main | Circuit Examines Restraints Case »",
        "« Top Photo Apps Getting Instagram Engagement",
        "06 November 2012 by Eric Abent Discuss (0)",
        "Last reply was 20 hours ago",
        "Posted in: News | comments | share",
    ],
)
def test_page_furniture_is_never_a_headline(line: str) -> None:
    assert title_score(features(line), doubled=True, distance=0) == 0.0


def test_a_lowercase_article_after_the_dash_is_the_headline_s_end() -> None:
    line = "Raising Chickens at Home - the Coop"
    assert split_outlet(line) == (line, None)
    assert split_outlet("Raising Chickens at Home - The Coop News") == (
        "Raising Chickens at Home",
        "The Coop News",
    )
