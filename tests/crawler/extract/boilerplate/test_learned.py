"""The learned line model of the dump cleaner: its rows, its parameters file, and how
clean_text applies it (issue 14)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from crawler.extract.boilerplate import LineStats, clean_text, learned
from crawler.extract.boilerplate.learned import MODEL_PATH, feature_names, model_from_spec
from crawler.reasons import Removed

BODY = [
    "The city council voted on Tuesday to approve the new budget after a long debate.",
    "Opponents said the plan would raise taxes, but supporters argued it was overdue.",
    "About a third of the money will go to schools, which have waited years for repairs.",
]
PAGE = "\n".join(
    [
        "Home",
        "News",
        "Sport",
        "Council approves budget after marathon session",
        "By Jane Doe",
        *BODY,
        "Share this article",
        "Sign up for our newsletter",
        "Copyright 2019 Springfield Gazette. All rights reserved.",
    ]
)


def constant_model(bias: float) -> dict[str, Any]:
    """A logistic model that ignores every feature: p = sigmoid(bias) for every line."""
    names = feature_names()
    n = len(names)
    return {
        "kind": "logreg",
        "features": names,
        "mean": [0.0] * n,
        "scale": [1.0] * n,
        "weights": [0.0] * n,
        "bias": bias,
        "threshold": 0.5,
    }


def test_rules_alone_when_told() -> None:
    res = clean_text(PAGE, learned=False)
    assert res.paragraphs == BODY
    assert res.meta.title == "Council approves budget after marathon session"


def test_a_model_that_keeps_everything_keeps_all_but_the_headline() -> None:
    res = clean_text(PAGE, learned=model_from_spec(constant_model(5.0)))
    assert res.meta.title == "Council approves budget after marathon session"
    assert res.meta.title not in res.paragraphs
    assert "Home" in res.paragraphs and "Share this article" in res.paragraphs
    assert all(r.reason == Removed.TITLE for r in res.removed)


def test_a_model_that_keeps_nothing_gives_every_line_a_reason() -> None:
    res = clean_text(PAGE, learned=model_from_spec(constant_model(-5.0)))
    assert res.paragraphs == []
    reasons = {r.text: r.reason for r in res.removed}
    assert reasons[BODY[0]] == Removed.OUTSIDE_ARTICLE  # prose the model dropped
    assert reasons["Home"] == Removed.NAVIGATION  # the rules' reason is kept where they had one
    assert len(res.removed) == len([s for s in PAGE.split("\n") if s.strip()])


def test_extracted_mode_never_uses_the_model() -> None:
    text = "\n".join(BODY)
    model = model_from_spec(constant_model(-5.0))
    assert clean_text(text, mode="extracted", learned=model).paragraphs == BODY


def test_rows_have_one_named_column_each_and_no_nan() -> None:
    from crawler.extract.boilerplate import blocks, cleaner

    stats = LineStats()
    stats.add(PAGE)
    lines = cleaner._analyse(PAGE.split("\n"), stats)
    nav = blocks.navigation_runs(lines)
    start, end, sect = cleaner._body_span(lines, "dump", nav)
    x = learned.line_rows(lines, stats, (start, end), sect, nav, {})
    assert x.shape == (len(lines), len(feature_names()))
    assert np.isfinite(x).all()
    assert learned.line_rows([], stats, (0, 0), {}, set(), {}).shape == (0, len(feature_names()))


def test_the_cleaner_looks_each_key_up_once_and_the_rows_are_the_same() -> None:
    """`clean_text` hands the line model the frequencies its analysis looked up (every key
    of the page once): the same as `line_rows` looks up from `stats`, and the same rows."""
    from crawler.extract.boilerplate import blocks, cleaner

    other = PAGE.replace("Council approves budget", "Mayor opens library")
    stats = LineStats()
    for text in (PAGE, other, other.replace("Mayor", "Judge")):
        stats.add(text)
    raw = (PAGE + "\nShare this article\n" + BODY[0]).split("\n")
    lines, freqs = cleaner._analyse_page(raw, stats, True)
    assert freqs == [stats.key_freq(ln.key) for ln in lines]
    assert max(freqs) >= 3 and min(freqs) <= 1
    assert lines == cleaner._analyse(raw, stats)
    assert cleaner._analyse_page(raw, stats, False)[1] is None
    assert cleaner._analyse_page(raw, None, True)[1] is None
    nav = blocks.navigation_runs(lines)
    start, end, sect = cleaner._body_span(lines, "dump", nav)
    reasons = {0: Removed.NAVIGATION, 3: Removed.TITLE}
    want = learned.line_rows(lines, stats, (start, end), sect, nav, reasons)
    got = learned.line_rows(lines, stats, (start, end), sect, nav, reasons, freqs)
    assert np.array_equal(got, want)


def test_unknown_features_or_kind_are_refused() -> None:
    spec = constant_model(0.0)
    with pytest.raises(ValueError, match="unknown features"):
        model_from_spec({**spec, "features": ["no_such_feature"]})
    with pytest.raises(ValueError, match="unknown kind"):
        model_from_spec({**spec, "kind": "svm"})


def test_shipped_parameters_are_small_documented_and_load() -> None:
    assert MODEL_PATH.stat().st_size < 100_000
    spec = json.loads(MODEL_PATH.read_text("utf-8"))
    assert "AGPL-3.0" in spec["trained_on"] and "bench/train_cleaner.py" in spec["trained_on"]
    model = learned.default_model()
    assert model is not None and len(model.cols) == len(spec["features"])
    res = clean_text(PAGE, learned=True)
    assert BODY[0] in res.paragraphs


JA_BODY = [
    "政府は火曜日に新しい予算案を承認した。議会では長い議論が続き、反対派は増税を懸念したが、"
    "賛成派は学校の修繕が遅れていると主張した。",
    "市の担当者によると、予算の三分の一は学校に充てられ、残りは道路と公園の整備に使われる予定だという。",
    "専門家は、この決定が地域経済に与える影響は大きいと指摘している。住民の間でも賛否が分かれている。",
]


def test_words_count_cjk_characters_not_runs() -> None:
    assert learned.text_words("The council voted, 7 to 2.") == 6  # the metric's tokens
    # 11 CJK characters: half a word each
    assert learned.text_words("政府は予算案を承認した") == 5.5
    assert learned.text_words("東京 news 今日") == 1 + 2.0


def test_short_decoding_sees_a_long_japanese_article_as_long() -> None:
    """`short` decoding lets the model decide only on pages where the rules keep few
    words; a Japanese article's CJK runs are one `\\w+` token each, yet it is not short."""
    page = "\n".join(["東京のニュース", "ホーム", *JA_BODY, "著作権 2019 東京新聞"])
    drop_all = {**constant_model(-5.0), "decode": "short", "short_words": 40}
    assert clean_text(page, learned=False).paragraphs == JA_BODY
    assert clean_text(page, learned=model_from_spec(drop_all)).paragraphs == JA_BODY
    tiny = {**drop_all, "short_words": 1000}  # a page under the bound: the model decides
    assert clean_text(page, learned=model_from_spec(tiny)).paragraphs == []


