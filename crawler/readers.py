"""Files and directories -> raw inputs: discovery, size limits, decompression, decoding."""

from __future__ import annotations

import codecs
import contextlib
import os
import re
import stat
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from crawler.errors import ConfigError, Drop
from crawler.reasons import Rejected

TEXT_SUFFIXES = (".txt",)
HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)""", re.IGNORECASE)
# browsers read these labels as windows-1252 (WHATWG encoding standard)
_AS_CP1252 = {"ascii", "us-ascii", "iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1"}
_BINARY_MAGIC = (
    b"\x89PNG",
    b"%PDF",
    b"PK\x03\x04",
    b"\xff\xd8\xff",
    b"GIF8",
    b"\x7fELF",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ",
    b"RIFF",
    b"OggS",
    b"\x00\x00\x01\x00",
)


@dataclass(frozen=True)
class RawInput:
    """One input, decoded: where it came from, what kind, and its text."""

    source_uri: str
    kind: str  # the format: "text" (a page dump) or "html"
    text: str
    size_bytes: int
    crawled: bool = False  # fetched by the crawler rather than read from a file

    @property
    def source_kind(self) -> str:
        """The record's `source_kind`: "text", "html" or "crawl"."""
        return "crawl" if self.crawled else self.kind


def input_kind(path: Path) -> str | None:
    """'text', 'html' or None (not an input we read), from the file name."""
    name = path.name.lower()
    if name.endswith(TEXT_SUFFIXES):
        return "text"
    if name.endswith(HTML_SUFFIXES):
        return "html"
    return None


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """Every readable input under the given files and directories (recursive), sorted, unique.

    A path that does not exist is a ConfigError: the caller asked for something that is not there.
    Files given explicitly are taken whatever their suffix (they are rejected later if unreadable);
    inside directories only known suffixes are taken, and hidden files and folders are skipped.
    """
    found: set[Path] = set()
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise ConfigError(f"no such file or directory: {given}")
        if path.is_file():
            found.add(path.resolve())
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                child = Path(root) / name
                if not name.startswith(".") and input_kind(child):
                    found.add(child.resolve())
    return sorted(found)


def file_uri(path: Path) -> str:
    """The `source_uri` of a file: its absolute file:// URI."""
    return path.resolve().as_uri()


def read_input(path: Path, max_bytes: int) -> RawInput:
    """Read and decode one file. Raises Drop with a reason for anything that is not usable text."""
    uri = file_uri(path)
    kind = input_kind(path)
    if kind is None:
        raise Drop(Rejected.UNSUPPORTED, f"not a .txt/.html/.htm/.html.gz file: {path.name}")
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):  # a FIFO or device could block or never end
            raise Drop(Rejected.UNSUPPORTED, f"not a regular file: {path.name}")
        size = status.st_size
        if size > max_bytes:
            raise Drop(Rejected.TOO_LARGE, f"{size} bytes > limit {max_bytes}")
        data = path.read_bytes()
    except OSError as exc:
        raise Drop(Rejected.READ_ERROR, f"{type(exc).__name__}: {exc.strerror or exc}") from exc
    if path.name.lower().endswith(".gz"):
        data = gunzip_limited(data, max_bytes, whole=True)
    text = decode_bytes(data, html=kind == "html")
    if kind == "text" and "\r" in text:  # the cleaner reads lines; old Mac files end them in CR
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return RawInput(source_uri=uri, kind=kind, text=text, size_bytes=size)


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


def declared_charset(data: bytes) -> str | None:
    """The codec an HTML/XML document declares in its first 4 KB (`<meta charset>`,
    `http-equiv` Content-Type, `<?xml encoding>`), if Python knows it."""
    head = data[:4096]
    declared = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    if not declared:
        return None
    label = declared.group(1).decode("ascii", "ignore").lower()
    label = "cp1252" if label in _AS_CP1252 else label
    with contextlib.suppress(LookupError):
        return codecs.lookup(label).name
    return None


