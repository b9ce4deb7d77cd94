"""Tests for crawler.extract.html_combine: two engines' lines merged and decided by the learned
line model, and its place in the HTML path (synthetic pages, offline)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from helpers import ARTICLE_PARAGRAPHS

import crawler.extract.html as html_mod
from crawler.extract import html_combine as hc
from crawler.extract.html import engine_lines, extract_html
from crawler.reasons import Removed

PROSE = ARTICLE_PARAGRAPHS[:3]


def _one_weight_model(feature: str, weight: float, bias: float) -> hc.ChoiceModel:
    """A model on one figure: readability when weight * figure + bias > 0."""
    spec = {
        "kind": "logreg",
        "features": [feature],
        "mean": [0.0],
        "scale": [1.0],
        "weights": [weight],
        "bias": bias,
    }
    return hc.model_from_spec(spec)


def test_page_row_measures_both_engines_and_their_agreement() -> None:
    a, b = [PROSE[0]], [PROSE[0], PROSE[1], "Share this"]
    x = hc.page_row(a, b)
    assert x.shape == (len(hc.FEATURES),)
    col = hc.FEATURES.index
    assert x[col("a_in_b")] == 1.0  # all of trafilatura's text is in readability's
    assert 0.4 < x[col("b_in_a")] < 0.6
    assert x[col("b_log_tokens")] > x[col("a_log_tokens")]
    assert x[col("a_sentence_end_share")] == 1.0
    assert 0.9 < x[col("b_sentence_end_share")] < 1.0  # "Share this" has no sentence end
    assert x[col("b_cleaner_kept")] < 1.0  # the dump cleaner drops the share button


def test_the_choice_follows_the_model() -> None:
    a, b = [PROSE[0]], [PROSE[0], PROSE[1]]
    more_text_wins = _one_weight_model("log_shingle_ratio", -1.0, 0.0)
    assert hc.prefer_second(a, b, more_text_wins)
    assert not hc.prefer_second(b, a, more_text_wins)
    assert not hc.prefer_second(a, [], more_text_wins)  # no second article: nothing to take


def test_model_spec_with_unknown_features_is_refused() -> None:
    spec = {"kind": "logreg", "features": ["nope"], "mean": [0], "scale": [1], "weights": [1]}
    with pytest.raises(ValueError, match="unknown"):
        hc.model_from_spec({**spec, "bias": 0})


def _one_split_trees(feature: str, split: float, below: float, above: float) -> dict[str, object]:
    """A tree model with one depth-1 tree: raw score `below` or `above` the split."""
    return {
        "kind": "gbdt",
        "features": [feature],
        "base": 0.0,
        "lr": 1.0,
        "trees": [{"feature": [0], "threshold": [split], "leaf": [below, above]}],
    }


def test_a_tree_model_decides_by_its_splits() -> None:
    a, b = [PROSE[0]], [PROSE[0], PROSE[1]]
    # readability when its article has more shingles (log ratio a - b below 0)
    more_text_wins = hc.model_from_spec(_one_split_trees("log_shingle_ratio", 0.0, 4.0, -4.0))
    assert hc.prefer_second(a, b, more_text_wins)
    assert not hc.prefer_second(b, a, more_text_wins)
    rows = np.stack([hc.page_row(a, b), hc.page_row(b, a)])
    assert more_text_wins.predict(rows).tolist() == pytest.approx([0.982, 0.018], abs=1e-3)


def test_tree_model_spec_that_is_not_a_full_tree_is_refused() -> None:
    spec = _one_split_trees("log_shingle_ratio", 0.0, 1.0, -1.0)
    spec["trees"] = [{"feature": [0], "threshold": [0.0], "leaf": [1.0, -1.0, 0.5]}]
    with pytest.raises(ValueError, match="full binary trees"):
        hc.model_from_spec(spec)


def test_shipped_model_reads_one_page_as_in_a_batch() -> None:
    model = hc.default_model()
    assert model is not None
    rows = np.stack([hc.page_row(PROSE[:1], PROSE), hc.page_row(PROSE, ["Share this"])])
    batch = model.predict(rows)
    assert batch.shape == (2,)
    assert [float(model.predict(r)) for r in rows] == pytest.approx(batch.tolist())


def test_shipped_model_loads_and_names_its_training_data() -> None:
    spec = json.loads(hc.MODEL_PATH.read_text("utf-8"))
    assert "AGPL-3.0" in spec["about"]
    model = hc.default_model()
    assert model is not None
    assert set(spec["features"]) <= set(hc.FEATURES)
    assert model.predict(hc.page_row(PROSE, PROSE)).shape == ()


def _page(article: str, aside: str = "") -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Bridge</title></head>"
        "<body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<div id='content'><article>{article}</article>{aside}</div>"
        "<footer><p>Contact us</p></footer></body></html>"
    )


def test_readability_sees_the_page_after_trafilatura() -> None:
    a, b = engine_lines(_page("".join(f"<p>{p}</p>" for p in PROSE)))
    assert a == PROSE
    assert PROSE[0] in b and PROSE[2] in b


def test_a_failing_second_engine_leaves_trafilatura_s_article(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_: object, **__: object) -> list[str]:
        raise RuntimeError("readability broke")

    monkeypatch.setattr(html_mod, "readability_lines", broken)
    found = extract_html(_page("".join(f"<p>{p}</p>" for p in PROSE)))
    assert found.paragraphs == PROSE


def test_trafilatura_lines_readability_replaces_are_in_the_audit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    always = _one_weight_model("a_in_b", 0.0, 1.0)
    monkeypatch.setattr(html_mod, "default_model", lambda: always)
    monkeypatch.setattr(html_mod, "readability_lines", lambda *_: PROSE[:2])
    found = extract_html(_page("".join(f"<p>{p}</p>" for p in PROSE)))
    assert found.paragraphs == PROSE[:2]
    assert [(r.text, r.reason) for r in found.removed] == [(PROSE[2], str(Removed.OUTSIDE_ARTICLE))]


def test_readability_s_short_post_replaces_trafilatura_s_boilerplate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The issue's short-article failure: the shipped model takes readability's article when
    trafilatura's is a teaser list readability does not have and that reads as no prose."""
    teasers = [f"Latest: story number {n} about the city" for n in range(12)]
    monkeypatch.setattr(html_mod, "readability_lines", lambda *_: PROSE[:2])
    page = _page(
        "<ul>"
        + "".join(f"<li><a href='/s{n}'>{t}</a></li>" for n, t in enumerate(teasers))
        + "</ul>"
    )
    alone = extract_html(page, combine_engines=False).paragraphs
    assert alone and alone[0].startswith("Latest")
    assert extract_html(page).paragraphs == PROSE[:2]