def test_held_lines_are_never_kept() -> None:
    """Lines the rules take as bylines / datelines go to the record's metadata, whatever
    the model says, when the parameters hold them (as the headline always is)."""
    keep_all = constant_model(5.0)
    assert "By Jane Doe" in clean_text(PAGE, learned=model_from_spec(keep_all)).paragraphs
    held = {**keep_all, "held": ["title", "byline", "dateline"]}
    res = clean_text(PAGE, learned=model_from_spec(held))
    assert "By Jane Doe" not in res.paragraphs and "Home" in res.paragraphs
    assert {r.text: r.reason for r in res.removed}["By Jane Doe"] == Removed.BYLINE


@pytest.mark.parametrize(("first_bias", "kept"), [(5.0, True), (-5.0, False)])
def test_a_second_stage_reads_the_first_stages_probabilities(first_bias: float, kept: bool) -> None:
    names = feature_names() + learned.stack_names()
    n = len(names)
    second = {
        "kind": "logreg",
        "features": names,
        "mean": [0.0] * n,
        "scale": [1.0] * n,
        "weights": [10.0 if f == "p1" else 0.0 for f in names],  # follows the first stage
        "bias": -5.0,
        "first": constant_model(first_bias),
    }
    res = clean_text(PAGE, learned=model_from_spec(second))
    assert (BODY[0] in res.paragraphs) is kept and ("Home" in res.paragraphs) is kept


def test_stack_rows_have_one_named_column_each() -> None:
    x = np.zeros((4, len(feature_names())))
    p1 = np.array([0.1, 0.9, 0.8, 0.2])
    s = learned.stack_rows(x, p1)
    assert s.shape == (4, len(learned.stack_names())) and np.isfinite(s).all()
    col = dict(zip(learned.stack_names(), s.T, strict=True))
    assert col["p1_in_run"].tolist() == [0.0, 1.0, 1.0, 0.0]  # the best run of log-odds
    assert col["p1@-1"].tolist() == [-1.0, 0.1, 0.9, 0.8]  # -1: past the page edge


def test_rows_say_how_much_of_the_page_recurs_in_the_ingest() -> None:
    from crawler.extract.boilerplate import blocks, cleaner

    def recur_share(stats: LineStats) -> float:
        lines = cleaner._analyse(PAGE.split("\n"), stats)
        nav = blocks.navigation_runs(lines)
        start, end, sect = cleaner._body_span(lines, "dump", nav)
        x = learned.line_rows(lines, stats, (start, end), sect, nav, {})
        return float(x[0, feature_names().index("page_recur_share")])

    alone, syndicated = LineStats(), LineStats()
    alone.add(PAGE)
    for _ in range(4):
        syndicated.add(PAGE)
    assert recur_share(alone) == 0.0 and recur_share(syndicated) == 1.0


WIRE = [
    "The central bank raised its main interest rate by half a point on Thursday, its third rise this year.",
    "Markets had expected the move after inflation reached its highest level in a decade last month.",
    "What comes next",
    "Economists said further rises were likely unless energy prices fall over the winter months.",
]


