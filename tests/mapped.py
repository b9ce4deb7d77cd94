"""Picklable functions for tests of work shared with worker processes (`map_in_order`)."""

from __future__ import annotations

import os
import time


def pid_after(item: tuple[int, float]) -> tuple[int, int]:
    """(the item's number, the pid of the process that did it), after sleeping its seconds."""
    number, seconds = item
    time.sleep(seconds)
    return number, os.getpid()


def fails_on_three(item: tuple[int, float]) -> tuple[int, int]:
    if item[0] == 3:
        raise ValueError("item 3")
    return pid_after(item)
