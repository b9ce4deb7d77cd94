"""The collector paused around an import (flows/collector.py)."""

from __future__ import annotations

import gc

import pytest

from flows import collector


def test_paused_turns_the_collector_off_within_and_back_on_after() -> None:
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_paused_leaves_a_collector_that_was_off_off() -> None:
    gc.disable()
    try:
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_paused_turns_the_collector_back_on_after_an_error() -> None:
    with pytest.raises(ImportError), collector.paused():
        raise ImportError("no such module")
    assert gc.isenabled()
