"""Block structure: main run, story-list / comment sections, navigation runs."""

from __future__ import annotations

from collections import Counter

from crawler.extract.boilerplate import blocks
from crawler.extract.boilerplate.blocks import Line
from crawler.extract.boilerplate.chrome import chrome_reason
from crawler.extract.boilerplate.lines import features, fold_key
from crawler.reasons import Removed

P1 = "The city council voted on Tuesday to approve the new budget after a long debate."
P2 = "Opponents said the plan would raise taxes, but supporters argued it was overdue."
P3 = "The mayor is expected to sign the measure into law before the end of the month."
TEASER = "Regional train strike enters its third day as talks stall"


def make(texts: list[str]) -> list[Line]:
    keys = [fold_key(t) for t in texts]
    counts = Counter(keys)
    out = []
    for no, (t, k) in enumerate(zip(texts, keys, strict=True)):
        f = features(t)
        out.append(Line(no, f, chrome_reason(f), False, counts[k], k))
    return out


def test_best_run_is_max_sum_span() -> None:
    assert blocks.best_run([-1, 2, 3, -1, 2, -5, 1]) == (1, 5)
    assert blocks.best_run([-1, -2]) is None
    assert blocks.best_run([]) is None


def test_related_section_after_article_drags_to_the_end() -> None:
    page = make(
        [
            P1,
            P2,
            "Related Articles",
            TEASER,
            "2 hours ago",
            "The Daily Planet",
            "Long teaser snippet of another story that goes on and on about a different topic.",
            TEASER + " again",
            "5 hours ago",
        ]
    )
    sect = blocks.sections(page)
    assert sect[2] == Removed.RELATED_BLOCK
    assert all(sect.get(k) == Removed.RELATED_BLOCK for k in range(2, len(page)))
    assert 0 not in sect and 1 not in sect


def test_related_section_inside_article_ends_where_prose_resumes() -> None:
    page = make([P1, "Read also", TEASER, "Teachers walk out over pay in three provinces", P2, P3])
    sect = blocks.sections(page)
    assert {k for k in sect} == {1, 2, 3}


def test_header_followed_by_prose_is_not_a_section() -> None:
    page = make([P1, "Comments", P2, P3])
    assert blocks.sections(page) == {}


def test_comments_section_does_not_resume() -> None:
    page = make(
        [
            P1,
            P2,
            "Leave a comment",
            "jdoe says:",
            "November 19, 2019 at 9:47 am",
            "I disagree with every word of this article, honestly it is a disgrace.",
            "The council should have done this years ago, and everyone knows it.",
        ]
    )
    sect = blocks.sections(page)
    assert set(sect) == set(range(2, 7))
    assert set(sect.values()) == {Removed.COMMENTS}


def test_keyword_header_needs_list_shape() -> None:
    # "More from our partners" followed by teasers opens a section; "Top scorers" followed by
    # prose does not.
    assert blocks.section_header(
        make(["More from our partners", TEASER, TEASER + " 2", "Bus fares rise"]), 0
    )
    assert blocks.section_header(make(["Top scorers", P1, P2]), 0) is None


def test_navigation_runs() -> None:
    page = make(["Home", "World", "Business", "Sport", P1, "1 tsp salt", "2 cups flour", "1 egg"])
    assert blocks.navigation_runs(page) == {0, 1, 2, 3}


def test_scores_prefer_prose() -> None:
    page = make([P1, "Home", "Advertisement", TEASER])
    s = [blocks.line_score(ln, False, False) for ln in page]
    assert s[0] > 0 > s[3] > s[2]
    assert s[1] < 0
