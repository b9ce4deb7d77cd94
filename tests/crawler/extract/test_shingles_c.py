"""The C shingle hashes, signatures and ASCII tokens (`_shingles.c`) give the numpy and str
code's bits."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.dedup import minhash
from crawler.dedup.minhash import MinHasher, shingle_set, shingles_of_tokens
from crawler.extract import normalize
from crawler.extract.boilerplate import native
from crawler.extract.normalize import joined_tokens

EVAL = Path(__file__).resolve().parents[3] / "eval" / "dev" / "text"
needs_c = pytest.mark.skipif(minhash._C is None, reason="no matching compiled build")


def _both(fn, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """fn() with the C module, and with the numpy reference."""
    fast = fn()
    with monkeypatch.context() as m:
        m.setattr(minhash, "_C", None)
        ref = fn()
    return fast, ref


def _same(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype
    assert a.tobytes() == b.tobytes()


@needs_c
@pytest.mark.parametrize("k", [1, 2, 5, 9])
def test_shingles_and_signatures_of_the_dev_pages_are_the_numpy_bits(
    k: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    hasher = MinHasher(128)
    for path in sorted(EVAL.glob("*.txt")):
        text = path.read_text("utf-8")
        fast, ref = _both(lambda t=text: shingle_set(t, k), monkeypatch)  # type: ignore[misc]
        _same(fast, ref)
        sig_fast, sig_ref = _both(lambda s=ref: hasher.signature(s), monkeypatch)  # type: ignore[misc]
        _same(sig_fast, sig_ref)


@needs_c
@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(
        st.text(st.characters(blacklist_characters=" ", blacklist_categories=("Cs",)), min_size=1),
        max_size=40,
    ),
    k=st.integers(1, 8),
    num_perm=st.sampled_from([1, 16, 128]),
)
def test_any_tokens_hash_as_numpy_does(words: list[str], k: int, num_perm: int) -> None:
    joined = " ".join(words)
    fast = shingles_of_tokens(joined, k)
    saved = minhash._C
    minhash._C = None
    try:
        ref = shingles_of_tokens(joined, k)
        hasher = MinHasher(num_perm, seed=3)
        sig_ref = hasher.signature(ref)
    finally:
        minhash._C = saved
    _same(fast, ref)
    _same(hasher.signature(ref), sig_ref)


@needs_c
def test_a_large_set_and_a_strided_one(monkeypatch: pytest.MonkeyPatch) -> None:
    values = np.random.default_rng(5).integers(0, 2**63, size=10_000, dtype=np.uint64) * 2 + 1
    hasher = MinHasher(64)
    for shingles in (values, values[::3]):
        fast, ref = _both(lambda s=shingles: hasher.signature(s), monkeypatch)  # type: ignore[misc]
        _same(fast, ref)
    _same(hasher.signature(np.zeros(0, np.uint64)), np.full(64, 0xFFFFFFFF, np.uint32))


def test_the_tokens_of_a_page_hash_alike_either_way(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "The quick brown fox jumps over the lazy dog. Der schnelle braune Fuchs 東京 über"
    fast, ref = _both(lambda: shingle_set(text, 3), monkeypatch)
    _same(fast, ref)
    assert joined_tokens(text)


@needs_c
@pytest.mark.parametrize("k", [1, 3, 5])
def test_long_shingles_hash_as_numpy_does(k: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # spans past the C code's table of powers (1,024 bytes), and a text shorter than k words
    joined = " ".join(["a" * 600, "b" * 1500, "ü" * 700, "x", "y" * 3000, "z" * 1023])
    # and empty words (spaces at the ends, doubled), which no joined tokens hold
    for text in (joined, "a" * 5000 + " b", "a", "a  b", " a b ", " ", "a   b c  d "):
        fast, ref = _both(lambda t=text: shingles_of_tokens(t, k), monkeypatch)  # type: ignore[misc]
        _same(fast, ref)


def test_the_module_is_loaded_exactly_when_the_build_matches() -> None:
    pure = os.environ.get(native.PURE_ENV, "") not in ("", "0")
    files = native.usable_build()
    expected = not pure and files is not None and "crawler.extract._shingles" in files
    assert (minhash._C is not None) == expected


@pytest.mark.skipif(
    os.environ.get("CI") != "true" or bool(os.environ.get(native.PURE_ENV)),
    reason="only CI must build it: elsewhere a machine without a compiler runs numpy",
)
def test_ci_runs_the_c_shingles() -> None:
    assert minhash._C is not None, "no usable compiled build: see `make setup`'s output"


def _reference_tokens(text: str) -> tuple[list[str], str, int]:
    """normalize's tokens, joined string and word count as its str code makes them."""
    saved = normalize._C
    normalize._C = None
    normalize._LAST_TOKENS = ("", [], "", 0)
    normalize._LAST_WORDS = ("", 0)
    try:
        return normalize.tokens(text), normalize.joined_tokens(text), normalize.word_count(text)
    finally:
        normalize._C = saved
        normalize._LAST_TOKENS = ("", [], "", 0)
        normalize._LAST_WORDS = ("", 0)


@needs_c
@settings(max_examples=500, deadline=None)
@given(st.text(st.characters(max_codepoint=127)) | st.text(st.sampled_from("aZ_9 .'\n\t-")))
def test_ascii_tokens_are_the_str_methods_tokens(text: str) -> None:
    found, joined, count = _reference_tokens(text)
    normalize._LAST_TOKENS = ("", [], "", 0)
    assert normalize.joined_tokens(text) == joined
    assert normalize.tokens(text) == found  # made from the joined string
    normalize._LAST_TOKENS = ("", [], "", 0)
    normalize._LAST_WORDS = ("", 0)
    assert normalize.word_count(text) == count
    assert minhash._C.ascii_tokens(text) == (joined, len(found))  # type: ignore[union-attr]


