"""Bytes -> text: the one decode policy for files and crawled pages.

A page saved to disk and the same page fetched must read the same (one text, one content
hash), so both ways in call `decode_bytes`. The bytes' own evidence decides first (a byte-order
mark, UTF-16/32 recognised by its NULs, valid UTF-8), then what the document declares (its
`<meta charset>`), then what the server declared (the HTTP Content-Type charset, pages only),
then UTF-8 with a few broken bytes, then the best charset guess. A declared charset that does
not decode the bytes is ignored: a server default of UTF-8 over a windows-1252 page is the
common case, and decoding it anyway would put U+FFFD in place of every accented letter.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from collections import Counter

from charset_normalizer import from_bytes

from crawler.errors import Drop
from crawler.model import Removal
from crawler.reasons import Rejected, Removed

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


def declared_charset(data: bytes) -> str | None:
    """The codec an HTML/XML document declares in its first 4 KB (`<meta charset>`,
    `http-equiv` Content-Type, `<?xml encoding>`), if Python knows it."""
    head = data[:4096]
    declared = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    return codec_name(declared.group(1).decode("ascii", "ignore")) if declared else None


def codec_name(label: str | None) -> str | None:
    """Python's name of a charset label ("ISO-8859-1" -> "cp1252", as browsers read it), or
    None for a label Python does not know."""
    label = (label or "").strip().strip("\"'").lower()
    label = "cp1252" if label in _AS_CP1252 else label
    if not label:
        return None
    with contextlib.suppress(LookupError):
        return codecs.lookup(label).name
    return None


_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\f\v")
# C0 controls but tab, line and page ends, and DEL: never text, often debris (a NUL from a
# bad copy, terminal escapes); removed from decoded text (`strip_controls`)
_CONTROL_CHARS = re.compile("[\x00-\x08\x0e-\x1f\x7f]")
_CONTROL_CHAR_BYTES = _CONTROL_BYTES + b"\x7f"  # the UTF-8 of _CONTROL_CHARS' characters


def holds_ascii(text: str, chars: bytes) -> bool:
    """Whether `text` holds any of the ASCII characters `chars` (given as their bytes), at a
    third of a regex search's time: the UTF-8 of any other code point has no ASCII byte."""
    data = text.encode("utf-8", "surrogatepass")
    return len(data.translate(None, chars)) != len(data)


def _holds_controls(text: str) -> bool:
    """Whether `_CONTROL_CHARS` matches somewhere in `text`."""
    return holds_ascii(text, _CONTROL_CHAR_BYTES)


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


def decode_bytes(data: bytes, *, html: bool = False, http_charset: str | None = None) -> str:
    """Bytes -> text by the module's policy: a BOM; UTF-16/32 recognised without one; valid
    UTF-8 (non-ASCII bytes that form valid UTF-8 are UTF-8: legacy text almost never does);
    for HTML the declared charset, then the server's `http_charset`, each only if it decodes
    the bytes; UTF-8 with a few broken bytes replaced; the best charset guess. Control
    characters are left in (`strip_controls` removes them).

    Raises Drop for empty, binary or undecodable data.
    """
    return _decode(data, html, http_charset)[0]


def page_encoding(body: bytes, http_charset: str | None) -> str | None:
    """The codec `decode_bytes` reads a fetched HTML page with (None if it cannot read it): for
    the crawl log, which reports a server charset the page contradicts."""
    try:
        return _decode(body, True, http_charset)[1]
    except Drop:
        return None


_WIDE = ("utf-16", "utf-32")


def _decode(data: bytes, html: bool, http_charset: str | None) -> tuple[str, str]:
    """(text, codec) of `decode_bytes`."""
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
            return _check_text(text), encoding
    if (wide := bomless_unicode(data)) is not None:
        text = data.decode(wide, errors="replace")
        if _replaced(text, data) > _tolerated(data):
            raise Drop(Rejected.UNDECODABLE, f"invalid {wide} (recognised without a BOM)")
        return _check_text(text), wide
    if not data.isascii():
        with contextlib.suppress(UnicodeDecodeError):
            return _check_text(data.decode("utf-8")), "utf-8"
    # declared charsets; a wide one is a lie here (the bytes have no NULs of UTF-16/32)
    labels = (declared_charset(data) if html else None, codec_name(http_charset) if html else None)
    for codec in labels:
        if codec and not codec.startswith(_WIDE):
            with contextlib.suppress(UnicodeDecodeError):
                return _check_text(data.decode(codec)), codec
    if data.isascii():
        return _check_text(data.decode("ascii")), "utf-8"
    if (repaired := _mostly_utf8(data)) is not None:
        return _check_text(repaired), "utf-8"
    guess = from_bytes(data[:262144]).best()
    if guess is None or guess.encoding is None:
        raise Drop(Rejected.UNDECODABLE, "not UTF-8 and no other encoding fits")
    try:
        return _check_text(data.decode(guess.encoding)), codecs.lookup(guess.encoding).name
    except (UnicodeDecodeError, LookupError) as exc:
        raise Drop(
            Rejected.UNDECODABLE, f"guessed {guess.encoding} but it does not decode"
        ) from exc


def strip_controls(text: str) -> tuple[str, list[Removal]]:
    """The text without control characters (NUL, escapes, C1), and an audit row (reason
    `control_chars`) for each line that held some: its number and the characters removed."""
    if not _holds_controls(text):
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
    controls = len(_CONTROL_CHARS.findall(sample)) if _holds_controls(sample) else 0
    if controls > max(8, len(sample) // 20):
        raise Drop(Rejected.BINARY, f"{controls} control characters in the first {len(sample)}")
    return text
