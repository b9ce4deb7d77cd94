"""The dump headline vote (`boilerplate/headline_vote.py`): the record's title on page dumps."""

from __future__ import annotations

import dataclasses
import json

from crawler.extract.boilerplate import clean_text, headline_vote
from crawler.extract.boilerplate.cleaner import _analyse

_BODY = [
    "The city council voted on Tuesday to close the old river bridge to all traffic after "
    "engineers found deep cracks in two of its supporting piers during a routine inspection.",
    "Repairs are expected to take at least eight months, the council said, and a temporary "
    "ferry service will carry pedestrians and cyclists across the river in the meantime.",
    "Local shop owners said the closure would hurt business on both banks, and several of "
    "them asked the council to speed up the work or open a second temporary crossing soon.",
]


def _dump(*parts: str | list[str]) -> str:
    out: list[str] = []
    for part in parts:
        out.extend(part if isinstance(part, list) else [part])
    return "\n".join(out)


def test_headline_above_the_byline_beats_a_teaser_right_above_the_body() -> None:
    text = _dump(
        "Home",
        "News",
        "Sport",
        "River bridge closed after engineers find cracks | The Valley Times",
        "River bridge closed after engineers find cracks",
        "By Jane Doe",
        "March 3, 2021",
        "Related stories",
        "Mayor opens new library wing in the old post office",
        _BODY,
        "Comments on River bridge closed after engineers find cracks",
        "Contact us",
    )
    assert clean_text(text).meta.title == "River bridge closed after engineers find cracks"


def test_blog_post_heading_that_starts_the_body_is_the_title() -> None:
    text = _dump(
        "The Riverside Blog",
        "« Older post | Main | Newer post »",
        "November 05, 2012",
        "Why the river bridge had to close",
        _BODY,
        "Posted by Jane Doe at 10:04 AM",
        "TrackBack URL for this entry:",
        "Listed below are links to weblogs that reference Why the river bridge had to close:",
    )
    assert clean_text(text).meta.title == "Why the river bridge had to close"


def test_the_body_is_the_same_whichever_line_the_vote_takes() -> None:
    # the vote only sets the record's title: the teaser line stays where the rules put it
    text = _dump(
        "River bridge closed after engineers find cracks",
        "By Jane Doe",
        "Mayor opens new library wing in the old post office",
        _BODY,
        "Comments on River bridge closed after engineers find cracks",
    )
    res = clean_text(text)
    assert res.meta.title == "River bridge closed after engineers find cracks"
    assert res.paragraphs[-3:] == _BODY


def _echoes(lines: list[str], k: int) -> tuple[int, int]:
    analysed = _analyse(lines, None)
    return headline_vote._echoes(analysed, k, "\n".join(ln.f.text for ln in analysed))


def test_echoes_count_lines_quoting_the_title_at_their_start_or_end() -> None:
    title = "River bridge closed after engineers find cracks"
    lines = [
        title,
        f"{title} | The Valley Times",
        f"Home » {title}",
        f"3 Responses to “{title}”",
        f"Readers argued that {title} was no surprise to anyone living near it.",
        f"{title} and what the council plans to do about the ferry service next spring",
    ]
    assert _echoes(lines, 0) == (3, 0)


def test_an_outlet_or_author_suffix_and_a_longer_word_are_no_echo() -> None:
    assert _echoes(["Jane Doe Smith", "Bridge closed | Jane Doe Smith"], 0) == (0, 0)
    assert _echoes(["Ball games", "Football games"], 0) == (0, 0)
    assert _echoes(["Ball games", "Main > Ball games", "Ball games"], 0) == (1, 1)


def test_a_doubled_caption_is_no_copy() -> None:
    caption = "The old river bridge at dawn"
    assert _echoes([caption, caption, "Other text here"], 0) == (0, 0)


def test_the_shipped_weights_name_every_feature() -> None:
    spec = json.loads(headline_vote.WEIGHTS_PATH.read_text("utf-8"))
    assert set(spec["weights"]) == set(headline_vote.FEATURES)
    assert set(headline_vote.default_weights()) == set(headline_vote.FEATURES)


def test_no_headline_shaped_line_keeps_the_rules_choice() -> None:
    assert headline_vote.pick([], 0, 0, set(), set(), None) is None
    lines = _analyse(_BODY, None)
    assert headline_vote.pick(lines, 0, len(lines), set(), set(), None) is None


