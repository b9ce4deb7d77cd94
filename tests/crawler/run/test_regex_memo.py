from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
import regex
from regex import _main

from crawler.run import regex_memo as memo_module
from crawler.run.regex_memo import memo_file, remembered_compiles

PATTERNS = [
    (r"(?P<day>\d{1,2})\s+(?P<month>jan(?:uary)?|feb(?:ruary)?)\.?\s+(\d{4})", regex.IGNORECASE),
    (r"(?<=\bat\s)\d{1,2}:\d\d(?:\s*[ap]\.?m\.?)?", 0),
    (r"[\u0600-\u06ff]+|[а-яё]+|\p{Han}+", regex.UNICODE),
    (r"(?:^|\W)(?:early_morning|morning|afternoon|evening|night)(?=\W|$)", regex.I),
    (r"((?:\d+)(?:[.,]\d+)?)\s*(?:days?|weeks?)\s+ago", regex.V1 | regex.IGNORECASE),
    (r"^(?!.*\bxyzzy\b)(\w+)\s+\1$", 0),
]
STRINGS = [
    "Posted 12 January 2020 at 10:46 pm",
    "3 FEB. 1999, evening",
    "около 5 дней назад, 2 weeks ago",
    "日本語のテキスト 12 xyzzy 2020",
    "night night",
    "",
]


def _behaviour(pattern: regex.Pattern[str]) -> list[object]:
    found: list[object] = [pattern.pattern, pattern.flags, pattern.groups, pattern.groupindex]
    for s in STRINGS:
        match = pattern.search(s)
        found += [pattern.findall(s), match and (match.span(), match.groups())]
        found.append(pattern.sub("#", s))
    return found


def _compile_all() -> list[regex.Pattern[str]]:
    regex.purge()  # from source, not from the library's own cache
    return [regex.compile(p, f) for p, f in PATTERNS]


def test_patterns_compiled_once_are_built_from_their_stored_form_next_time(tmp_path: Path) -> None:
    """The second time, no pattern is parsed again, and each one behaves as a fresh compile."""
    memo = tmp_path / "regex.marshal"
    with remembered_compiles(memo) as first:
        _compile_all()
    assert first == {"built": 0, "compiled": len(PATTERNS)} and memo.is_file()
    with remembered_compiles(memo) as second:
        built = _compile_all()
    assert second == {"built": len(PATTERNS), "compiled": 0}
    fresh = _compile_all()
    assert [_behaviour(p) for p in built] == [_behaviour(p) for p in fresh]


def test_the_library_compiles_as_before_outside_the_block(tmp_path: Path) -> None:
    original = _main._compile
    with remembered_compiles(tmp_path / "regex.marshal"):
        assert _main._compile is not original
    assert _main._compile is original


def test_named_lists_and_locale_patterns_are_not_kept(tmp_path: Path) -> None:
    """Their compiled form depends on the list given or the locale of the moment."""
    memo = tmp_path / "regex.marshal"
    for _ in range(2):
        with remembered_compiles(memo) as counts:
            regex.purge()
            assert regex.compile(r"\L<words>", words=["ab", "cd"]).findall("xcd ab") == ["cd", "ab"]
            assert regex.compile(r"(?L)\w+").findall("ab cd") == ["ab", "cd"]
        assert counts["built"] == 0
    assert not memo.exists()


def test_a_damaged_memo_is_compiled_over(tmp_path: Path) -> None:
    memo = tmp_path / "regex.marshal"
    memo.write_bytes(b"\x00not marshal")
    with remembered_compiles(memo) as counts:
        built = _compile_all()
    assert counts == {"built": 0, "compiled": len(PATTERNS)}
    assert [_behaviour(p) for p in built] == [_behaviour(p) for p in _compile_all()]
    with remembered_compiles(memo) as counts:
        _compile_all()
    assert counts["built"] == len(PATTERNS)
    damaged = bytearray(memo.read_bytes())
    damaged[len(damaged) // 2] ^= 1  # still a marshal, maybe: its sha256 tells
    memo.write_bytes(bytes(damaged))
    with remembered_compiles(memo) as counts:
        _compile_all()
    assert counts == {"built": 0, "compiled": len(PATTERNS)}


def test_an_entry_the_library_refuses_is_compiled_over(tmp_path: Path) -> None:
    """A stored form the C constructor rejects (the sha256 only proves the file is whole)."""
    memo = tmp_path / "regex.marshal"
    with remembered_compiles(memo):
        _compile_all()
    stored = memo_module._load(memo)
    memo_module._store(memo, {key: ("not", "arguments") for key in stored})
    with remembered_compiles(memo) as counts:
        built = _compile_all()
    assert counts == {"built": 0, "compiled": len(PATTERNS)}
    assert [_behaviour(p) for p in built] == [_behaviour(p) for p in _compile_all()]


def test_without_the_library_internals_it_needs_the_memo_does_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(regex, "_main", types.SimpleNamespace())  # no `_compile` to wrap
    memo = tmp_path / "regex.marshal"
    with remembered_compiles(memo) as counts:
        assert regex.compile(r"a+b").findall("aab ab") == ["aab", "ab"]
    assert counts == {"built": 0, "compiled": 0} and not memo.exists()


def test_no_cache_folder_no_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORPUS_CACHE_DIR", "")
    assert memo_file() is None


WARM_PROBE = """
from regex import _main
parsed = []
parse = _main._parse_pattern
def counted(*args):
    parsed.append(1)
    return parse(*args)
_main._parse_pattern = counted
import crawler.run.warm_html
from htmldate.extractors import get_external_parser
print(len(parsed), get_external_parser().get_date_data("12 janvier 2020")["date_obj"])
"""


@pytest.mark.slow
def test_the_html_warm_up_parses_no_pattern_the_last_one_kept(tmp_path: Path) -> None:
    """dateparser's 205 locales compile ~900 `regex` patterns in the forkserver's warm-up
    (~2 s of CPU, the library's parser): a second warm-up builds them from the first's."""
    env = {**os.environ, "CORPUS_CACHE_DIR": str(tmp_path)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", WARM_PROBE],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
            env=env,
        ).stdout.split(maxsplit=1)
        for _ in range(2)
    ]
    assert int(runs[0][0]) > 500 and int(runs[1][0]) == 0
    assert runs[0][1] == runs[1][1] == "2020-01-12 00:00:00\n"
