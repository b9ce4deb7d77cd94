"""Files and directories -> raw inputs: discovery (symbolic links kept inside the folder), size
limits, decompression, decoding, the kind of input (from its content), control characters."""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import re
import stat
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from crawler.errors import ConfigError, Drop
from crawler.htmlscan import looks_like_html
from crawler.reasons import Rejected, Removed
from crawler.record import Removal

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
    removed: tuple[Removal, ...] = ()  # taken out while reading (control characters)

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
                real = child.resolve()
                inside = follow_symlinks or not child.is_symlink() or real.is_relative_to(root)
                found.add(real if inside else child)
    return sorted(found)


def _has_input_suffix(path: Path) -> bool:
    return input_kind(path) is not None


def file_uri(path: Path) -> str:
    """The `source_uri` of a file: its absolute file:// URI (a symbolic link's own, not its
    target's: a link that is not followed is reported under its own name)."""
    path = Path(os.path.abspath(path))
    if path.is_symlink():
        return (path.parent.resolve() / path.name).as_uri()
    return path.resolve().as_uri()


def read_input(path: Path, max_bytes: int) -> RawInput:
    """Read and decode one file. Raises Drop with a reason for anything that is not usable text."""
    uri = file_uri(path)
    if path.is_symlink():  # `discover` resolves the links it may follow: this one it may not
        raise Drop(Rejected.SYMLINK, f"symbolic link to {os.readlink(path)}: {_NOT_FOLLOWED}")
    kind = input_kind(path)
    if kind is None:
        raise Drop(Rejected.UNSUPPORTED, f"not a .txt/.html/.htm/.html.gz file: {path.name}")
    try:
        data, size = _read_regular(path, max_bytes)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # swapped for a link since discovery (O_NOFOLLOW)
            raise Drop(Rejected.SYMLINK, f"a symbolic link: {_NOT_FOLLOWED}") from exc
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


_NOT_FOLLOWED = (
    "links out of the input folder are not followed (`corpus ingest --follow-symlinks`, or "
    "follow_symlinks = true in [settings], allows them)"
)


