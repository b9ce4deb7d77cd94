"""Files and directories -> raw inputs: discovery (symbolic links kept inside the folder), size
limits, decompression, the kind of input (from its content). Decoding and control characters:
`crawler.readers.decode` (the one policy for files and crawled pages)."""

from __future__ import annotations

import errno
import os
import stat
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from crawler.errors import ConfigError, Drop
from crawler.model import Capture, Removal
from crawler.readers.decode import declared_charset, decode_bytes, strip_controls
from crawler.readers.htmlscan import looks_like_html
from crawler.reasons import Rejected

TEXT_SUFFIXES = (".txt",)
HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")


@dataclass(frozen=True)
class RawInput:
    """One input, decoded: where it came from, what kind, and its text."""

    source_uri: str
    kind: str  # the format: "text" (a page dump) or "html"
    text: str
    size_bytes: int
    crawled: bool = False  # fetched by the crawler rather than read from a file
    removed: tuple[Removal, ...] = ()  # taken out while reading (control characters)
    capture: Capture | None = None  # where it was fetched and archived (web archives, crawls)

    @property
    def source_kind(self) -> str:
        """The record's `source_kind`: "text", "html" or "crawl"."""
        return "crawl" if self.crawled else self.kind


def input_kind(path: Path) -> str | None:
    """'text', 'html' or None (not an input we read), from the file name: which files are
    inputs, and a hint only for what they are (`read_input` sniffs the content)."""
    name = path.name.lower()
    if name.endswith(TEXT_SUFFIXES):
        return "text"
    if name.endswith(HTML_SUFFIXES):
        return "html"
    return None


def discover(
    paths: Iterable[str | Path],
    *,
    follow_symlinks: bool = False,
    accepts: Callable[[Path], bool] | None = None,
) -> list[Path]:
    """Every readable input under the given files and directories (recursive), sorted, unique.

    A path that does not exist is a ConfigError: the caller asked for something that is not there.
    Files given explicitly are taken whatever their suffix (they are rejected later if unreadable);
    inside directories only the files `accepts` takes (default: known suffixes, `input_kind`)
    are, and hidden files and folders are skipped.

    Symbolic links inside a given directory are followed only while they stay inside it (a
    link to another file of the folder is read once, as that file). A link leading out of it
    (to a file or a folder) is returned as the link itself, which `read_input` rejects with
    the reason `symlink`, unless `follow_symlinks` allows every link (a folder reached twice,
    by a loop or two links, is walked once). Paths given explicitly are always followed: they
    are the operator's choice.
    """
    found: set[Path] = set()
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise ConfigError(f"no such file or directory: {given}")
        if path.is_file():
            found.add(path.resolve())
            continue
        root = path.resolve()
        walked = {root}
        for current, dirs, files in os.walk(root, followlinks=follow_symlinks):
            folder = Path(current)
            # a file that is not a link is its folder's real path plus its name: one
            # realpath per folder, not one per file (100k files: 5 s of a scan)
            real_folder = os.path.realpath(current)
            kept = []
            for name in dirs:
                child = folder / name
                if name.startswith("."):
                    continue
                if not child.is_symlink():
                    kept.append(name)
                    continue
                real = child.resolve()
                if follow_symlinks and real not in walked and real.is_dir():
                    walked.add(real)
                    kept.append(name)
                elif not follow_symlinks and not real.is_relative_to(root):
                    found.add(child)  # rejected as `symlink` (inside: its files are walked)
            dirs[:] = kept
            for name in files:
                child = folder / name
                if name.startswith(".") or not (accepts or _has_input_suffix)(child):
                    continue
                if not os.path.islink(child):
                    found.add(Path(real_folder, name))
                    continue
                real = child.resolve()
                inside = follow_symlinks or real.is_relative_to(root)
                found.add(real if inside else child)
    return sorted(found)


def _has_input_suffix(path: Path) -> bool:
    return input_kind(path) is not None


_REAL_FOLDERS: ContextVar[dict[str, str] | None] = ContextVar("real_folders", default=None)


@contextmanager
def folders_resolved_once() -> Iterator[None]:
    """Inside it (in this thread or task), `file_uri` resolves each folder once, not once per
    file: for a scan, whose folders hold many files and do not move meanwhile."""
    token = _REAL_FOLDERS.set({})
    try:
        yield
    finally:
        _REAL_FOLDERS.reset(token)


def file_uri(path: Path) -> str:
    """The `source_uri` of a file: its absolute file:// URI (a symbolic link's own, not its
    target's: a link that is not followed is reported under its own name)."""
    # the folder resolved, the name kept: a file that is not a link resolves to just that
    # (split as strings: a Path of the absolute path, for its parent and name, took half the
    # time of a scan's URI)
    folder, name = os.path.split(os.path.abspath(path))
    real_folders = _REAL_FOLDERS.get()
    if real_folders is None:
        return Path(os.path.realpath(folder), name).as_uri()
    real = real_folders.get(folder)
    if real is None:
        real = real_folders[folder] = os.path.realpath(folder)
    return Path(real, name).as_uri()


