"""Web archives -> inputs: every HTML response record of a `.warc`, `.warc.gz` (gzip per record,
as Common Crawl, Heritrix, Browsertrix and `wget --warc-file` write them), `.arc` or `.arc.gz`
file is one input, read with warcio (bench/warc_bench.py: why warcio rather than fastwarc).

The scan streams through an archive once, in the parent, keeping no payload: for each record
it notes the byte offset, hashes the (decoded) payload and reads the headers. A worker reads
its record again by seeking to that offset (`load_record`), so an archive of any size runs
through the same parallel clean stage as loose files, and a record that kills its worker
costs only itself. Response records that are not pages are inputs too, whose `load` refuses
them with the reason (`not_html`, `revisit`, `truncated`): counted in the run's rejects, and
known to the skip index like any input, so re-ingesting an archive adds nothing.
Request, metadata, warcinfo and other records are not pages, nor inputs.

An input's key is `<archive path>#<offset>`; its `source_uri` is the archive's file URI with
`#offset=<offset>` (unique in a run, as dedup needs: one archive can hold the same URL
twice); the record's `fetched_url` column is the page's URL.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import Message
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from crawler.config import Settings
from crawler.errors import Drop
from crawler.model import Capture
from crawler.readers.decode import decode_bytes, strip_controls
from crawler.readers.files import RawInput, file_uri
from crawler.readers.htmlscan import looks_like_html
from crawler.reasons import Rejected

if TYPE_CHECKING:
    from warcio.archiveiterator import ArchiveIterator

    from crawler.readers.inputs import Input

LOGGER = logging.getLogger(__name__)

WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
HTML_TYPES = ("text/html", "application/xhtml+xml")
# A payload with no Content-Type (or a generic one) is HTML if its start looks like it.
SNIFFED_TYPES = (None, "application/octet-stream", "text/plain")
_SNIFF_BYTES = 65536
# what undoing one record's Content-Encoding can raise (a broken gzip or brotli body)
_PAYLOAD_ERRORS = (zlib.error, OSError, ValueError, EOFError)


def is_archive(path: Path) -> bool:
    """Whether a file is a web archive, from its name."""
    return path.name.lower().endswith(WARC_SUFFIXES)


def record_key(path: Path, offset: int) -> str:
    """The input key of the record at `offset` of the archive at `path`."""
    return f"{path}#{offset}"


def split_key(key: str) -> tuple[Path, int] | None:
    """(archive path, offset) of a record's key, or None when `key` is not one."""
    path, sep, offset = key.rpartition("#")
    if not sep or not offset.isdigit() or not is_archive(Path(path)):
        return None
    return Path(path), int(offset)


def record_uri(path: Path, offset: int) -> str:
    """A record's `source_uri`: its archive's file URI and its byte offset there."""
    return f"{file_uri(path)}#offset={offset}"


class WarcReader:
    """WARC and ARC files (plain, or gzip per record): one input per HTML response record."""

    def accepts(self, path: Path) -> bool:
        return is_archive(path)

    def inputs(self, path: Path, settings: Settings) -> Iterator[Input]:
        yield from archive_inputs(path, settings)

    def reopen(self, key: str, settings: Settings) -> Input | None:
        found = split_key(key)
        if found is None:
            return None
        path, offset = found
        try:
            with open(path, "rb") as stream:
                stream.seek(offset)
                iterator = _records(stream)
                record = next(iterator)
                return _record_input(path, iterator, record, settings, _mtime(path))
        except _read_errors(StopIteration) as exc:
            return _refused(path, offset, 0, "", Rejected.READ_ERROR, _why(exc))


def _records(stream: IO[bytes]) -> ArchiveIterator:
    """warcio's record iterator over `stream` (ARC records read as WARC). warcio is imported
    on first use: it imports fsspec and asyncio (~0.13 s), which a run without archives, and
    every process that only registers this reader, need not pay."""
    from warcio.archiveiterator import ArchiveIterator

    return ArchiveIterator(stream, arc2warc=True)


def _read_errors(*more: type[Exception]) -> tuple[type[Exception], ...]:
    """What reading a damaged or unreadable archive raises (and `more`)."""
    from warcio.exceptions import ArchiveLoadFailed

    return (OSError, ArchiveLoadFailed, ValueError, EOFError, *more)


def _new_input(**fields: Any) -> Input:
    # imported when used: crawler.readers.inputs imports this module to register the reader
    from crawler.readers.inputs import Input

    return Input(**fields)


def archive_inputs(path: Path, settings: Settings) -> Iterator[Input]:
    """The inputs of one archive, streamed: one per response or revisit record. An archive
    that cannot be opened, or is damaged from some record on, gives one refused input for
    the place where reading stopped (the records before it are inputs as usual)."""
    modified = _mtime(path)
    offset = 0
    try:
        with open(path, "rb") as stream:
            iterator = _records(stream)
            for record in iterator:
                item = _record_input(path, iterator, record, settings, modified)
                offset = iterator.get_record_offset() + iterator.get_record_length()
                if item is not None:
                    yield item
    except _read_errors() as exc:
        LOGGER.warning("%s: unreadable from byte %d on: %s", path, offset, _why(exc))
        yield _refused(path, offset, None, "", _damage_reason(exc), _why(exc))