@needs_c
def test_every_ascii_character_is_a_word_character_or_a_break_as_the_regex_says() -> None:
    for c in map(chr, range(128)):
        found, joined, _ = _reference_tokens(f"a{c}b")
        assert minhash._C.ascii_tokens(f"a{c}b") == (joined, len(found))  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        minhash._C.ascii_tokens("é")  # type: ignore[union-attr]


def test_the_dev_pages_tokens_are_the_reference_tokens() -> None:
    for path in sorted(EVAL.glob("*.txt")):
        text = path.read_text("utf-8")
        for part in (text, text.encode("ascii", "ignore").decode()):
            found, joined, count = _reference_tokens(part)
            normalize._LAST_TOKENS = ("", [], "", 0)
            normalize._LAST_WORDS = ("", 0)
            assert (normalize.tokens(part), normalize.joined_tokens(part)) == (found, joined)
            assert normalize.word_count(part) == count


@needs_c
@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from("ab_9 ,.\n'")), st.sampled_from([1, 2, 5, 50]))
def test_language_ids_ascii_word_count_is_the_regex_count(text: str, limit: int) -> None:
    fast = normalize._words_in(text, limit)
    saved = normalize._C
    normalize._C = None
    try:
        assert fast == normalize._words_in(text, limit)
    finally:
        normalize._C = saved


@needs_c
def test_a_call_refused_at_a_later_buffer_gives_back_those_it_took() -> None:
    """A bytearray cannot grow while a buffer of it is held: after the refused call (its
    `ends` of the wrong type) the data taken first must be free again."""
    assert minhash._C is not None
    data = bytearray(b"alpha beta")
    starts = np.zeros(1, dtype=np.int64)
    wrong = np.zeros(1, dtype=np.float64)
    out = np.zeros(1, dtype=np.uint64)
    with pytest.raises(TypeError, match="ends"):
        minhash._C.span_hashes(data, starts, wrong, out)
    data.extend(b" gamma")  # BufferError if the call kept its view of data
    ends = np.array([len(data)], dtype=np.int64)
    minhash._C.span_hashes(data, starts, ends, out)
    data.extend(b" delta")  # and a call that succeeds gives its views back too
    assert out[0] != 0


_CODE_POINTS = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]


@needs_c
def test_every_code_point_is_a_word_a_cjk_or_a_break_as_the_regexes_say() -> None:
    """The C tokens and word count of non-ASCII text against normalize's regexes, every code
    point alone (each between '!'s) and twice in a row (a CJK character is a token alone)."""
    c = minhash._C
    assert c is not None
    for text in ("!".join(_CODE_POINTS), "!".join(p + p for p in _CODE_POINTS)):
        found = normalize._WORD.findall(normalize._CJK.sub(lambda m: f" {m.group()} ", text))
        assert c.word_tokens(text) == (" ".join(found), len(found))
        cjk = len(normalize._CJK.findall(text))
        assert (
            c.word_count(text) == len(normalize._WORD.findall(normalize._CJK.sub(" ", text))) + cjk
        )


@needs_c
def test_every_code_point_is_white_space_or_not_as_the_regex_says() -> None:
    c = minhash._C
    assert c is not None
    text = "a".join(_CODE_POINTS)
    odd = {m.group() for m in normalize._SPACE_RUNS.finditer(text)}
    assert {p for p in _CODE_POINTS if c.odd_spaces(f"a{p}a")} == odd
    assert c.odd_spaces("a  b") and c.odd_spaces("a \u00a0b") and not c.odd_spaces("a b\n c\n")


_ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",))) | st.text(
    st.sampled_from("aZ_9 .'\n\t-\u00a0\u3000中한ßéİﬁ\u0345\u2009ǅ")
)


@needs_c
@settings(max_examples=500, deadline=None)
@given(_ANY_TEXT)
def test_any_texts_tokens_and_word_count_are_the_regex_ones(text: str) -> None:
    found, joined, count = _reference_tokens(text)
    normalize._LAST_TOKENS = ("", [], "", 0)
    normalize._LAST_WORDS = ("", 0)
    assert normalize.word_count(text) == count
    assert (normalize.tokens(text), normalize.joined_tokens(text)) == (found, joined)
    normalize._LAST_TOKENS = ("", [], "", 0)
    normalize._LAST_WORDS = ("", 0)
    for limit in (1, 5, 50):
        assert normalize._words_in(text, limit) == min(count, limit)


@needs_c
@settings(max_examples=500, deadline=None)
@given(st.lists(_ANY_TEXT, max_size=6))
def test_normalize_text_with_the_c_space_check_is_the_regex_one(paragraphs: list[str]) -> None:
    fast = normalize.normalize_text(paragraphs)
    saved = normalize._C
    normalize._C = None
    try:
        assert fast == normalize.normalize_text(paragraphs)
    finally:
        normalize._C = saved


@needs_c
@settings(max_examples=500, deadline=None)
@given(st.text() | st.text(st.sampled_from("a\u00e9\u2019\ud800\udbff\udc00\udfff\U0001f600")))
def test_surrogates_are_found_as_the_strict_encode_finds_them(text: str) -> None:
    try:
        text.encode("utf-8")
        holds = False
    except UnicodeEncodeError:
        holds = True
    assert minhash._C.has_surrogates(text) == holds  # type: ignore[union-attr]
    saved = normalize._C
    normalize._C = None
    try:
        reference = normalize.replace_surrogates(text)
    finally:
        normalize._C = saved
    assert normalize.replace_surrogates(text) == reference
