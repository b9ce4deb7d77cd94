"""Stub of the line model's trees in C (`_forest.c`); the numpy reference is in `learned.py`."""

from typing import Any

def leaf_values(
    x: Any, n_cols: int, cols: Any, thr: Any, leaf: Any, depth: int, out: Any, /
) -> None: ...
def rows(
    x: Any,
    n_cols: int,
    f: Any,
    e: Any,
    freq: Any,
    units: Any,
    total: float,
    start: int,
    end: int,
    layout: tuple[int, ...],
    run_units: Any,
    /,
) -> None: ...
def doubles(values: list[Any], out: Any, /) -> None: ...