def test_readability_is_not_run_on_a_long_article(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []

    def counted(tree: object, rebuild: object = None) -> list[str]:
        calls.append(tree)
        return []

    monkeypatch.setattr(html_mod, "readability_lines", counted)
    words = " ".join(PROSE).split()
    paragraphs = [" ".join(words[n:] + words[:n]) + "." for n in range(0, 80, 10)]
    found = extract_html(_page("".join(f"<p>{p}</p>" for p in paragraphs))).paragraphs
    assert sum(len(p.split()) for p in found) > hc.SECOND_BELOW_TOKENS
    assert calls == []
    extract_html(_page("".join(f"<p>{p}</p>" for p in PROSE)))
    assert len(calls) == 1


def test_readability_on_our_tree_reads_as_the_library_on_the_source() -> None:
    """The tree-reading Document (no link rewriting) keeps the library's article text."""
    from readability import Document

    page = _page(
        "".join(f"<p>{p} <a href='javascript:void(0)' onclick='x()'>more</a></p>" for p in PROSE),
        "<div class='sidebar' style='display:none'><p>Hidden teaser text here.</p></div>",
    )
    tree = html_mod._parse(page)
    assert tree is not None
    ours = hc.readability_lines(tree)
    assert ours == hc.summary_lines(Document(page).summary(html_partial=True))
    assert ours[0].startswith(PROSE[0]) and "Hidden teaser" not in " ".join(ours)


_DIV_PAGES = [  # <div>s with and without block elements below them, at any depth
    "<div>plain text <b>bold</b> and <a href='#'>a link</a></div>",
    "<div><span><a href='#'><img src='x.png'></a></span> caption</div>",
    "<div>text<div>inner</div>tail</div>",
    "<div><p>para</p></div><div><em>x</em><table><tr><td>c</td></tr></table></div>",
    "<div><abbr title='<p>'>a</abbr> <address>addr</address> <pre>code</pre></div>",
    "<div>a &lt;p&gt; in text <span title='&lt;div&gt;'>x</span><br>after<br></div>",
    "<div><ul><li>one</li></ul><section><blockquote>q</blockquote></section></div>",
    "<div><span><span><dl><dt>t</dt></dl></span></span>t<b>b</b>u</div>",
    "<div><o:p>office</o:p><svg><path d='M0'/></svg><picture>pic</picture></div>",
]


@pytest.mark.parametrize("body", _DIV_PAGES)
def test_misused_divs_become_paragraphs_as_readability_makes_them(body: str) -> None:
    # readability's own step serializes each <div>'s children to search them for block tags;
    # ours reads the elements' tags: the same tree comes out
    _same_tree_after(
        "transform_misused_divs_into_paragraphs",
        f"<html><body><article>{body}{body}</article></body></html>",
    )


def _same_tree_after(step: str, page: str) -> None:
    """readability's `step` and ours leave the same tree of `page`."""
    from lxml.etree import tostring
    from lxml.html import document_fromstring
    from readability import Document

    ours, theirs = (hc._readability_document()(document_fromstring(page)) for _ in range(2))
    for doc in (ours, theirs):
        doc._html(True)
    getattr(ours, step)()
    getattr(Document, step)(theirs)
    assert tostring(ours.html) == tostring(theirs.html)


_UNLIKELY_PAGES = [  # class/id patterns readability drops, and what keeps an element
    "<div class='sidebar'>s</div><div id='comment-1'>c<span class='footer'>f</span></div>",
    "<div class='sidebar article-body'>kept: maybe a candidate</div><p id=''>x</p>",
    "<div class='comment'><pre><span class='share'>code</span></pre></div>",
    "<aside class='related'><article>story</article></aside><div class=' '>t</div>",
    "<div class='popup'><div class='ad-break'>a</div><main>m</main></div><b class='x'>y</b>",
    # case: the patterns ignore it, in ASCII and beyond (U+017F and U+212A fold to "s", "k")
    "<div class='SideBar'>s</div><p id='MENU-top'>m</p><div class='\u017fidebar'>l</div>",
    "<div id='\u212aomment sponsor'>k</div><div class='Sidebar Content'>kept</div>",
    "<div class='caf\u00e9 sidebar'>c</div><div class='\u00c9TOILE footer'>e</div>",
    # inside <code> or <pre> at any depth, or around <math> or <article> at any depth
    "<code class='menu'>c</code><pre><b><i class='footer'>p</i></b></pre>",
    "<div class='comment'><p><span><math>x</math></span></p></div>",
    "<div class='extra'><div><div><article>a</article></div></div></div><div class='rss'>r</div>",
]


@pytest.mark.parametrize("body", _UNLIKELY_PAGES)
def test_unlikely_candidates_go_as_readability_drops_them(body: str) -> None:
    page = f"<html><body class='menu'><div>{body}</div><p>{PROSE[0]}</p></body></html>"
    _same_tree_after("remove_unlikely_candidates", page)


@pytest.mark.parametrize("name", ["unlikelyCandidatesRe", "okMaybeItsACandidateRe"])
def test_class_patterns_match_as_readability_s(name: str) -> None:
    from readability.readability import REGEXES

    pattern = REGEXES[name]
    words = pattern.pattern.split("|")
    found = hc._matches(pattern)
    samples = [
        "", " ", "x", "a b", "post-body main", "nav--Menu item", "tweetable", "ad-break",
        "AD-BREAK", "Ad_Break", "\u017fhadow", "\u212aombx", "caf\u00e9 COLUMN", "ma\u0130n",
        *words, *(w.upper() for w in words), *(w.title() for w in words),
        *(f"x{w[:-1]}-{w[-1]}" for w in words),
    ]  # fmt: skip
    for s in samples:
        assert found(s) == (pattern.search(s) is not None), s


def test_readability_serializes_no_div_and_describes_nothing_unlogged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the misused-div step reads tags instead of serializing every <div>'s children, and the
    # debug descriptions of elements are made only when readability's debug log is on
    import readability.debug as rd
    import readability.readability as rr

    calls = {"tostring": 0, "describe_node": 0}

    def counted(name: str, fn: object) -> object:
        def wrapper(*args: object, **kwargs: object) -> object:
            calls[name] += 1
            return fn(*args, **kwargs)  # type: ignore[operator]

        return wrapper

    hc._readability_document()  # readability set up as the HTML path sets it up
    monkeypatch.setattr(rr, "tostring", counted("tostring", rr.tostring))
    monkeypatch.setattr(rd, "describe_node", counted("describe_node", rd.describe_node))
    sidebar = "<div class='sidebar'><a href='/a'>More</a> <a href='/b'>Other</a></div>"
    page = (
        "<html><body><div id='main'><div>"
        + "".join(f"<p>{p}</p>" for p in PROSE)
        + f"</div>{sidebar}<div class='comment'>Nice.</div></div></body></html>"
    )
    from lxml.html import document_fromstring

    assert hc.readability_lines(document_fromstring(page))
    assert calls == {"tostring": 0, "describe_node": 0}


def test_readability_reads_the_path_s_tree_without_copying_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # readability is the last to read the page's tree: its cleaning works on the tree itself
    # (no deep copy), and its second pass, when the first finds too little, on a tree the
    # path parses again: the article is the library's own either way
    import copy

    from readability import Document

    short = _page("<p>Too short a note to be an article.</p>")  # a second pass
    long = _page("".join(f"<p>{p}</p>" for p in PROSE))  # one pass
    copies: list[int] = []
    rebuilt: list[int] = []
    real = copy.deepcopy

    def counted_deepcopy(*a: Any, **k: Any) -> Any:
        copies.append(1)
        return real(*a, **k)

    monkeypatch.setattr(copy, "deepcopy", counted_deepcopy)
    for page, passes in ((long, 1), (short, 2)):
        copies.clear()
        rebuilt.clear()
        tree = html_mod._parse(page)
        assert tree is not None

        def rebuild(page: str = page) -> object:
            rebuilt.append(1)
            return html_mod._parse(page)

        document = hc._readability_document()(tree, rebuild)
        lines = hc.summary_lines(document.summary(html_partial=True))
        assert document.passes == passes and len(rebuilt) == passes - 1
        assert copies == []
        assert lines == hc.summary_lines(Document(page).summary(html_partial=True))
