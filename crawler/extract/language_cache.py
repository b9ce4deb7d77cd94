"""py3langid's model kept uncompressed on disk, memory-mapped by every process that loads it.

The shipped model is an LZMA-compressed npz: ~0.45 s of CPU to decompress and unpack in every
run (the worker pool's forkserver loads it once per run, `crawler.run.warm_text`), and each
loading process then holds its own ~125 MB of tables (the float16 table, its float32 copy for
`crawler.extract.language`, the DFA). Here the first load writes the arrays once, as `.npy`
files, into a folder named after the sha256 of the model file; later loads map them read-only
(~10 ms), so the tables are the page cache's, shared by every process and run on the machine.

The folder is `$CORPUS_CACHE_DIR/langid-<digest>` (~100 MB). Without that variable: the
checkout's `.cache/` (git-ignored) when the package runs from one, so runs leave the user's
home alone (as `flows/prefect_env.py` keeps Prefect's state in the checkout); an installed
package uses `$XDG_CACHE_HOME/corpus`, else `~/.cache/corpus`. It is written under a
temporary name and renamed when complete, so a reader never sees half of one; a folder that
is missing, incomplete, damaged or of another format is ignored (the model is then read from
the package, as the library does), and `CORPUS_CACHE_DIR=` (empty) never writes one.

The values are the library's: the same DFA arrays and class priors, and the float16 table
stored as its exact float32 cast, which the library's own scoring gives the same floats with
(numpy casts float16 rows to float32 before the product; `tests/crawler/extract/
test_language.py` compares every score with py3langid's own).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

CACHE_ENV = "CORPUS_CACHE_DIR"
CHECKOUT = Path(__file__).resolve().parents[2]
FORMAT = 1  # bump when what is stored, or how, changes
_ARRAYS = ("ptc", "pc", "nextmove", "row", "out_feat")


def cache_root() -> Path | None:
    """Where cached models live; None when `CORPUS_CACHE_DIR` is set empty (no cache)."""
    given = os.environ.get(CACHE_ENV)
    if given is not None:
        return Path(given) if given else None
    if (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "crawler").is_dir():
        return CHECKOUT / ".cache"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "corpus"


def _folder(model_file: Path) -> Path | None:
    root = cache_root()
    if root is None:
        return None
    digest = hashlib.sha256(model_file.read_bytes()).hexdigest()
    return root / f"langid-{digest[:32]}"


def _manifest(arrays: dict[str, Any]) -> dict[str, Any]:
    shapes = {name: [str(arrays[name].dtype), list(arrays[name].shape)] for name in _ARRAYS}
    return {"format": FORMAT, "arrays": shapes}


def load_cached(model_file: Path) -> tuple[dict[str, Any], list[str]] | None:
    """The model's arrays (the large ones memory-mapped) and class names from the cache, or
    None if it holds no complete copy of this model file."""
    try:
        folder = _folder(model_file)
        if folder is None:
            return None
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in _ARRAYS}
        classes = json.loads((folder / "classes.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if manifest != _manifest(arrays) or not isinstance(classes, list):
        return None
    return arrays, [str(c) for c in classes]


def store(model_file: Path, arrays: dict[str, Any], classes: list[str]) -> None:
    """Keep the model's arrays in the cache (best effort: a cache that cannot be written is
    no cache; another process storing the same model at once is harmless)."""
    with contextlib.suppress(OSError, ValueError):
        folder = _folder(model_file)
        if folder is None or folder.exists():
            return
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
        try:
            for name in _ARRAYS:
                np.save(tmp / f"{name}.npy", np.ascontiguousarray(arrays[name]))
            (tmp / "classes.json").write_text(json.dumps(classes), "utf-8")
            (tmp / "manifest.json").write_text(json.dumps(_manifest(arrays)), "utf-8")
            os.rename(tmp, folder)  # complete, or not there at all
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