def _record_input(
    path: Path, iterator: ArchiveIterator, record: Any, settings: Settings, modified: float
) -> Input | None:
    """The input of one record (its payload read and hashed, then dropped), or None for a
    record that is not a response (request, metadata, warcinfo...)."""
    kind = record.rec_type
    if kind not in ("response", "revisit"):
        return None
    if kind == "revisit":
        iterator.read_to_end()
        offset = iterator.get_record_offset()
        profile = record.rec_headers.get_header("WARC-Profile") or "no profile"
        detail = f"a revisit record ({profile.rsplit('/', 1)[-1]}) of {_target(record)}"
        digest = hashlib.sha256(f"revisit:{_record_id(record)}".encode()).hexdigest()
        return _refused(path, offset, 0, digest, Rejected.REVISIT, detail)
    try:
        body, truncated = _payload(record, settings.max_input_bytes)
    except _PAYLOAD_ERRORS as exc:  # this record's content encoding: the archive reads on
        iterator.read_to_end()
        offset = iterator.get_record_offset()
        detail = f"its payload cannot be decoded ({_why(exc)})"
        digest = hashlib.sha256(f"undecodable:{_record_id(record)}".encode()).hexdigest()
        return _refused(path, offset, None, digest, Rejected.READ_ERROR, detail)
    iterator.read_to_end()
    offset = iterator.get_record_offset()
    digest = hashlib.sha256(body).hexdigest()
    refusal = _refusal(record, body, truncated, settings.max_input_bytes)
    if refusal is not None:
        return _refused(path, offset, len(body), digest, *refusal)
    return _new_input(
        source_uri=record_uri(path, offset),
        size_bytes=len(body),
        input_hash=digest,
        load=partial(load_record, str(path), offset, settings.max_input_bytes),
        key=record_key(path, offset),
        kind_hint="html",
        modified=modified,
    )


def _refusal(
    record: Any, body: bytes, truncated: bool, max_bytes: int
) -> tuple[Rejected, str] | None:
    """Why a response record gives no page to clean, or None."""
    if len(body) > max_bytes:
        return Rejected.TOO_LARGE, f"more than {max_bytes} bytes > limit {max_bytes}"
    if truncated:
        declared = record.rec_headers.get_header("Content-Length")
        return Rejected.TRUNCATED, f"the record ends early ({declared} bytes declared)"
    status = record.http_headers.get_statuscode() if record.http_headers else None
    if status and not status.startswith("2"):
        return Rejected.UNSUPPORTED, f"an HTTP {status} response, not a page"
    content_type, _ = content_type_of(record)
    if content_type in HTML_TYPES:
        return None
    if content_type in SNIFFED_TYPES and looks_like_html(
        body[:_SNIFF_BYTES].decode("latin-1"), hint_html=True
    ):
        return None
    return Rejected.NOT_HTML, f"a {content_type or 'untyped'} response, not HTML"


def _refused(
    path: Path, offset: int, size: int | None, digest: str, reason: Rejected, detail: str
) -> Input:
    """An input that is rejected with `reason` when loaded (its record is not read again)."""
    return _new_input(
        source_uri=record_uri(path, offset),
        size_bytes=size,
        input_hash=digest,
        load=partial(_refuse, str(reason), detail),
        key=record_key(path, offset),
        kind_hint=None,
    )


def _refuse(reason: str, detail: str) -> RawInput:
    raise Drop(Rejected(reason), detail)


def load_record(path: str, offset: int, max_bytes: int) -> RawInput:
    """The HTML record at `offset` of the archive at `path`, decoded (runs in a worker).
    Raises Drop with the reason when it cannot be read or is not a page."""
    archive = Path(path)
    try:
        with open(archive, "rb") as stream:
            stream.seek(offset)
            record = next(_records(stream))
            body, truncated = _payload(record, max_bytes)
    except _read_errors(StopIteration) as exc:
        raise Drop(_damage_reason(exc), f"record at byte {offset}: {_why(exc)}") from exc
    refusal = _refusal(record, body, truncated, max_bytes)
    if refusal is not None:
        raise Drop(*refusal)
    charset = content_type_of(record)[1]
    text, removed = strip_controls(decode_bytes(body, html=True, http_charset=charset))
    capture = Capture(
        fetched_url=_target(record),
        fetched_at=_fetched_at(record),
        http_content_type=record.http_headers.get_header("Content-Type")
        if record.http_headers
        else None,
        http_charset=charset,
        warc_file=file_uri(archive),
        warc_offset=offset,
        warc_record_id=_record_id(record),
    )
    uri = record_uri(archive, offset)
    return RawInput(uri, "html", text, len(body), removed=tuple(removed), capture=capture)


def _payload(record: Any, max_bytes: int) -> tuple[bytes, bool]:
    """A response's payload (Content-Encoding and chunking undone), at most `max_bytes` + 1
    bytes, and whether the record ended before its declared length (a truncated archive)."""
    stream: IO[bytes] = record.content_stream()
    body = stream.read(max_bytes + 1)
    if len(body) > max_bytes:
        return body, False
    left = getattr(record.raw_stream, "limit", 0)
    return body, bool(left)


def content_type_of(record: Any) -> tuple[str | None, str | None]:
    """The media type (lower case) and the charset of a response's Content-Type header."""
    value = record.http_headers.get_header("Content-Type") if record.http_headers else None
    if not value:
        return None, None
    message = Message()
    message["content-type"] = value
    return message.get_content_type(), message.get_content_charset()


def _target(record: Any) -> str | None:
    value = record.rec_headers.get_header("WARC-Target-URI")
    return str(value) if value else None


def _record_id(record: Any) -> str | None:
    value = record.rec_headers.get_header("WARC-Record-ID")
    return str(value).strip("<>") if value else None


def _fetched_at(record: Any) -> datetime | None:
    value = record.rec_headers.get_header("WARC-Date")
    if not value:
        return None
    with contextlib.suppress(ValueError):
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    return None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _damage_reason(exc: BaseException) -> Rejected:
    """A damaged archive's reason: a stream that ends early is truncated; the rest unreadable."""
    if isinstance(exc, EOFError | StopIteration) or "ended before" in str(exc).lower():
        return Rejected.TRUNCATED
    return Rejected.READ_ERROR


def _why(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