def read_input(path: Path, max_bytes: int, uri: str | None = None) -> RawInput:
    """Read and decode one file. Raises Drop with a reason for anything that is not usable text.
    `uri`: its `file_uri`, when the caller has it (the scan did: it is not resolved again)."""
    uri = uri or file_uri(path)
    kind = input_kind(path)
    # `discover` resolves the links it may follow: this one it may not. Opening with
    # O_NOFOLLOW finds a link without an lstat of its own (one per input, in the scan's
    # learning and again in the clean stage); without O_NOFOLLOW, or when the name alone
    # rejects the file, it is looked for first.
    if (kind is None or not _NOFOLLOW) and path.is_symlink():
        raise _symlink_drop(path)
    if kind is None:
        raise Drop(Rejected.UNSUPPORTED, f"not a .txt/.html/.htm/.html.gz file: {path.name}")
    try:
        data, size = _read_regular(path, max_bytes)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a link (O_NOFOLLOW)
            raise _symlink_drop(path) from exc
        raise Drop(Rejected.READ_ERROR, f"{type(exc).__name__}: {exc.strerror or exc}") from exc
    if path.name.lower().endswith(".gz"):
        data = gunzip_limited(data, max_bytes, whole=True)
    text = decode_bytes(data, html=kind == "html")
    # the content decides, the name is a hint: HTML saved as .txt, a page dump saved as .html
    sniffed = "html" if looks_like_html(text, hint_html=kind == "html") else "text"
    if sniffed == "html" and kind == "text" and declared_charset(data):
        text = decode_bytes(data, html=True)  # its <meta charset> counts now
    kind = sniffed
    if kind == "text" and "\r" in text:  # the cleaner reads lines; old Mac files end them in CR
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text, removed = strip_controls(text)
    return RawInput(uri, kind, text, size, removed=tuple(removed))


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _symlink_drop(path: Path) -> Drop:
    """The reject of a symbolic link, naming its target (if it is still a link to read)."""
    try:
        target = os.readlink(path)
    except OSError:  # swapped back, or a loop of folder links on the way
        return Drop(Rejected.SYMLINK, f"a symbolic link: {_NOT_FOLLOWED}")
    return Drop(Rejected.SYMLINK, f"symbolic link to {target}: {_NOT_FOLLOWED}")


_NOT_FOLLOWED = (
    "links out of the input folder are not followed (`corpus ingest --follow-symlinks`, or "
    "follow_symlinks = true in [settings], allows them)"
)


def _read_regular(path: Path, max_bytes: int) -> tuple[bytes, int]:
    """The bytes and size of a regular file, opened without following a link (O_NOFOLLOW) and
    without blocking on a FIFO (O_NONBLOCK); Drop for anything else or anything too large."""
    flags = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):  # a FIFO or device could block or never end
            raise Drop(Rejected.UNSUPPORTED, f"not a regular file: {path.name}")
        if status.st_size > max_bytes:
            raise Drop(Rejected.TOO_LARGE, f"{status.st_size} bytes > limit {max_bytes}")
        data = _read_to_end(fd, max_bytes + 1, status.st_size + 1)
    finally:
        os.close(fd)
    if len(data) > max_bytes:  # grew since it was measured
        raise Drop(Rejected.TOO_LARGE, f"more than {max_bytes} bytes > limit {max_bytes}")
    return data, status.st_size


def _read_to_end(fd: int, limit: int, expected: int) -> bytes:
    """Up to `limit` bytes of an open file, to its end, asked for in reads of the size it is
    expected to have (a buffered `read(limit)` allocates `limit` bytes for every file)."""
    chunks = []
    while limit > 0 and (chunk := os.read(fd, min(limit, max(expected, 1 << 16)))):
        chunks.append(chunk)
        limit -= len(chunk)
    return b"".join(chunks)


def gunzip_limited(data: bytes, max_bytes: int, *, whole: bool = False) -> bytes:
    """Decompress gzip data, refusing to inflate past max_bytes (gzip bombs). With `whole`, a
    stream cut short (a truncated file) is refused too, rather than read as far as it goes."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise Drop(Rejected.BINARY, f"corrupt gzip data: {exc}") from exc
    if len(out) > max_bytes or inflater.unconsumed_tail:
        raise Drop(Rejected.TOO_LARGE, f"gzip inflates past limit {max_bytes} bytes")
    if whole and not inflater.eof:
        raise Drop(Rejected.BINARY, "truncated gzip data: the file ends inside the stream")
    return out
