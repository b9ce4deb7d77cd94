"""A flow run's parameters stored as Prefect stores them, without FastAPI (flows/flow_parameters.py)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from flows.flow_parameters import is_plain, serialize_plain

PLAIN: list[dict[str, Any]] = [
    {"paths": ["a", "b/c"], "out": None, "batch_size": 64, "config": "corpus.toml"},
    {"worker_processes": False, "ratio": 0.5, "nested": {"k": [1, 2.5, None, True]}},
    {},
]


@pytest.mark.parametrize("parameters", PLAIN)
def test_plain_parameters_are_stored_as_prefects_own_would_store_them(
    parameters: dict[str, Any],
) -> None:
    from prefect import flow

    @flow
    def reference(**kwargs: Any) -> None:
        return None

    stored = serialize_plain(lambda p: pytest.fail("not plain?"))(parameters)
    assert stored == reference.serialize_parameters(parameters)
    assert stored is not parameters


@pytest.mark.parametrize("value", [("a", "b"), {1: "x"}, b"bytes", {"k": object()}, [{"a": (1,)}]])
def test_anything_else_goes_through_prefects_own(value: Any) -> None:
    assert not is_plain(value)
    calls: list[dict[str, Any]] = []

    def prefects_own(parameters: dict[str, Any]) -> dict[str, Any]:
        calls.append(parameters)
        return {"done": True}

    assert serialize_plain(prefects_own)({"x": value}) == {"done": True}
    assert calls == [{"x": value}]


def test_the_ingest_flow_creates_its_run_without_importing_fastapi() -> None:
    code = (
        "import sys; from flows.ingest import ingest_flow; "
        "p = ingest_flow.serialize_parameters({'paths': ['x'], 'out': None}); "
        "print(p, 'fastapi' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.split() == ["{'paths':", "['x'],", "'out':", "None}", "False"]
