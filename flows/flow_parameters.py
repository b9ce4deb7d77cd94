"""A flow run's parameters as Prefect stores them, without importing FastAPI for it.

Prefect's `Flow.serialize_parameters` passes each parameter through FastAPI's
`jsonable_encoder`, so the flow's process imports FastAPI's whole package (routing, params,
pydantic models: ~0.15 s of CPU, docs/speed.md) to create a flow run whose parameters (paths,
a dataset, a batch size) are JSON already. `serialize_plain` keeps such values as they are and
hands anything else to Prefect's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Serialize = Callable[[dict[str, Any]], dict[str, Any]]


def is_plain(value: Any) -> bool:
    """JSON as it is: None, str, int, float, bool, and lists and str-keyed dicts of those
    (`jsonable_encoder` returns these unchanged; a tuple, say, it would turn into a list)."""
    if value is None or type(value) in (str, int, float, bool):
        return True
    if type(value) is list:
        return all(is_plain(item) for item in value)
    if type(value) is dict:
        return all(type(key) is str and is_plain(item) for key, item in value.items())
    return False


def serialize_plain(serialize: Serialize) -> Serialize:
    """`serialize` (a flow's `serialize_parameters`) for parameters that are not all plain;
    plain ones are copied as they are."""

    def serialize_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
        if all(is_plain(value) for value in parameters.values()):
            return {key: _copy(value) for key, value in parameters.items()}
        return serialize(parameters)

    return serialize_parameters


def _copy(value: Any) -> Any:
    if type(value) is list:
        return [_copy(item) for item in value]
    if type(value) is dict:
        return {key: _copy(item) for key, item in value.items()}
    return value