_RECENT = [
    "Recent Posts",
    "Why the river bridge had to close",
    "Mayor opens new library wing in the old post office",
    "Council approves the summer ferry timetable",
    "Market square to get new trees next spring",
]


def test_a_headline_listed_among_recent_posts_is_taken_at_its_own_copy() -> None:
    # the first copy sits in the sidebar list; the article's copy (under the pager bar and
    # the date, above the body) is the one scored as the headline
    text = _dump(
        "The Riverside Blog",
        _RECENT,
        "Recent Comments",
        "« Older post | Main | Newer post »",
        "November 05, 2012",
        "Why the river bridge had to close",
        _BODY,
        "Posted by Jane Doe at 10:04 AM",
    )
    analysed = _analyse(text.split("\n"), None)
    k = headline_vote.pick(analysed, 10, len(analysed) - 1, set(), set(), None)
    assert k == 9 and analysed[k].f.text == "Why the river bridge had to close"


def test_every_copy_of_a_repeated_line_is_a_candidate() -> None:
    lines = _analyse(["Why the river bridge had to close", *_BODY, *_RECENT], None)
    rows = headline_vote.features(lines, 1, 4, set(), set(), None)
    assert 0 in rows and 5 in rows
    assert rows[5]["copied"] == rows[0]["copied"] == 1.0


def test_a_capitalised_title_ending_in_a_full_stop_is_a_candidate() -> None:
    lines = _analyse(["Today, I Only Care That You Vote.", *_BODY], None)
    assert 0 in headline_vote.features(lines, 1, 4, set(), set(), None)
    lines = _analyse(["The bridge was closed on Tuesday.", *_BODY], None)
    assert 0 not in headline_vote.features(lines, 1, 4, set(), set(), None)


def test_pager_and_recent_comment_entries_are_features() -> None:
    lines = _analyse(
        [
            "Jane on Why the river bridge had to close",
            "Tom Roe on Council approves the summer ferry timetable",
            "Previous | Index",
            "Why the river bridge had to close",
            *_BODY,
        ],
        None,
    )
    rows = headline_vote.features(lines, 4, 7, set(), set(), None)
    assert rows[0]["comment_ref"] == rows[1]["comment_ref"] == 1.0
    assert rows[3]["comment_ref"] == 0.0
    assert rows[3]["pager_above"] == 1.0 and rows[3]["prose_below"] > 0.5


def test_echoes_count_a_site_wide_copy_only_of_a_line_that_is_not_site_wide() -> None:
    lines = _analyse(["Why the river bridge had to close", "Other text here", "x"], None)
    lines[2] = dataclasses.replace(lines[0], recurring=True)
    joined = "\n".join(ln.f.text for ln in lines)
    assert headline_vote._echoes(lines, 0, joined) == (0, 1)
    lines[0] = dataclasses.replace(lines[0], recurring=True)
    assert headline_vote._echoes(lines, 0, joined) == (0, 0)


def test_a_vote_passed_to_clean_text_is_asked_instead_of_pick() -> None:
    """Benches and tests record or replace the vote through `clean_text(vote=...)`: a compiled
    cleaner calls `pick` directly, so swapping the module's `pick` would not be seen."""
    text = _dump(
        "Home",
        "River bridge closed after engineers find cracks",
        "By Jane Doe",
        _BODY,
    )
    calls: list[tuple[object, ...]] = []

    def recorder(*args: object) -> int | None:
        calls.append(args)
        return headline_vote.pick(*args)  # type: ignore[arg-type]

    assert clean_text(text, vote=recorder) == clean_text(text)
    assert len(calls) == 1
    lines, start, end, sect, nav, _chosen = calls[0]
    texts = [ln.f.text for ln in lines]  # type: ignore[attr-defined]
    assert texts[1] == "River bridge closed after engineers find cracks"
    assert isinstance(start, int) and isinstance(end, int) and start < end
    assert isinstance(sect, set) and isinstance(nav, set)

    no_title = clean_text(text, vote=lambda *args: None)
    assert no_title.meta.title is None
    assert no_title.paragraphs == clean_text(text).paragraphs
    assert clean_text(text, mode="extracted", vote=recorder) is not None and len(calls) == 1
