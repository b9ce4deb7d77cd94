"""Inputs, the unit of work of a run: what a reader yields for the clean stage.

An `Input` is one document to clean: where it came from, its size and sha256 (computed once,
by the reader, when the scan meets it), and how to load it (a picklable callable, so batches
of inputs travel to worker processes). A reader turns one discovered file into inputs: a page
dump or an HTML file is one; a web archive is many (`crawler.readers.warc`; a new way in is
one module with a `Reader` and one line in `READERS`). Crawled pages become inputs in the
crawler's item pipeline.

(In the coming layout this belongs in `crawler/readers/`.)
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol

from crawler.config import Settings
from crawler.readers.files import RawInput, file_uri, input_kind, read_input
from crawler.readers.warc import WarcReader


@dataclass(frozen=True)
class Input:
    """One input about to be cleaned: its identity, and how to read it (`load` may raise Drop).

    `key` names it between the stages of a run (a file's path; for an archive, its path and
    the record's place in it); `input_hash` is "" when its bytes cannot be read (it is then
    cleaned anyway, and rejected with the reason). `kind_hint` ("text", "html" or None) is
    what its name says: page dumps teach the cleaner which lines recur (line statistics);
    `modified` (a Unix time, 0 if unknown) picks the most recent known ones."""

    source_uri: str
    size_bytes: int | None
    input_hash: str
    load: Callable[[], RawInput]
    key: str = ""
    kind_hint: str | None = None
    modified: float = 0.0


class Reader(Protocol):
    """A way in: which files it reads, and the inputs of one such file."""

    def accepts(self, path: Path) -> bool:
        """Whether a file found in an input folder is for this reader (from its name)."""
        ...

    def inputs(self, path: Path, settings: Settings) -> Iterator[Input]:
        """The inputs of one file, each hashed; unreadable ones still come (as inputs whose
        `load` raises Drop), so every file given is accounted for."""
        ...

    def reopen(self, key: str, settings: Settings) -> Input | None:
        """The input named `key` again (a batch split up after a worker died), or None when
        the key is not one of this reader's."""
        ...


def input_hash(path: Path, status: os.stat_result | None = None) -> str | None:
    """sha256 of a file's bytes (None if it cannot be read, or is not a regular file: reading
    a FIFO or a device could block forever or never end). `status`: the file's `stat`, when
    the caller has just taken it."""
    try:
        status = status or path.stat()
        if not stat.S_ISREG(status.st_mode):
            return None
        fd = os.open(path, os.O_RDONLY)
        try:
            digest = hashlib.sha256()
            # reads of the size the file has (a page dump: one), up to 1 MiB each: file_digest
            # allocated a 256 KiB buffer for every file (a third of the hash's time)
            size = min(max(status.st_size + 1, 1 << 16), 1 << 20)
            while chunk := os.read(fd, size):
                digest.update(chunk)
        finally:
            os.close(fd)
        return digest.hexdigest()
    except OSError:
        return None


class FileReader:
    """Page dumps (.txt) and HTML files (.html, .htm, .html.gz): one input per file."""

    def accepts(self, path: Path) -> bool:
        return input_kind(path) is not None

    def inputs(self, path: Path, settings: Settings) -> Iterator[Input]:
        yield self.file_input(path, settings)

    def reopen(self, key: str, settings: Settings) -> Input | None:
        return self.file_input(Path(key), settings)

    @staticmethod
    def file_input(path: Path, settings: Settings) -> Input:
        status: os.stat_result | None
        try:
            status = path.stat()
            size: int | None = status.st_size
            modified = status.st_mtime
        except OSError:  # gone since discovery: read_input rejects it
            status, size, modified = None, None, 0.0
        uri = file_uri(path)
        return Input(
            source_uri=uri,
            size_bytes=size,
            input_hash=(input_hash(path, status) if status is not None else None) or "",
            load=partial(read_input, path, settings.max_input_bytes, uri),
            key=str(path),
            kind_hint=input_kind(path),
            modified=modified,
        )


# The readers, first match wins; the last one takes what no other does (a file named
# explicitly is read whatever its suffix, and rejected with the reason if unusable).
READERS: list[Reader] = [WarcReader(), FileReader()]


def is_input(path: Path) -> bool:
    """Whether some reader takes this file when it is found in an input folder."""
    return any(reader.accepts(path) for reader in READERS)


def _reader_for(path: Path) -> Reader:
    return next((r for r in READERS if r.accepts(path)), READERS[-1])


def read_inputs(path: Path, settings: Settings) -> Iterator[Input]:
    """The inputs of one discovered file, by the reader that takes it."""
    return _reader_for(path).inputs(path, settings)


def reopen_inputs(keys: Iterable[str], settings: Settings) -> Iterator[Input]:
    """The inputs named by `keys` (as `Input.key`), hashed again."""
    for key in keys:
        found = next(
            (i for r in READERS if (i := r.reopen(key, settings)) is not None),
            None,
        )
        yield found if found is not None else FileReader.file_input(Path(key), settings)
