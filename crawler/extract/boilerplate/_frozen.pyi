"""Stub of `_frozen.c`; its Python reference is `[cls(*row) for row in rows]` (`frozen.py`)."""

from typing import Any

def instances(
    cls: type[Any], names: tuple[str, ...], rows: list[tuple[Any, ...]], /
) -> list[Any]: ...