def site_page(site: int, story: list[str]) -> str:
    """A page of site `site`: its navigation, a story, its footer (chrome differs by site)."""
    nav = [f"Home {site}", f"World news {site}", f"Sport {site}", f"Weather {site}"]
    foot = [f"Copyright 2024 The Daily Example {site}. All rights reserved.", f"Contact us {site}"]
    return "\n".join([*nav, *story, *foot])


def own_story(site: int, n: int) -> list[str]:
    return [
        f"Local story {n} of site {site}: the town council met again on Monday evening to debate it.",
        f"Residents of district {n} said they would attend the next meeting of council {site}.",
    ]


def wire_ingest() -> tuple[list[str], LineStats]:
    """Four sites, each with three pages of its own and one page carrying the wire story:
    the site chrome and the story both recur in the ingest."""
    framed = [site_page(s, WIRE) for s in range(4)]
    stats = LineStats()
    for s in range(4):
        stats.add(framed[s])
        for n in range(3):
            stats.add(site_page(s, own_story(s, n)))
    return framed, stats


def test_rows_measure_the_recurring_block_a_line_sits_in() -> None:
    """A recurring story is one long run of recurring prose; recurring chrome a run of short
    lines: the rows carry the run's size, prose share and share of the page."""
    from crawler.extract.boilerplate import blocks, cleaner

    framed, stats = wire_ingest()
    lines = cleaner._analyse(framed[0].split("\n"), stats)
    nav = blocks.navigation_runs(lines)
    start, end, sect = cleaner._body_span(lines, "dump", nav)
    x = learned.line_rows(lines, stats, (start, end), sect, nav, {})
    col = dict(zip(feature_names(), x.T, strict=True))
    story = [k for k, ln in enumerate(lines) if ln.f.text in WIRE]
    chrome = [k for k, ln in enumerate(lines) if ln.f.text.startswith(("Home", "World", "Sport"))]
    assert len(story) == 4 and len(chrome) == 3
    # the story and the chrome around it recur: one contiguous run of the whole page
    assert col["recur_run_page_share"][story[0]] == pytest.approx(1.0)
    alone = LineStats()
    for s in range(4):
        for n in range(3):
            alone.add(site_page(s, own_story(s, n)))
    alone.add(framed[0])
    x = learned.line_rows(lines, alone, (start, end), sect, nav, {})
    col = dict(zip(feature_names(), x.T, strict=True))
    # the story alone on its page: only the site chrome recurs, in short runs of short lines
    assert col["recur_run_log_units"][story].tolist() == [0.0] * 4
    assert col["recur_run_prose_share"][chrome[0]] == 0.0
    assert 0.0 < col["recur_run_page_share"][chrome[0]] < 0.5


def test_shipped_model_keeps_a_wire_story_every_site_of_the_ingest_carries() -> None:
    """The same story framed by four sites' chromes in one ingest: recurring prose in one
    contiguous block is the article, not chrome (synthetic ingests of this kind are in the
    model's training data: bench/syndicated_ingests.py)."""
    framed, stats = wire_ingest()
    for page in framed:
        res = clean_text(page, stats, learned=True)
        assert [p for p in res.paragraphs if p in WIRE] == WIRE, res.paragraphs


def _walk(trees: list[dict[str, list[float]]], z: np.ndarray) -> np.ndarray:
    """Leaf values of every row in every tree, one row and one split at a time."""
    out = np.zeros((len(z), len(trees)))
    for i, row in enumerate(z):
        for t, tree in enumerate(trees):
            node = 0
            while node < len(tree["feature"]):
                above = row[int(tree["feature"][node])] > tree["threshold"][node]
                node = 2 * node + 1 + int(above)
            out[i, t] = tree["leaf"][node - len(tree["feature"])]
    return out


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_trees_give_the_leaf_of_a_walk_split_by_split(depth: int) -> None:
    """The forest, evaluated all splits at once, lands on the leaf a plain walk reaches
    (values on a threshold go left), for trees of every depth up to four."""
    rng = np.random.default_rng(depth)
    names = feature_names()
    nodes, n_feat = 2**depth - 1, 6
    trees = [
        {
            "feature": rng.integers(0, n_feat, nodes).tolist(),
            "threshold": rng.choice([-1.0, 0.0, 0.5, 2.0], nodes).tolist(),
            "leaf": rng.normal(size=nodes + 1).tolist(),
        }
        for _ in range(9)
    ]
    spec = {"kind": "gbdt", "features": names[3 : 3 + n_feat], "lr": 0.3, "base": 0.1}
    model = model_from_spec(spec | {"trees": trees})
    x = rng.choice([-1.0, 0.0, 0.5, 1.0, 2.0, 3.0], size=(40, len(names)))
    want = _walk(trees, x[:, 3 : 3 + n_feat])
    assert np.array_equal(model._leaf_values(x), want)
    p = 1.0 / (1.0 + np.exp(-np.clip(0.1 + 0.3 * want.sum(axis=1), -30, 30)))
    assert np.array_equal(model.predict(x), p)
