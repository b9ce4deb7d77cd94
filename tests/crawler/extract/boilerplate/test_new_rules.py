"""Rules added for unseen page styles: trailing boxes, gap bridging, extracted-mode labels."""

from __future__ import annotations

from crawler.extract.boilerplate import clean_text
from crawler.extract.boilerplate.blocks import extend_run

P = [
    "The committee met on Tuesday and agreed to keep the budget flat for the coming year.",
    "Several members argued that the cuts proposed in spring would have closed two branches.",
    "The chair said the decision would be reviewed once the new tax figures are published.",
    "Residents who attended the hearing said they were relieved but still worried about staff.",
]


def test_about_company_and_media_contact_are_cut() -> None:
    text = "\n".join(
        [
            *P,
            "About Example Corp",
            "Example Corp makes pumps and valves for the water industry "
            "and employs 900 people in six countries around the world.",
            "Media Contact:",
            "Jane Roe",
            "press@example.com",
        ]
    )
    assert clean_text(text).paragraphs == P


def test_author_box_is_cut() -> None:
    text = "\n".join(
        [
            *P,
            "Maria Lopez",
            "Maria Lopez is a reporter who covers local government, schools "
            "and housing for the paper and has written about the region for a decade.",
        ]
    )
    assert clean_text(text).paragraphs == P


def test_person_section_in_the_middle_is_not_cut() -> None:
    """A name heading followed by prose about that person, with the article going on."""
    text = "\n".join(
        [
            P[0],
            P[1],
            "Maria Lopez",
            "Maria Lopez has run the library for eleven years and "
            "says the building needs a new roof before anything else can be done.",
            *P[2:],
            *P,
        ]
    )
    assert "Maria Lopez" in clean_text(text).paragraphs


def test_extend_run_bridges_short_gaps_only() -> None:
    scores = [4.0, 4.0, -1.5, -2.0, -1.0, 4.5, -1.5, -2.0, -1.0, -1.0, -1.0, 4.5]
    assert extend_run(scores, 2, set()) == 6  # 3-line gap bridged, 5-line gap not
    assert extend_run(scores, 2, {3}) == 2  # never across a story list / comments


def test_extracted_mode_keeps_repeated_items_and_trailing_credit() -> None:
    text = "\n".join([P[0], "Battery: 10 hours", P[1], "Battery: 10 hours", P[2], "© Reuters"])
    res = clean_text(text, mode="extracted")
    assert res.paragraphs.count("Battery: 10 hours") == 2
    assert res.paragraphs[-1] == "© Reuters"


def test_dump_mode_still_drops_repeated_paragraphs() -> None:
    text = "\n".join([*P, P[0]])
    assert clean_text(text).paragraphs == P
