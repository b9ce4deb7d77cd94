"""The dump cleaner's per-line modules compiled with mypyc, used only when they match the source.

`make setup` runs `native.main(["build"])` (after `uv sync`, again when a source of this
package changes): the mypyc of the locked
mypy (a dev dependency) turns `MODULES` into C extension modules, compiled with the machine's C
compiler (no toolchain is downloaded), into `_compiled/` beside this file (git-ignored), with a
manifest of the sha256 of every compiled source.

`activate()` (called by the package's `__init__` before it imports them) puts the compiled
modules first on the import path only if the manifest's Python and every source hash match the
`.py` files as they are now: an edited module is never shadowed by a stale build (the whole
group then runs as plain Python). The same when the build is missing (no compiler, Python >=
3.12 without distutils, a wheel install), when `CORPUS_PURE_PYTHON=1` is set, or when loading a
compiled module fails. The output is the same either way (`bench/clean_identity.py`).
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

PACKAGE = __package__ or __name__.rpartition(".")[0]
MODULES = (
    "stats",
    "features",
    "lines",
    "chrome",
    "blocks",
    "tail",
    "headline",
    "headline_vote",
    "cleaner",
)
"""Compiled together (one mypyc group: they call each other natively; `features.LineFeatures`
is a native class, its fields read as C struct fields)."""
C_MODULES = ("_linescan", "_forest", "_frozen")
"""Hand-written C extensions built beside them (`_linescan.c`: the per-line scanners, which
`lines.py` uses when it is importable, else its Python reference; `_forest.c`: the line
model's trees, likewise for `learned.py`; `_frozen.c`: frozen dataclass instances made many
at once, likewise for `frozen.py`)."""
OTHER_C_MODULES = (
    "crawler.extract._langscan",
    "crawler.extract._shingles",
    "crawler.dedup._sorted",
)
"""C extensions of other packages built with them, by full name, loaded with `c_module`
(`crawler/extract/_langscan.c`: language id's byte walk, else `language.py`'s numpy walk;
`crawler/extract/_shingles.c`: shingle hashes and MinHash signatures, else `minhash.py`'s numpy;
`crawler/dedup/_sorted.c`: what two sorted shingle sets share, likewise)."""
C_HEADERS = ("crawler/c_buffer.h",)
"""Headers the C extensions include, by path from the checkout (a build is stale when one
changes, as when a source does)."""
HERE = Path(__file__).resolve().parent
BUILD_DIR = HERE / "_compiled"
MANIFEST = "manifest.json"
PURE_ENV = "CORPUS_PURE_PYTHON"

ACTIVE = False
"""Whether this process runs the compiled modules (set by `activate`)."""


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def source_hashes(package_dir: Path = HERE, modules: Sequence[str] = MODULES) -> dict[str, str]:
    """sha256 of each compiled module's source as it is now (the C modules' by file name)."""
    hashes = {m: _digest(package_dir / f"{m}.py") for m in modules}
    hashes.update({f"{c}.c": _digest(package_dir / f"{c}.c") for c in C_MODULES})
    hashes.update({f"{c}.c": _digest(_source_of(c)) for c in OTHER_C_MODULES})
    hashes.update({h: _digest(HERE.parents[2] / h) for h in C_HEADERS})
    return hashes


def _source_of(module: str) -> Path:
    return HERE.parents[2].joinpath(*module.split(".")).with_suffix(".c")


def _python_tag() -> str:
    return f"{sys.implementation.cache_tag}-{sys.platform}-{sys.maxsize.bit_length() + 1}"


class _Finder(importlib.abc.MetaPathFinder):
    """Finds exactly the compiled modules (and mypyc's shared runtime module) in the build."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        file = self.files.get(fullname)
        if file is None:
            return None
        loader = importlib.machinery.ExtensionFileLoader(fullname, str(file))
        return importlib.util.spec_from_file_location(fullname, file, loader=loader)


def usable_build(build_dir: Path = BUILD_DIR, package_dir: Path = HERE) -> dict[str, Path] | None:
    """Module name -> extension file of a build that matches this Python and the sources
    exactly, else None (missing, incomplete, for another Python, or any source edited)."""
    try:
        manifest = json.loads((build_dir / MANIFEST).read_text("utf-8"))
        if manifest.get("python") != _python_tag():
            return None
        wanted = manifest["sources"]
        if source_hashes(package_dir) != wanted:
            return None
        files = {name: build_dir / rel for name, rel in manifest["files"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not all(f.is_file() for f in files.values()):
        return None
    return files


def activate(build_dir: Path = BUILD_DIR) -> bool:
    """Load the compiled modules if a matching build exists; True when they are in use."""
    global ACTIVE
    names = [f"{PACKAGE}.{m}" for m in MODULES]
    if os.environ.get(PURE_ENV, "") not in ("", "0") or any(n in sys.modules for n in names):
        return ACTIVE
    files = usable_build(build_dir)
    if files is None:
        return False
    finder = _Finder(files)
    sys.meta_path.insert(0, finder)
    try:
        for name in [*names, *(f"{PACKAGE}.{c}" for c in C_MODULES)]:
            importlib.import_module(name)
    except ImportError:  # a damaged build: forget what it loaded, run the sources
        for name in files:
            sys.modules.pop(name, None)
        return False
    finally:
        sys.meta_path.remove(finder)
    ACTIVE = True
    return True


def c_module(name: str, build_dir: Path = BUILD_DIR) -> ModuleType | None:
    """The C extension `name` of the build (one of `OTHER_C_MODULES`), loaded when the build
    matches the sources and `CORPUS_PURE_PYTHON` is not set; else None (the caller then runs
    its Python reference)."""
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        return None
    if name in sys.modules:
        return sys.modules[name]
    files = usable_build(build_dir)
    if files is None or name not in files:
        return None
    try:
        spec = _Finder(files).find_spec(name)
        if spec is None or spec.loader is None:
            return None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except ImportError:  # a damaged build
        return None
    sys.modules[name] = module
    return module


def build(build_dir: Path = BUILD_DIR) -> str:
    """Compile `MODULES` with mypyc into `build_dir` (replaced only when the build succeeds);
    returns what happened, in one line."""
    try:
        from distutils.core import setup  # Python < 3.12 (mypyc's own fallback to setuptools)
        from distutils.extension import Extension

        import mypyc.build
    except ImportError as e:
        return f"not compiled ({e}): the cleaner runs as plain Python"
    root = HERE.parents[2]  # the directory holding the top-level package
    hashes = source_hashes()  # taken before compiling: an edit meanwhile makes the build unused
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="native-", dir=HERE) as tmp:
        out, temp = Path(tmp) / "out", Path(tmp) / "temp"
        cwd = os.getcwd()
        os.chdir(root)
        try:
            rel = [str(Path(*PACKAGE.split("."), f"{m}.py")) for m in MODULES]
            # mypycify patches setuptools' build_ext when it first runs; distutils needs no
            # patch, and setuptools is not in the lock
            mypyc.build._setuptools_patch_applied = True
            extensions = mypyc.build.mypycify(rel, opt_level="3", target_dir=str(temp / "c"))
            extensions += [
                Extension(
                    f"{PACKAGE}.{c}",
                    [str(Path(*PACKAGE.split("."), f"{c}.c"))],
                    extra_compile_args=["-O2"],
                )
                for c in C_MODULES
            ]
            extensions += [
                Extension(c, [str(_source_of(c).relative_to(root))], extra_compile_args=["-O2"])
                for c in OTHER_C_MODULES
            ]
            setup(
                name="corpus-native",
                ext_modules=extensions,
                script_args=["-q", "build_ext", "--build-lib", str(out), "--build-temp", str(temp)],
            )
        except (SystemExit, Exception) as e:  # a compile error must not fail the setup
            return f"not compiled ({type(e).__name__}: {e}): the cleaner runs as plain Python"
        finally:
            os.chdir(cwd)
        files = {}
        for so in out.rglob("*"):
            if so.is_file() and so.suffix in (".so", ".pyd"):
                rel_so = so.relative_to(out)
                files[".".join((*rel_so.parts[:-1], rel_so.name.split(".")[0]))] = str(rel_so)
        manifest = {"python": _python_tag(), "sources": hashes, "files": files}
        (out / MANIFEST).write_text(json.dumps(manifest, indent=1), "utf-8")
        shutil.rmtree(build_dir, ignore_errors=True)
        out.rename(build_dir)
    took = time.monotonic() - started
    in_c = len(C_MODULES) + len(OTHER_C_MODULES)
    return f"compiled {len(MODULES)} modules with mypyc and {in_c} in C in {took:.0f} s"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["build"]:
        print(f"cleaner: {build()}")
        return 0
    if args == ["status"]:
        state = "compiled" if ACTIVE else "plain Python"
        print(f"cleaner: {state} ({'matching build' if usable_build() else 'no matching build'})")
        return 0
    print("usage: native.main(['build' | 'status'])", file=sys.stderr)
    return 2