def _read_regular(path: Path, max_bytes: int) -> tuple[bytes, int]:
    """The bytes and size of a regular file, opened without following a link (O_NOFOLLOW) and
    without blocking on a FIFO (O_NONBLOCK); Drop for anything else or anything too large."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    with os.fdopen(os.open(path, flags), "rb") as handle:
        status = os.fstat(handle.fileno())
        if not stat.S_ISREG(status.st_mode):  # a FIFO or device could block or never end
            raise Drop(Rejected.UNSUPPORTED, f"not a regular file: {path.name}")
        if status.st_size > max_bytes:
            raise Drop(Rejected.TOO_LARGE, f"{status.st_size} bytes > limit {max_bytes}")
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:  # grew since it was measured
        raise Drop(Rejected.TOO_LARGE, f"more than {max_bytes} bytes > limit {max_bytes}")
    return data, status.st_size


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
# C0 controls but tab, line and page ends, and DEL: never text, often debris (a NUL from a
# bad copy, terminal escapes); removed from decoded text (`strip_controls`)
_CONTROL_CHARS = re.compile("[\x00-\x08\x0e-\x1f\x7f]")


def sniff_bytes(data: bytes) -> str | None:
    """Why raw bytes are not text, from their first 8 KB: "empty", "binary" (a file signature,
    or many control bytes), or None. Cheap enough for every crawled page. Text with a
    UTF-16/32 byte-order mark, or in UTF-16/32 without one (`bomless_unicode`), passes; a few
    NUL or other control bytes in text are not binary (they are removed after decoding)."""
    head = data[:8192]
    if not head.strip():
        return "empty"
    if head.startswith(tuple(bom for bom, _ in _BOMS)):
        return None
    if head.startswith(_BINARY_MAGIC):
        return "binary"
    if bomless_unicode(head) is not None:
        return None
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    if controls > max(8, len(head) // 20):
        return "binary"
    return None


def bomless_unicode(data: bytes) -> str | None:
    """ "utf-32-le", "utf-32-be", "utf-16-le" or "utf-16-be" for text in one of them without a
    byte-order mark, from the NUL bytes of its first 8 KB: the high bytes of Latin text (and
    its spaces, digits and punctuation in any script) are zero, at one position of each unit.
    None otherwise (UTF-16 text with no such character is not recognised)."""
    head = data[: 8192 - 8192 % 4]
    head = head[: len(head) - len(head) % 4]
    units = len(head) // 4
    if units < 4 or b"\x00" not in head:
        return None
    for codec, high in (("utf-32-le", (2, 3)), ("utf-32-be", (0, 1))):
        # the two high bytes of every unit are zero but for characters beyond U+FFFF
        zero = min(head[high[0] :: 4].count(0), head[high[1] :: 4].count(0))
        if zero * 20 >= units * 19 and _decodes_as_text(data, codec):
            return codec
    pairs = units * 2
    odd, even = head[1::2].count(0), head[0::2].count(0)
    # high bytes are zero for ASCII characters; low bytes only for the rare U+xx00
    if odd * 5 >= pairs and even * 4 <= odd and _decodes_as_text(data, "utf-16-le"):
        return "utf-16-le"
    if even * 5 >= pairs and odd * 4 <= even and _decodes_as_text(data, "utf-16-be"):
        return "utf-16-be"
    return None


def _decodes_as_text(data: bytes, codec: str) -> bool:
    """Whether the first 8 KB decode in `codec` to text with few control characters (a unit
    cut at the end is allowed)."""
    unit = 4 if "32" in codec else 2
    head = data[: 8192 - 8192 % unit]
    head = head[: len(head) - len(head) % unit]
    try:
        text = head.decode(codec)
    except UnicodeDecodeError:
        return False
    return len(_CONTROL_CHARS.findall(text)) <= max(8, len(text) // 20)


def decode_bytes(data: bytes, *, html: bool = False) -> str:
    """Bytes -> text: BOM first, then UTF-16/32 recognised without a BOM, then (HTML) the
    declared charset, then strict UTF-8, then UTF-8 with a few broken bytes replaced, then the
    best charset guess. Control characters are left in (`strip_controls` removes them).

    Raises Drop for empty, binary or undecodable data.
    """
    junk = sniff_bytes(data)
    if junk == "empty" and not data.strip():
        raise Drop(Rejected.EMPTY, "no text (0 bytes or only white space)")
    if junk == "binary":
        raise Drop(Rejected.BINARY, "binary data (a file signature, or mostly control bytes)")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = data.decode(encoding, errors="replace")
            if _replaced(text, data) > _tolerated(data):
                raise Drop(Rejected.UNDECODABLE, f"invalid {encoding} after its BOM")
            return _check_text(text)
    if (wide := bomless_unicode(data)) is not None:
        text = data.decode(wide, errors="replace")
        if _replaced(text, data) > _tolerated(data):
            raise Drop(Rejected.UNDECODABLE, f"invalid {wide} (recognised without a BOM)")
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


def strip_controls(text: str) -> tuple[str, list[Removal]]:
    """The text without control characters (NUL, escapes, C1), and an audit row (reason
    `control_chars`) for each line that held some: its number and the characters removed."""
    if _CONTROL_CHARS.search(text) is None:
        return text, []
    removed = []
    lines = text.split("\n")
    for no, line in enumerate(lines):
        found = _CONTROL_CHARS.findall(line)
        if found:
            counts = Counter(found)
            listed = ", ".join(f"U+{ord(c):04X} x{n}" for c, n in sorted(counts.items()))
            removed.append(Removal(no, listed, str(Removed.CONTROL_CHARS)))
            lines[no] = _CONTROL_CHARS.sub("", line)
    return "\n".join(lines), removed


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
    """Reject decoded text with many control characters (binary that happened to decode); a
    few are removed later (`strip_controls`)."""
    sample = text[:8192]
    if not sample.strip():
        raise Drop(Rejected.EMPTY, "no text (only white space)")
    controls = len(_CONTROL_CHARS.findall(sample))
    if controls > max(8, len(sample) // 20):
        raise Drop(Rejected.BINARY, f"{controls} control characters in the first {len(sample)}")
    return text
