"""Stub of the C scanners (`_linescan.c`); their Python reference is in `lines.py`."""

from collections.abc import Callable

def shape(text: str, /) -> tuple[int, int, int, int, int, int, bool, bool, bool]: ...
def fold_digits(text: str, /) -> str: ...
def set_packer(packer: Callable[[str], int], /) -> None: ...
def token_stats(text: str, /) -> tuple[int, int, int, int, int, int]: ...
def normalize(text: str, /) -> str: ...
def key_words(low: str, /) -> str: ...
def set_has_date(has_date: Callable[[str, int], bool], /) -> None: ...
def line_features(
    text: str, /
) -> (
    tuple[
        str,
        int,
        int,
        int,
        float,
        int,
        bool,
        bool,
        float,
        float,
        float,
        float,
        bool,
        bool,
        bool,
        int,
        int,
    ]
    | None
): ...
