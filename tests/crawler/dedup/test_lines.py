"""A text's lines tokenized once (`crawler.dedup.lines`) give what tokenizing each line gave."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.dedup.lines import Lines, paragraph_keys, token_lines
from crawler.dedup.minhash import shingle_set
from crawler.extract.normalize import tokens

# letters that case-fold to two (ß, ﬁ, ŉ), CJK and kana, digits, underscores, punctuation, the
# white space str.split() knows and \w does not, a combining mark
ALPHABET = "aB ßﬁŉ日本語カナ한12_.,!?\"”’)'-\t\r\x0b\x0c\x1c\x85\u2028\u3000\u0301é\n"
# beyond ASCII, only separators (the text is tokenized on its bytes); and U+0345, no word
# character itself, that folds to one
SEPARATED = "aBz09_ .,;:!?'\"\t\r\x0c\n\u00a0\u2019\u201c\u201d\u2014\u2026\u00ab\u2122"
TEXTS = st.text(alphabet=ALPHABET, max_size=120) | st.text(alphabet=SEPARATED, max_size=120)
TEXTS |= st.text(alphabet=SEPARATED + "\u0345", max_size=40)
PAGE = (
    "Breaking: The Council Voted Tonight, after 3 hours; of debate, on the new budget plan.\n"
    "Home | News | Sport\n"
    "\n"
    "Straße in Köln: die Stadt plant eine neue Brücke über den Rhein bis zum Jahr 2030!\n"
    "東京の新しい駅は来年開業する予定です 詳しくは後で\n"
    "Share this"
)


@given(TEXTS)
@settings(max_examples=400, deadline=None)
def test_token_lines_are_each_lines_tokens(text: str) -> None:
    assert token_lines(text) == [" ".join(tokens(line)) for line in text.split("\n")]


def test_token_lines_of_ascii_tokens_and_folding_separators() -> None:
    for text in (
        "",
        "\n",
        "a",
        " A-b_C ",
        "x\n\ny  z\n",
        "It\u2019s \u201cok\u201d\u2014yes",
        "a\u0345b",
        "a\ud800b c",
    ):
        assert token_lines(text) == [" ".join(tokens(line)) for line in text.split("\n")]


def test_token_lines_of_a_page() -> None:
    got = token_lines(PAGE)
    assert got == [" ".join(tokens(line)) for line in PAGE.split("\n")]
    assert got[2] == "" and got[3].startswith("strasse in köln")
    assert "東 京 の" in got[4]


def _old_paragraph_keys(text: str, min_words: int) -> tuple[list[str], list[str]]:
    """What the keys were made of: lines of min_words tokens or more, their tokens."""
    lines = [line for line in text.split("\n") if len(tokens(line)) >= min_words]
    return lines, [" ".join(tokens(line)) for line in lines]


@given(TEXTS, st.integers(1, 4))
@settings(max_examples=200, deadline=None)
def test_paragraph_keys_are_those_of_each_lines_tokens(text: str, min_words: int) -> None:
    lines, keys = paragraph_keys(text, min_words)
    old_lines, old_keys = _old_paragraph_keys(text, min_words)
    assert lines == old_lines
    # a key is the shingle hash of all the line's tokens (a shingle as long as the line)
    expected = [shingle_set(k, k.count(" ") + 1)[0] if k else None for k in old_keys]
    assert keys.tolist() == expected


@given(TEXTS, TEXTS, st.integers(1, 6))
@settings(max_examples=200, deadline=None)
def test_lines_give_the_shingles_of_their_text(a: str, b: str, k: int) -> None:
    lines = Lines.of(a) + Lines.of(b)
    text = f"{a}\n{b}"
    assert lines.text() == text
    assert np.array_equal(lines.shingles(k), shingle_set(text, k))
    keep = np.arange(len(lines)) % 2 == 0
    assert np.array_equal(lines.shingles(k, keep), shingle_set(lines.text(keep), k))
    assert lines.words.tolist() == [len(line.split()) for line in text.split("\n")]
    head = Lines.of(text).head(a.count("\n") + 1)
    assert np.array_equal(head.shingles(k), shingle_set(a, k))
    assert head.lead(3) == " ".join(a.split(maxsplit=3)[:3])


def test_line_shingles_compare_with_the_text_shingles() -> None:
    lines = Lines.of(PAGE)
    keep = lines.counts >= 5
    hashes, line_of = lines.line_shingles(5, keep)
    chosen = [line for line, on in zip(PAGE.split("\n"), keep, strict=True) if on]
    for n, line in enumerate(chosen):
        assert np.array_equal(np.unique(hashes[line_of == n]), shingle_set(line, 5))


def _figures(text: str, k: int) -> list[object]:
    """Everything dedup reads of a text's lines, as plain values."""
    lines = Lines.of(text)
    keep = np.arange(len(lines)) % 3 != 1
    at, keys = lines.paragraphs(2)
    hashes, line_of = lines.line_shingles(k, keep)
    first = text.split("\n")[: max(len(lines) - 1, 1)]  # all lines but the last, or the one
    head = lines.head(len(first), "\n".join(first))
    return [
        lines.data,
        lines.starts.tolist(),
        lines.ends.tolist(),
        lines.counts.tolist(),
        lines.words.tolist(),
        lines.sentence.tolist(),
        at.tolist(),
        keys.tolist(),
        lines.shingles(k).tolist(),
        lines.shingles(k, keep).tolist(),
        hashes.tolist(),
        line_of.tolist(),
        head.shingles(k).tolist(),
        head.words.tolist(),
        lines.lead(4, keep),
    ]


@given(TEXTS | st.text(max_size=80), st.integers(1, 6))
@settings(max_examples=400, deadline=None)
def test_the_c_pass_gives_the_reference_figures(text: str, k: int) -> None:
    import crawler.dedup.lines as lines_module
    import crawler.dedup.minhash as minhash_module

    if lines_module._C is None:
        return
    fast = _figures(text, k)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(lines_module, "_C", None)
        m.setattr(minhash_module, "_C", None)
        reference = _figures(text, k)
    assert fast == reference


def test_an_ascii_page_is_tokenized_in_c_without_the_regular_expression(monkeypatch: Any) -> None:
    import crawler.dedup.lines as lines_module

    if lines_module._C is None:
        pytest.skip("no matching compiled build")

    def fail(text: str) -> list[str]:
        raise AssertionError("tokenized in Python")

    monkeypatch.setattr(lines_module, "token_lines", fail)
    lines = Lines.of("It\u2019s a Test, of \u201cten\u201d words or more here.\nNext line")
    assert lines.data == b"it s a test of ten words or more here\nnext line"
    assert lines.counts.tolist() == [10, 2]
    assert lines.words.tolist() == [9, 2] and lines.sentence.tolist() == [True, False]
