"""Frozen dataclass instances made many at once (a `Line` per line, a `Removal` per removed
line): `instances(cls, rows)` is `[cls(*row) for row in rows]`.

A frozen dataclass's generated `__init__` sets each field through `object.__setattr__`, which
interpreted code pays ~1 us a field for (~9% of the cleaner's instructions). With the compiled
build, `_frozen.instances` (C) does the same steps, `cls.__new__(cls)` then
`object.__setattr__`'s own function per field in order, for a class whose `__init__` does
nothing else: a frozen dataclass with no `__post_init__`, no init-only or `init=False` fields
(`_plain_fields` checks it once per class; any other class takes the plain path).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

_T = TypeVar("_T")

_c_instances: Callable[[type[Any], tuple[str, ...], list[tuple[Any, ...]]], list[Any]] | None
_c_instances = None
try:  # the C version, loaded only with the matching compiled build (native.activate)
    from crawler.extract.boilerplate import _frozen

    _c_instances = _frozen.instances
except ImportError:
    pass

_FIELDS: dict[type[Any], tuple[str, ...] | None] = {}


def _plain_fields(cls: type[Any]) -> tuple[str, ...] | None:
    """The init fields of `cls` in order when its `__init__` only sets them one by one
    through `object.__setattr__` (a frozen dataclass without `__post_init__` or init-only
    pseudo-fields, every field an init field), else None."""
    if cls in _FIELDS:
        return _FIELDS[cls]
    names: tuple[str, ...] | None = None
    params = getattr(cls, "__dataclass_params__", None)
    if dataclasses.is_dataclass(cls) and params is not None and params.frozen:
        fields = tuple(f.name for f in dataclasses.fields(cls))
        # the generated __init__ takes exactly the fields (no init-only pseudo-field, none
        # left out with init=False)
        takes = tuple(inspect.signature(cls.__init__).parameters)[1:]
        if takes == fields and not hasattr(cls, "__post_init__"):
            names = fields
    _FIELDS[cls] = names
    return names


def instances(cls: type[_T], rows: Sequence[tuple[Any, ...]]) -> list[_T]:
    """`[cls(*row) for row in rows]`, each row a value of every field in order."""
    names = _plain_fields(cls) if _c_instances is not None else None
    if names is None or _c_instances is None:
        return [cls(*row) for row in rows]
    return _c_instances(cls, names, list(rows))
