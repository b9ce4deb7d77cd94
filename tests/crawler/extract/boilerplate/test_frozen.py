"""`frozen.instances` makes the objects `cls(*row)` makes, in C for a plain frozen dataclass."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import InitVar, dataclass, field
from typing import Any

import pytest

from crawler.extract.boilerplate import frozen, native
from crawler.extract.boilerplate.blocks import Line
from crawler.extract.boilerplate.lines import features
from crawler.extract.boilerplate.result import Removal
from crawler.reasons import Removed


@dataclass(frozen=True)
class _Post:
    a: int
    b: int = 0
    seen: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.seen.append(self.a)


@dataclass(frozen=True)
class _InitOnly:
    a: int
    scale: InitVar[int]


@dataclass(frozen=True)
class _Hidden:
    a: int
    b: int = field(default=7, init=False)


@dataclass
class _Mutable:
    a: int


def _line_rows() -> list[tuple[Any, ...]]:
    f, g = features("Share this article"), features("The council met on Tuesday.")
    return [
        (0, f, Removed.SHARE, True, 2, "share this article"),
        (3, g, None, False, 1, "the council met on tuesday"),
        (9, f, None, False, 0, ""),
    ]


def test_lines_and_removals_are_those_their_init_makes() -> None:
    cases: tuple[tuple[type[Any], list[tuple[Any, ...]]], ...] = (
        (Line, _line_rows()),
        (Removal, [(0, "Home", "navigation"), (4, "ſ İ ①", str(Removed.TITLE))]),
    )
    for cls, rows in cases:
        got, want = frozen.instances(cls, rows), [cls(*row) for row in rows]
        assert got == want
        assert [repr(x) for x in got] == [repr(x) for x in want]
        assert [hash(x) for x in got] == [hash(x) for x in want]
        assert all(type(x) is cls for x in got)
        for x, y in zip(got, want, strict=True):
            assert dataclasses.asdict(x) == dataclasses.asdict(y)
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(x, next(iter(cls.__dataclass_fields__)), 1)
        assert frozen.instances(cls, []) == []
    removal = frozen.instances(Removal, [(1, "x", "y")])[0]
    assert list(vars(removal).items()) == list(
        vars(Removal(1, "x", "y")).items()
    )  # the same instance dict, in order
    assert pickle.loads(pickle.dumps(removal)) == removal
    line = frozen.instances(Line, _line_rows())[0]
    no, f, chrome, _, repeats, key = _line_rows()[0]
    assert dataclasses.replace(line, recurring=False) == Line(no, f, chrome, False, repeats, key)


def test_other_classes_take_their_own_init() -> None:
    assert frozen._plain_fields(Line) == ("no", "f", "chrome", "recurring", "repeats", "key")
    assert frozen._plain_fields(Removal) == ("line_no", "text", "reason")
    for cls in (_Post, _InitOnly, _Hidden, _Mutable, tuple):
        assert frozen._plain_fields(cls) is None
    post = frozen.instances(_Post, [(1, 2, [])])
    assert post[0].seen == [1]  # its __post_init__ ran
    assert frozen.instances(_InitOnly, [(1, 3)]) == [_InitOnly(1, 3)]
    assert frozen.instances(_Hidden, [(5,)])[0].b == 7


def test_the_compiled_build_makes_them_in_c() -> None:
    assert (frozen._c_instances is not None) == native.ACTIVE
    if frozen._c_instances is None:
        pytest.skip("plain Python: no C build in use")
    c = frozen._c_instances
    with pytest.raises(TypeError):
        c(Removal, ("line_no", "text", "reason"), [(1, "x")])  # a row too short
    with pytest.raises(TypeError):
        c(Removal, ("line_no", "text", "reason"), [[1, "x", "y"]])  # type: ignore[list-item]  # not a tuple
    with pytest.raises(TypeError):
        c(Removal, ("line_no", 2, "reason"), [(1, "x", "y")])  # type: ignore[arg-type]  # not a str
    assert c(Removal, ("line_no", "text", "reason"), [(1, "x", "y")]) == [Removal(1, "x", "y")]
