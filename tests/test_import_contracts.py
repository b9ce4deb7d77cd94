"""The custom import-linter contract of `make lint`: a submodule of an external package
(pyarrow.parquet) imported outside the allowed package is found, in each spelling."""

from __future__ import annotations

import sys
from pathlib import Path

import grimp
import pytest
from import_contracts import ForbiddenExternalSubmoduleContract
from importlinter.domain.imports import Module

MODULES = {
    "__init__.py": "",
    "plain.py": "import pyarrow.parquet as pq\n",
    "fromsub.py": "from pyarrow.parquet import ParquetFile\n",
    "fromtop.py": "from pyarrow import compute, parquet\n",
    "harmless.py": "import pyarrow as pa\nimport pyarrow.compute as pc\n",
    "store/__init__.py": "",
    "store/tables.py": "import pyarrow.parquet as pq\n",
}


def contract(sources: list[str], allowed: list[str]) -> ForbiddenExternalSubmoduleContract:
    """The contract as lint-imports configures it. Built without the constructor: its option
    check calls getattr on everything dir() lists, which fails once zope.interface (Twisted)
    is imported in the same process, as it is in a full test run."""
    made = ForbiddenExternalSubmoduleContract.__new__(ForbiddenExternalSubmoduleContract)
    made.name = "parquet"
    made.source_modules = [Module(s) for s in sources]  # type: ignore[attr-defined]
    made.allowed_modules = [Module(a) for a in allowed]  # type: ignore[attr-defined]
    made.forbidden_modules = ["pyarrow.parquet"]  # type: ignore[attr-defined]
    return made


@pytest.fixture
def graph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> grimp.ImportGraph:
    for name, text in MODULES.items():
        path = tmp_path / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        return grimp.build_graph("pkg", include_external_packages=True, cache_dir=None)
    finally:
        sys.modules.pop("pkg", None)


def test_each_spelling_outside_the_allowed_package_breaks_the_contract(
    graph: grimp.ImportGraph,
) -> None:
    check = contract(["pkg"], ["pkg.store"]).check(graph, verbose=False)
    assert not check.kept
    assert sorted(v[0] for v in check.metadata["violations"]) == [
        "pkg.fromsub",
        "pkg.fromtop",
        "pkg.plain",
    ]


def test_only_allowed_importers_keep_the_contract(graph: grimp.ImportGraph) -> None:
    check = contract(["pkg.store", "pkg.harmless"], ["pkg.store"]).check(graph, verbose=False)
    assert check.kept
