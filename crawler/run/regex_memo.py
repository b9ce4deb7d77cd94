"""The `regex` patterns a warm-up compiles, kept on disk so that the next run's forkserver
builds them without parsing them again.

dateparser (htmldate's last resort on the HTML path) compiles ~1,000 `regex` patterns when it
loads its 205 locales: ~2 s of CPU in the forkserver's HTML warm-up, nearly all of it the
`regex` library's pattern parser, which is pure Python. A compiled pattern is the arguments
the library hands its C constructor (`_regex.compile`): the pattern, its flags, the compiled
code as a list of ints and a few tables; they are what the library itself pickles a pattern as
(`Pattern._pickled_data`), and building a pattern from them is what unpickling one does. So
while `remembered_compiles()` is active, a string pattern compiled without named lists or the
LOCALE flag is built from the arguments its last compile gave (same pattern, flags and
`regex.DEFAULT_VERSION`), and every new one is recorded; when it ends, a file that was missing
or incomplete is written. The file is named after the versions of Python, `regex` and
dateparser and this module's format, in `crawler.extract.language_cache.cache_root()` (none:
`CORPUS_CACHE_DIR=` empty), written under a temporary name and renamed, with the sha256 of its
content first; a file that cannot be read, does not match its sha256 or is of another shape is
ignored (the patterns are then compiled as without it).
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from crawler.extract.language_cache import cache_root

FORMAT = 2  # bump when what is stored, or how, changes
Key = tuple[str, int, int]  # pattern, flags as given, regex.DEFAULT_VERSION


def _versions() -> str:
    found = []
    for name in ("regex", "dateparser"):
        try:
            found.append(f"{name}={version(name)}")
        except PackageNotFoundError:
            found.append(f"{name}=none")
    return f"{FORMAT};{sys.version};{';'.join(found)}"


def memo_file() -> Path | None:
    """Where the patterns are kept (None: no cache)."""
    root = cache_root()
    if root is None:
        return None
    digest = hashlib.sha256(_versions().encode()).hexdigest()[:32]
    return root / f"regex-{digest}.marshal"


def _load(path: Path | None) -> dict[Key, tuple[Any, ...]]:
    if path is None:
        return {}
    try:
        raw = path.read_bytes()
        if hashlib.sha256(raw[32:]).digest() != raw[:32]:  # damaged: compiled over
            return {}
        stored = marshal.loads(raw[32:])
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    if not isinstance(stored, dict):
        return {}
    return {
        k: v
        for k, v in stored.items()
        if isinstance(k, tuple) and len(k) == 3 and isinstance(k[0], str) and isinstance(v, tuple)
    }


def _store(path: Path, patterns: dict[Key, tuple[Any, ...]]) -> None:
    """Best effort: a memo that cannot be written is no memo."""
    with contextlib.suppress(OSError, ValueError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
        try:
            payload = marshal.dumps(patterns)
            with os.fdopen(fd, "wb") as out:
                out.write(hashlib.sha256(payload).digest() + payload)
            os.replace(tmp, path)  # complete, or not there at all
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


@contextlib.contextmanager
def remembered_compiles(path: Path | None = None) -> Iterator[dict[str, int]]:
    """While active, `regex` builds the patterns the memo file holds from their stored
    arguments instead of parsing them; yields counts (`built`, `compiled`) for tests."""
    try:
        import regex
        from regex import _main, _regex
    except ImportError:
        yield {"built": 0, "compiled": 0}
        return
    original: Callable[..., Any] | None = getattr(_main, "_compile", None)
    if original is None or not hasattr(_regex, "compile"):  # another library layout: as without
        yield {"built": 0, "compiled": 0}
        return
    path = path if path is not None else memo_file()
    stored = _load(path)
    locale_flag, debug_flag = int(regex.LOCALE), int(regex.DEBUG)
    counts = {"built": 0, "compiled": 0}
    new: dict[Key, tuple[Any, ...]] = {}
    built: dict[Key, Any] = {}

    def compile_remembered(
        pattern: Any, flags: Any, ignore_unused: Any, kwargs: Any, cache_it: Any
    ) -> Any:
        if type(pattern) is not str or kwargs or not isinstance(flags, int) or flags & debug_flag:
            return original(pattern, flags, ignore_unused, kwargs, cache_it)
        key = (pattern, int(flags), int(regex.DEFAULT_VERSION))  # as `_compile` reads it
        if key in built:
            return built[key]
        arguments = stored.get(key)
        if arguments is not None:
            try:
                built[key] = _regex.compile(*arguments)
            except (TypeError, ValueError, RuntimeError):  # an entry the library refuses
                del stored[key]
            else:
                counts["built"] += 1
                return built[key]
        compiled = original(pattern, flags, ignore_unused, kwargs, cache_it)
        counts["compiled"] += 1
        data = getattr(compiled, "_pickled_data", None)
        if (
            isinstance(data, tuple)
            and len(data) > 5
            and not compiled.flags & locale_flag
            and not data[5]  # no LOCALE, no named lists
        ):
            new[key] = stored[key] = data
        return compiled

    _main._compile = compile_remembered
    try:
        yield counts
    finally:
        _main._compile = original
        if new and path is not None:
            _store(path, stored)
