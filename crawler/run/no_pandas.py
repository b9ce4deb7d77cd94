"""Imported by the worker pool's forkserver (its preload list), so every worker it forks has
it: `import pandas` fails in the workers. Workers never use pandas, but pyarrow imports it the
first time it converts a Python list (`pa.array`, `Table.from_pylist`), only to ask whether the
list is a pandas object: about 0.3-1 s and 40 MB in every worker. With the import failing,
pyarrow takes pandas as absent and converts lists as it always does."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType


class _NoPandas:
    """A meta path finder that refuses pandas (and its submodules)."""

    @staticmethod
    def find_spec(
        name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError("pandas is not used in worker processes", name=name)
        return None


if "pandas" not in sys.modules:  # a process that already has it keeps it
    sys.meta_path.insert(0, _NoPandas())
