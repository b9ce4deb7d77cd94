"""The shape features of one line (`LineFeatures`), computed by `lines.features_of_normalized`.

Compiled with mypyc (`native.MODULES`): the four derived features (`is_cjk`, `prose_like`,
`data_like`, `headline_like`) are computed when a line is made (`make`), so the class has plain
fields, which compiled readers get as C struct fields instead of instance-dict lookups. Its
`__init__` is written out: mypyc leaves a dataclass's generated methods interpreted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

_COUNT_SUFFIX: Final = re.compile(r"^\D*[(\[]\d+[)\]]$")  # "Category (15)": a count, not data


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

    is_cjk: bool  # mostly written in a script without spaces (Japanese, Chinese)
    prose_like: bool  # looks like running text: long enough and sentence-shaped
    data_like: bool  # a short content line of a list or table (figures with words, a bullet)
    headline_like: bool  # short, no final full stop, several words: a title, teaser or menu

    def __init__(
        self,
        text: str,
        chars: int,
        words: int,
        cjk: int,
        units: float,
        alpha_words: int,
        end_punct: bool,
        end_colon: bool,
        stop_ratio: float,
        title_ratio: float,
        upper_ratio: float,
        digit_ratio: float,
        date_like: bool,
        has_date: bool,
        bulleted: bool,
        separators: int,
        inner_sentences: int,
        is_cjk: bool,
        prose_like: bool,
        data_like: bool,
        headline_like: bool,
    ) -> None:
        # written out (the dataclass would generate the same): compiled, each
        # `object.__setattr__` of a field is a C struct write, where the generated
        # `__init__` is interpreted and calls `object.__setattr__` through Python per field
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "chars", chars)
        object.__setattr__(self, "words", words)
        object.__setattr__(self, "cjk", cjk)
        object.__setattr__(self, "units", units)
        object.__setattr__(self, "alpha_words", alpha_words)
        object.__setattr__(self, "end_punct", end_punct)
        object.__setattr__(self, "end_colon", end_colon)
        object.__setattr__(self, "stop_ratio", stop_ratio)
        object.__setattr__(self, "title_ratio", title_ratio)
        object.__setattr__(self, "upper_ratio", upper_ratio)
        object.__setattr__(self, "digit_ratio", digit_ratio)
        object.__setattr__(self, "date_like", date_like)
        object.__setattr__(self, "has_date", has_date)
        object.__setattr__(self, "bulleted", bulleted)
        object.__setattr__(self, "separators", separators)
        object.__setattr__(self, "inner_sentences", inner_sentences)
        object.__setattr__(self, "is_cjk", is_cjk)
        object.__setattr__(self, "prose_like", prose_like)
        object.__setattr__(self, "data_like", data_like)
        object.__setattr__(self, "headline_like", headline_like)


def make(
    text: str,
    chars: int,
    words: int,
    cjk: int,
    units: float,
    alpha_words: int,
    end_punct: bool,
    end_colon: bool,
    stop_ratio: float,
    title_ratio: float,
    upper_ratio: float,
    digit_ratio: float,
    date_like: bool,
    has_date: bool,
    bulleted: bool,
    separators: int,
    inner_sentences: int,
) -> LineFeatures:
    """A line's features with the four derived from the others (once, when it is made)."""
    is_cjk = cjk >= max(4, chars // 3)
    # prose_like: running text, long enough and sentence-shaped
    if is_cjk:
        prose_like = cjk >= 20 and (end_punct or "、" in text)
    elif units >= 10 and (end_punct or inner_sentences > 0):
        prose_like = stop_ratio >= 0.08 or units >= 25
    else:
        prose_like = units >= 20 and stop_ratio >= 0.15
    # data_like: figures with words ("1 tsp cinnamon", "Leeds 3 1 0 2 — 9"), a bare figure
    # ("85%"), or a bulleted item; not a date, not a "Category (15)" count
    if date_like or (text.endswith((")", "]")) and _COUNT_SUFFIX.search(text) is not None):
        data_like = False
    else:
        data_like = bulleted or (digit_ratio > 0 and (alpha_words > 0 or chars <= 12))
    # headline_like: no final full stop, several words
    if (end_punct and text[-1:] not in "?!？！") or end_colon:
        headline_like = False
    elif is_cjk:
        headline_like = 6 <= cjk <= 60
    else:
        headline_like = 3 <= words <= 20
    return LineFeatures(
        text,
        chars,
        words,
        cjk,
        units,
        alpha_words,
        end_punct,
        end_colon,
        stop_ratio,
        title_ratio,
        upper_ratio,
        digit_ratio,
        date_like,
        has_date,
        bulleted,
        separators,
        inner_sentences,
        is_cjk,
        prose_like,
        data_like,
        headline_like,
    )


def model_values(features: list[LineFeatures]) -> list[object]:
    """The line model's 19 raw values of each line, one line after another (the order of
    `learned._RAW_FEATURES`): compiled, each a struct field read instead of an attribute
    lookup through the type."""
    out: list[object] = []
    for f in features:
        out.extend(
            (
                f.chars,
                f.units,
                f.alpha_words,
                f.words,
                f.end_punct,
                f.end_colon,
                f.stop_ratio,
                f.title_ratio,
                f.upper_ratio,
                f.digit_ratio,
                f.date_like,
                f.has_date,
                f.bulleted,
                f.separators,
                f.inner_sentences,
                f.is_cjk,
                f.prose_like,
                f.data_like,
                f.headline_like,
            )
        )
    return out
