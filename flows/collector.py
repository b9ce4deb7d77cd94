"""Python's cyclic garbage collector paused around a large import.

Importing Prefect makes ~100-300k objects that live as long as the process; with the collector
on, each full collection during the import walks every object made so far again (all the
process's, not only the import's): ~10-20% of the import's CPU (docs/speed.md).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No automatic collection within (for every thread: the collector is process-wide); the
    collector as it was after. What becomes garbage meanwhile waits for the next collection."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
