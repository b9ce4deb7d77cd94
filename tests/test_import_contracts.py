"""The custom import-linter contract of `make lint`: a submodule of an external package
(pyarrow.parquet) imported outside the allowed package is found, in each spelling."""

from __future__ import annotations

import sys
from pathlib import Path

import grimp
import pytest
from import_contracts import ForbiddenExternalSubmoduleContract

MODULES = {
    "__init__.py": "",
    "plain.py": "import pyarrow.parquet as pq\n",
    "fromsub.py": "from pyarrow.parquet import ParquetFile\n",
    "fromtop.py": "from pyarrow import compute, parquet\n",
    "harmless.py": "import pyarrow as pa\nimport pyarrow.compute as pc\n",
    "store/__init__.py": "",
    "store/tables.py": "import pyarrow.parquet as pq\n",
}


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
    contract = ForbiddenExternalSubmoduleContract(
        name="parquet",
        session_options={},
        contract_options={
            "source_modules": ["pkg"],
            "allowed_modules": ["pkg.store"],
            "forbidden_modules": ["pyarrow.parquet"],
        },
    )
    check = contract.check(graph, verbose=False)
    assert not check.kept
    assert sorted(v[0] for v in check.metadata["violations"]) == [
        "pkg.fromsub",
        "pkg.fromtop",
        "pkg.plain",
    ]


def test_only_allowed_importers_keep_the_contract(graph: grimp.ImportGraph) -> None:
    contract = ForbiddenExternalSubmoduleContract(
        name="parquet",
        session_options={},
        contract_options={
            "source_modules": ["pkg.store", "pkg.harmless"],
            "forbidden_modules": ["pyarrow.parquet"],
            "allowed_modules": ["pkg.store"],
        },
    )
    assert contract.check(graph, verbose=False).kept
