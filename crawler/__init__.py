"""corpus: scraped news pages -> a clean, deduplicated Parquet corpus (the library).

The public API, for a program that uses the library rather than the `corpus` command:

    from crawler import Settings, run_ingest, Dataset, RECORDS_SCHEMA
    summary = run_ingest(["seeds"], "data/corpus", Settings())
    records = Dataset("data/corpus").read("records", RECORDS_SCHEMA)

    from crawler import RawInput, process, Drop  # one document through the chain
    doc = process(RawInput("file:///a.txt", "text", text, len(text)), Settings())

Names are loaded on first use, so `import crawler.errors` stays light (no pyarrow or trafilatura)
and a worker process imports only what it needs. Everything else lives in the packages the README's
layout map lists; those paths may change, these names stay.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("corpus")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+unknown"

if TYPE_CHECKING:
    from crawler.config import Settings
    from crawler.config_file import load_config
    from crawler.errors import Drop
    from crawler.extract.chain import process
    from crawler.model import Document
    from crawler.readers.files import RawInput
    from crawler.record import RECORDS_SCHEMA
    from crawler.run.ingest import run_ingest
    from crawler.store.dataset import Dataset

# Where each public name lives, as dotted paths (so the re-layout script can rewrite them).
_PUBLIC = (
    "crawler.run.ingest.run_ingest",
    "crawler.extract.chain.process",
    "crawler.readers.files.RawInput",
    "crawler.config.Settings",
    "crawler.config_file.load_config",
    "crawler.model.Document",
    "crawler.record.RECORDS_SCHEMA",
    "crawler.store.dataset.Dataset",
    "crawler.errors.Drop",
)
_HOMES = {path.rpartition(".")[2]: path.rpartition(".")[0] for path in _PUBLIC}
__all__ = [
    "RECORDS_SCHEMA",
    "Dataset",
    "Document",
    "Drop",
    "RawInput",
    "Settings",
    "__version__",
    "load_config",
    "process",
    "run_ingest",
]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'crawler' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
