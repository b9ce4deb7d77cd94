"""The shape features of one line (`LineFeatures`), computed by `lines.features_of_normalized`.

A module of its own, kept out of the modules compiled with mypyc (`native.py`): its lazy
properties keep their value in the instance dict, which a compiled (native) class has not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, TypeVar

_COUNT_SUFFIX = re.compile(r"^\D*[(\[]\d+[)\]]$")  # "Category (15)": a count, not data


_T = TypeVar("_T")


class _once(cached_property[_T], Generic[_T]):  # used like cached_property
    """`functools.cached_property` without its lock (Python 3.11 takes one on every first
    access; Python 3.12 dropped it). Two threads reading one line's property at once both
    compute the same value: the properties are pure."""

    def __init__(self, func: Callable[[Any], _T]) -> None:
        super().__init__(func)

    def __get__(self, instance: object, owner: type[Any] | None = None) -> _T:  # type: ignore[override]
        if instance is None:
            return self  # type: ignore[return-value]
        value = instance.__dict__[self.attrname or self.func.__name__] = self.func(instance)
        return value


@dataclass(frozen=True)
class LineFeatures:
    """Shape features of one non-blank line."""

    text: str  # whitespace-normalised line
    chars: int  # characters
    words: int  # space-separated tokens (a CJK run counts as one)
    cjk: int  # CJK characters (Han / kana)
    units: float  # length in word-equivalents: words, or CJK characters / 2
    alpha_words: int  # tokens that contain letters
    end_punct: bool  # ends in sentence punctuation (. ! ? 。 ！ ？ …), quotes allowed after
    end_colon: bool  # ends in a colon (introduces a list or quote)
    stop_ratio: float  # share of tokens that are function words (any built-in language)
    title_ratio: float  # share of letter tokens that start with a capital letter
    upper_ratio: float  # share of cased letters that are upper case
    digit_ratio: float  # share of characters that are digits
    date_like: bool  # the line is (almost) only a date / time / relative time
    has_date: bool  # the line contains a date or time expression (lines <= 2,000 chars)
    bulleted: bool  # starts with a bullet or list number
    separators: int  # " | ", " • ", " / " style separators (menus, breadcrumbs)
    inner_sentences: int  # sentence ends inside the line (". X")

    @_once
    def is_cjk(self) -> bool:
        """Mostly written in a script without spaces (Japanese, Chinese)."""
        return self.cjk >= max(4, self.chars // 3)

    @_once
    def prose_like(self) -> bool:
        """Looks like running text: long enough and sentence-shaped."""
        if self.is_cjk:
            return self.cjk >= 20 and (self.end_punct or "、" in self.text)
        if self.units >= 10 and (self.end_punct or self.inner_sentences > 0):
            return self.stop_ratio >= 0.08 or self.units >= 25
        return self.units >= 20 and self.stop_ratio >= 0.15

    @_once
    def data_like(self) -> bool:
        """A short content line of a list or table: figures with words ("1 tsp cinnamon",
        "Leeds 3 1 0 2 — 9"), a bare figure ("85%"), or a bulleted item."""
        if self.date_like or (self.text.endswith((")", "]")) and _COUNT_SUFFIX.search(self.text)):
            return False
        has_digit = self.digit_ratio > 0
        return self.bulleted or (has_digit and (self.alpha_words > 0 or self.chars <= 12))

    @_once
    def headline_like(self) -> bool:
        """Short, no final full stop, several words: a title, teaser or menu entry."""
        if (self.end_punct and self.text[-1:] not in "?!？！") or self.end_colon:
            return False
        if self.is_cjk:
            return 6 <= self.cjk <= 60
        return 3 <= self.words <= 20