_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\f\v")


def sniff_bytes(data: bytes) -> str | None:
    """Why raw bytes are not text, from their first 8 KB: "empty", "binary" (a file signature,
    NUL bytes or many control bytes), or None. Cheap enough for every crawled page; text with a
    UTF-16/32 byte-order mark (which contains NULs) passes."""
    head = data[:8192]
    if not head.strip():
        return "empty"
    if head.startswith(tuple(bom for bom, _ in _BOMS)):
        return None
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    if head.startswith(_BINARY_MAGIC) or b"\x00" in head or controls > max(8, len(head) // 20):
        return "binary"
    return None


def decode_bytes(data: bytes, *, html: bool = False) -> str:
    """Bytes -> text: BOM first, then (HTML) the declared charset, then strict UTF-8, then
    UTF-8 with a few broken bytes replaced, then the best charset guess.

    Raises Drop for empty, binary or undecodable data.
    """
    junk = sniff_bytes(data)
    if junk == "empty" and not data.strip():
        raise Drop(Rejected.EMPTY, "no text (0 bytes or only white space)")
    if junk == "binary":
        raise Drop(Rejected.BINARY, "binary data (file signature, NUL or control bytes)")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = data.decode(encoding, errors="replace")
            if _replaced(text, data) > _tolerated(data):
                raise Drop(Rejected.UNDECODABLE, f"invalid {encoding} after its BOM")
            return _check_text(text)
    declared = declared_charset(data) if html else None
    if declared and declared != "utf-8":
        with contextlib.suppress(UnicodeDecodeError):
            return _check_text(data.decode(declared))
    try:
        return _check_text(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    if (repaired := _mostly_utf8(data)) is not None:
        return _check_text(repaired)
    guess = from_bytes(data[:262144]).best()
    if guess is None or guess.encoding is None:
        raise Drop(Rejected.UNDECODABLE, "not UTF-8 and no other encoding fits")
    try:
        return _check_text(data.decode(guess.encoding))
    except (UnicodeDecodeError, LookupError) as exc:
        raise Drop(
            Rejected.UNDECODABLE, f"guessed {guess.encoding} but it does not decode"
        ) from exc


def _tolerated(data: bytes) -> int:
    """Invalid sequences a text may hold and still be read (with U+FFFD in their place): a
    stray byte from a bad copy-paste should not cost the whole article."""
    return max(1, len(data) // 1000)


def _replaced(text: str, data: bytes) -> int:
    """U+FFFD that decoding with errors="replace" put in (not the ones the data spelled out)."""
    spelled = data.count("\ufffd".encode()) + data.count("\ufffd".encode("utf-16-le"))
    return text.count("\ufffd") - spelled


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with a few broken bytes: valid multi-byte characters outnumber the broken
    sequences two to one, and those are few. Text in a legacy 8-bit encoding rarely forms
    valid UTF-8 sequences, so it is left to the charset guess."""
    text = data.decode("utf-8", errors="replace")
    bad = _replaced(text, data)
    multibyte = sum(1 for ch in text if ord(ch) > 127) - text.count("\ufffd")
    return text if bad <= _tolerated(data) and multibyte >= 2 * bad else None


def _check_text(text: str) -> str:
    """Reject decoded text that is mostly control characters (binary that happened to decode)."""
    sample = text[:8192]
    if not sample.strip():
        raise Drop(Rejected.EMPTY, "no text (only white space)")
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    if controls > max(8, len(sample) // 20):
        raise Drop(Rejected.BINARY, f"{controls} control characters in the first {len(sample)}")
    return text


def iter_inputs(files: Iterable[Path], max_bytes: int) -> Iterator[tuple[Path, RawInput | Drop]]:
    """Each file with its RawInput, or the Drop that says why it cannot be read."""
    for path in files:
        try:
            yield path, read_input(path, max_bytes)
        except Drop as drop:
            yield path, drop
