"""The C scanners (`_linescan.c`) give exactly what their Python reference in `lines.py` gives:
on crafted and random Unicode lines, and on every distinct line of the eval sets."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType, ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extract.boilerplate import lines, native

ROOT = Path(__file__).resolve().parents[4]

# what each scanner tests for: white space of every kind, separators, sentence marks and
# quotes, capitals (Latin, Cyrillic), CJK and its marks, digits of other scripts, characters
# whose case or letter-ness is special (cased non-letters, "ſ", "İ", Greek final sigma)
ALPHABET = (
    " \t\n\x0b\x1c\x85\xa0\u2028\u3000|/•·»›-–—*▪►▶"
    ".!?。！？…:：\"'”’“‘()]）」』】"
    "aAzZ_İıſKßΣσςДдЯя"
    "日本語カタｶﾟ"
    "019١٢٣０９²½Ⅻⅻ①ⓐ\u0345🄰🅐"
)


def _c_module() -> ModuleType:
    files = native.usable_build()
    if files is None:
        pytest.skip("no matching compiled build (make setup): the cleaner runs as plain Python")
    name = f"{native.PACKAGE}._linescan"
    spec = importlib.util.spec_from_file_location(name, files[name])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not native.ACTIVE:  # else this is the module `lines` loaded, its callbacks already set
        module.set_packer(_reference()._token_bits)
        module.set_has_date(_reference()._has_date)
    return module


def _chrome_reference() -> ModuleType:
    """`chrome.py` as plain Python."""
    spec = importlib.util.spec_from_file_location("chrome_reference", native.HERE / "chrome.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_CHROME = _chrome_reference()


def _reference() -> ModuleType:
    """`lines.py` as plain Python, with its Python scanners."""
    spec = importlib.util.spec_from_file_location("lines_reference", native.HERE / "lines.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _callbacks_given_back()
    module._shape, module._fold_digits = module._shape_py, module._fold_digits_py
    module._token_stats, module._normalize = module._token_stats_py, module._normalize_py
    module._line_features = module._no_line_features
    return module


def _callbacks_given_back() -> None:
    """Running lines.py again handed its own `_token_bits` and `_has_date` to the C scanner,
    whose callbacks the whole process shares: the cleaner's own are given back. The bits are
    the same, but every later test in this process would clean through interpreted copies
    (test_robustness counts the calls cleaning makes: it saw them)."""
    c = getattr(lines, "_linescan", None)
    if c is not None:
        c.set_packer(lines._token_bits)
        c.set_has_date(lines._has_date)


def test_the_reference_leaves_the_cleaner_its_own_callbacks() -> None:
    """Making the plain-Python reference does not leave the C scanner calling its functions."""
    if getattr(lines, "_linescan", None) is None or not native.ACTIVE:
        pytest.skip("no compiled build: the cleaner's callbacks are plain Python anyway")
    _reference()
    called: list[str] = []

    def profiler(frame: FrameType, event: str, arg: object) -> None:
        if event == "call":
            called.append(frame.f_code.co_name)

    sys.setprofile(profiler)
    try:  # tokens the scanner's table cannot hold yet: each is handed to the packer
        lines._token_stats("zqxv-unseen-1 Wkqj-unseen-2 on 12 Mayy")
    finally:
        sys.setprofile(None)
    assert "_token_bits" not in called


@pytest.fixture(scope="module")
def pair() -> tuple[ModuleType, ModuleType]:
    return _c_module(), _reference()


def _same(c: ModuleType, ref: ModuleType, text: str) -> None:
    for got, want in (
        (c.normalize(text), ref._normalize_py(text)),
        (c.key_words(text.lower()), _CHROME._key_words_py(text.lower())),
    ):
        assert got == want and hash(got) == hash(want), repr(text)
    assert c.shape(text) == ref._shape_py(text), repr(text)
    lowered = text.lower()
    got, want = c.fold_digits(lowered), ref._fold_digits_py(lowered)
    assert got == want and hash(got) == hash(want), repr(text)  # == needs the narrowest kind
    assert c.token_stats(text) == ref._token_stats_py(text), repr(text)
    assert c.token_stats(text) == ref._token_stats_py(text), repr(text)  # now from its table
    ready = c.line_features(text)
    if ref._shape_py(text)[0]:
        assert ready is None, repr(text)  # a line with CJK: the Python path
    else:
        # the 17 arguments of features.make: the first 17 fields, in order
        f = ref.features_of_normalized(text)
        want = [getattr(f, field.name) for field in dataclasses.fields(f)][:17]
        assert ready is not None and list(ready) == want, repr(text)
        assert [type(v) for v in ready] == [type(v) for v in want]


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "Hello world. The end.",
        'He said. "Then" (A) left.  Next ! \u201cB',
        "Home | World  Sport / Tech • x",
        "- item",
        "12. item",
        "123. not a bullet",
        "1) x",
        "١٢. item",
        "東京都は10月1日、計画を発表した。市民は歓迎。",
        "Call 02-751-1500",
        "Posted 2019-11-20 by abc ١٢٣ and ０９",
        "Ⅻ O'CLOCK ⓐ",
        "Done.\u201d\u2019 )*",
        "Tags：",
        "x。\ny",
        "The Council met on Tuesday, 12:30 GMT, and said: “Don't wait” — e-mail us (now).",
        "Updated 3 hours ago · Mon, Nov. 20, 2019",
        "ſ K İ ı « » ¿ ¡ ... -- ’s  ",
        " the  The THE (c) don't e-mail 's ǅx",
        " ".join(["word"] * 10_050) + " The",
        "\u200b a\u00ad b \ufeff ",
        "  Read\tmore:\u3000 x_y 3rd ½ Ⅻ  ",
        "ä\u200b",
    ],
)
def test_crafted_lines(pair: tuple[ModuleType, ModuleType], text: str) -> None:
    _same(*pair, text)


@settings(max_examples=3_000, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=24) | st.text(max_size=24))
def test_random_lines(pair: tuple[ModuleType, ModuleType], text: str) -> None:
    _same(*pair, text)


def _eval_lines() -> Iterator[str]:
    shared = ROOT.parent / "shared" / "eval"
    if not shared.is_dir():
        shared = ROOT.parent.parent / "shared" / "eval"
    for folder in (ROOT / "eval" / "dev" / "text", shared / "dragnet-train" / "text"):
        if folder.is_dir():
            for page in sorted(folder.iterdir()):
                yield from page.read_text("utf-8", "replace").splitlines()


@pytest.mark.slow
def test_every_distinct_line_of_the_eval_sets(pair: tuple[ModuleType, ModuleType]) -> None:
    c, ref = pair
    raw = set(_eval_lines())
    assert len(raw) > 1_000
    for line in raw | {ref.normalize(s) for s in raw}:
        _same(c, ref, line)
        _same(c, ref, ref.unicodedata.normalize("NFKC", line))


def test_the_token_table_is_emptied_when_full(pair: tuple[ModuleType, ModuleType]) -> None:
    c, ref = pair
    many = " ".join(f"Tok{i}en" for i in range(120_000))  # more tokens than the table holds
    assert c.token_stats(many) == ref._token_stats_py(many)
    assert c.token_stats("Tok5en the") == ref._token_stats_py("Tok5en the")


@pytest.mark.parametrize("token", ["", "...", "don't", "«Hello»", "(c)", "2019", "Mon,", "ſ", "İx"])
def test_a_tokens_bits_are_its_packed_counts(token: str) -> None:
    ref = _reference()
    packed = ref._packed(token)
    assert ref._token_bits(token) == sum(((packed >> k * ref._FIELD) & 1) << k for k in range(5))
