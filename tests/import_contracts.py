"""An import-linter contract type for `make lint` (configured in pyproject.toml).

import-linter keeps only the top level of an external package in its graph, so its `forbidden`
contract can forbid `pyarrow` but not `pyarrow.parquet`. This contract forbids a submodule of an
external package by reading the import lines of the modules that import its top level.
"""

from __future__ import annotations

import re
from typing import Any

from importlinter import Contract, ContractCheck, fields, output


class ForbiddenExternalSubmoduleContract(Contract):
    """`source_modules` (and their descendants), except `allowed_modules`, must not import
    any of `forbidden_modules` (dotted names inside external packages, e.g. pyarrow.parquet)."""

    type_name = "forbidden_external_submodule"

    source_modules = fields.ListField(subfield=fields.ModuleField())
    forbidden_modules = fields.ListField(subfield=fields.StringField())
    allowed_modules = fields.ListField(subfield=fields.ModuleField(), required=False)

    def check(self, graph: Any, verbose: bool) -> ContractCheck:
        allowed = [m.name for m in self.allowed_modules or []]  # type: ignore[attr-defined]
        importers: set[str] = set()
        for source in self.source_modules:  # type: ignore[attr-defined]
            importers |= {source.name} | graph.find_descendants(source.name)
        violations = []
        for forbidden in self.forbidden_modules:  # type: ignore[attr-defined]
            top = forbidden.split(".")[0]
            parent, _, leaf = forbidden.rpartition(".")
            line = re.compile(
                rf"^\s*(import\s+{re.escape(forbidden)}\b|from\s+{re.escape(forbidden)}\b"
                rf"|from\s+{re.escape(parent)}\s+import\s+.*\b{re.escape(leaf)}\b)"
            )
            for importer in sorted(importers):
                if any(importer == a or importer.startswith(a + ".") for a in allowed):
                    continue
                if top not in graph.find_modules_directly_imported_by(importer):
                    continue
                for detail in graph.get_import_details(importer=importer, imported=top):
                    if line.match(detail["line_contents"]):
                        violations.append((importer, detail["line_number"], forbidden))
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, line_number, forbidden in check.metadata["violations"]:
            output.print_error(f"{importer} (l.{line_number}) imports {forbidden}")
