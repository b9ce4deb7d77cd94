"""The C scanners (`_linescan.c`) give exactly what their Python reference in `lines.py` gives:
on crafted and random Unicode lines, and on every distinct line of the eval sets."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
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
    """Running lines.py again handed its own `_token_bits` to the C scanner,
    whose callbacks the whole process shares: the cleaner's own are given back. The bits are
    the same, but every later test in this process would clean through interpreted copies
    (test_robustness counts the calls cleaning makes: it saw them)."""
    c = getattr(lines, "_linescan", None)
    if c is not None:
        c.set_packer(lines._token_bits)


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


# `_has_date` in C: the digit forms scanned there, Python asked only for the word forms
_DATE_WORDS = ("ago", "yesterday", "just now")
_DATE_PIECES = (
    "1/2/2019",
    "2019-11-20",
    "13.11.2019",
    "1234-5-6789",
    "12345-1-1",
    "1.2.3.4",
    "9:02",
    "12:30",
    "123:45",
    "1:234",
    "2019",
    "1999",
    "20199",
    "x2019",
    "_1999",
    "3 hours ago",
    "1 Minute ago",
    "2 MINS AGO",
    "a day ago",
    "an hour ago",
    "yesterday",
    "just now",
)


def _date_cases(ch: str) -> Iterator[str]:
    """Lines with `ch` next to, inside and in place of the date test's pieces."""
    for piece in _DATE_PIECES:
        yield ch + piece
        yield piece + ch
        for i in range(1, len(piece)):
            yield piece[:i] + ch + piece[i:]
            yield piece[:i] + ch + piece[i + 1 :]


def _ascii_folds() -> list[str]:
    """Every code point outside ASCII whose casefold holds an ASCII character."""
    return [chr(c) for c in range(0x80, 0x110000) if any(ord(x) < 0x80 for x in chr(c).casefold())]


def _same_date(c: ModuleType, ref: ModuleType, text: str) -> None:
    digits = sum(map(str.isdigit, text))
    assert c.has_date(text, digits) == ref._has_date(text, digits), repr(text)


def test_has_date_in_c_on_every_code_point_whose_fold_is_ascii(
    pair: tuple[ModuleType, ModuleType],
) -> None:
    c, ref = pair
    folds = _ascii_folds()
    assert "ß" in folds and "ſ" in folds and "\u212a" in folds and "İ" in folds
    for ch in folds:
        for word in _DATE_WORDS:
            for i in range(len(word)):
                for j in range(i + 1, min(len(word), i + 3) + 1):
                    for text in (word[:i] + ch + word[j:], "2 " + word[:i] + ch + word[j:]):
                        _same_date(c, ref, text)
        for text in _date_cases(ch):
            _same_date(c, ref, text)


def test_has_date_in_c_beside_latin_1_and_digits(pair: tuple[ModuleType, ModuleType]) -> None:
    c, ref = pair
    # Latin-1, one of each script's decimal digits, digits that are no decimal (² ①)
    chars = [chr(x) for x in range(0x100)] + [
        chr(x) for x in range(0x100, 0x110000) if ref.unicodedata.decimal(chr(x), -1) == 1
    ]
    chars += ["\u2460", "\u2081", "\u00bd", "\u2167"]
    chars += ["\u0131", "\u0130", "\u212a", "\u0345", "\u3000", "\u2028", "_", "月", "日"]
    for ch in chars:
        for text in _date_cases(ch):
            _same_date(c, ref, text)


_DATE_PHRASES = (
    "3 hours ago",
    "2 hrs ago",
    "5 minutes ago",
    "1 min ago",
    "2 days ago",
    "3 weeks ago",
    "4 months ago",
    "1 year ago",
    "9 hr ago",
    "a day ago",
    "an hour ago",
    "one week ago",
    "one month ago",
    "one minute ago",
    "one year ago",
    "yesterday",
    "just now",
)


def test_has_date_in_c_folds_each_letter_as_the_regex_engine(
    pair: tuple[ModuleType, ModuleType],
) -> None:
    """Every code point the engine matches to an ASCII letter or a space when ignoring case
    ("İ", "ı", "ſ", "K" among them), in place of each character of the date words."""
    c, ref = pair
    letter = re.compile("[a-z ]", re.IGNORECASE)
    folds = [chr(x) for x in range(0x110000) if letter.fullmatch(chr(x))]
    assert {"\u0130", "\u0131", "\u017f", "\u212a"} <= set(folds)
    for phrase in _DATE_PHRASES:
        for i in range(len(phrase)):
            for ch in folds:
                for text in (phrase[:i] + ch + phrase[i + 1 :], "x " + phrase[:i] + ch):
                    _same_date(c, ref, text)


@pytest.mark.slow
def test_has_date_in_c_beside_every_assigned_code_point(
    pair: tuple[ModuleType, ModuleType],
) -> None:
    c, ref = pair
    for x in range(0x110000):
        ch = chr(x)
        if ref.unicodedata.category(ch) in ("Cn", "Cs"):
            continue  # unassigned: no digit, word or case class (one of them is tested below)
        for template in (
            "{}2019",
            "2019{}",
            "{}9:02",
            "9:0{}",
            "1/2/2019{}",
            "1{}2/2019",
            "1/2/{}019",
            "a{}o",
            "{}go",
            "ag{}",
            "yes{}erday",
            "just{}now",
            "{}esterday",
            "{}ust now",
            "{} hour ago",
            "{}ne day ago",
            "2 hour{} ago",
            "2{}mins ago",
            "5 m{}n ago",
            "1 {}ays ago",
            "2 weeks{}ago",
        ):
            _same_date(c, ref, template.format(ch))
    _same_date(c, ref, "\U000e0080" + "2019")


_DATE_ALPHABET = (
    "0123456789١٣０９²½ ./-:_aAgGoOyesterdayYJUSTNWjustnw hoursminutedkHRSMINK ſßİıﬅ月日年é\u3000"
)


@settings(max_examples=2_000, deadline=None)
@given(st.text(alphabet=_DATE_ALPHABET, max_size=30))
def test_has_date_in_c_on_random_lines(pair: tuple[ModuleType, ModuleType], text: str) -> None:
    _same_date(*pair, text)


def test_line_features_asks_no_python_function_for_the_date_test(
    pair: tuple[ModuleType, ModuleType],
) -> None:
    """The C scanner answers a line's date test itself (it called `lines._has_date` back for
    every line, given by `set_has_date`, before the test moved to C)."""
    c, ref = pair
    asked: list[str] = []

    def has_date(text: str, digits: int) -> bool:
        asked.append(text)
        return bool(ref._has_date(text, digits))

    set_has_date = getattr(c, "set_has_date", None)
    if set_has_date is not None:
        set_has_date(has_date)
    try:
        for text in ("Posted 2019-11-20 by abc", "Updated 3 hours AGO", "Yeſterday", "x"):
            ready = c.line_features(text)
            assert ready is not None and ready[13] == ref._has_date(
                text, sum(map(str.isdigit, text))
            )
    finally:
        if set_has_date is not None:
            set_has_date(lines._has_date)
    assert asked == []
