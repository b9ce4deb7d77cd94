"""The crawl's raw-page archive: every response the crawl fetches, as standard WARC.

A downloader middleware (`WarcArchiveMiddleware`) writes each response as it came off the
wire (before redirects are followed and Content-Encoding undone: a 301, a gzip body, a
robots.txt are archived as received) as a WARC `response` record, preceded by its `request`
record, gzip per record, into files of at most CORPUS_WARC_MAX_BYTES (then a new file), as
Common Crawl and Heritrix do: readable by warcio, pywb and `corpus ingest` itself.

The files are written in the run's staging folder (the crawl job's: kept with the staged
batches when a crawl is killed before its commit) and committed with the run into the
dataset's `_warc/` (`crawler.store.dataset.ARCHIVE`); every stored record's `warc_file`,
`warc_offset` and `warc_record_id` columns say where its page is (the item pipeline adds
them: `capture_columns`). `corpus ingest <dataset>/_warc` re-extracts the pages.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
import zlib
from base64 import b32encode
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from warcio.statusandheaders import StatusAndHeaders

from crawler.run_types import RunContext

LOGGER = logging.getLogger(__name__)

ARCHIVE_FOLDER = "_warc"  # under the dataset root (crawler.store.dataset.ARCHIVE)
STAGED_FOLDER = "warc"  # under the run's staging folder until the commit
# hop-by-hop: the body is archived as Scrapy got it, already de-chunked
_DROPPED_HEADERS = {b"transfer-encoding"}
# warcio compresses at level 9; level 1 costs a quarter of its CPU for archives ~15 % larger
# (real news pages, 2026-12-01), and the archive is written in the fetch loop
GZIP_LEVEL = 1
WARC_VERSION = "WARC/1.0"  # as warcio writes by default


def _digest(hashed: Any) -> str:
    return "sha1:" + b32encode(hashed.digest()).decode("ascii")


def _gzip_record(
    level: int, headers: list[tuple[str, str]], content_type: str, http: bytes, payload: bytes
) -> tuple[bytes, str]:
    """One WARC record (HTTP header block, then the payload) as its own gzip member, with the
    headers, digests and layout warcio's `WARCWriter` writes (tests/crawler/crawl/
    test_warc_archive.py compares them): warcio's Python per record (its record builder, a
    stream per payload read in chunks, its gzip wrapper) cost the fetch loop more than the
    compression. Returns the member and the record's WARC-Record-ID."""
    record_id = f"<urn:uuid:{uuid.uuid4()}>"
    block = hashlib.sha1(http)
    block.update(payload)
    lines = [
        WARC_VERSION,
        *(f"{name}: {value}" for name, value in headers),
        f"WARC-Record-ID: {record_id}",
        f"WARC-Payload-Digest: {_digest(hashlib.sha1(payload))}",
        f"WARC-Block-Digest: {_digest(block)}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(http) + len(payload)}",
    ]
    compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    parts = [
        compressor.compress(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")),
        compressor.compress(http),
        compressor.compress(payload),
        compressor.compress(b"\r\n\r\n"),
        compressor.flush(),
    ]
    return b"".join(parts), record_id


def _http_block(headers: StatusAndHeaders) -> bytes:
    """An HTTP status line and headers as warcio writes them (non-ASCII values
    percent-encoded, as its `to_ascii_bytes`)."""
    headers.compute_headers_buffer()
    block: bytes = headers.headers_buff
    return block


@dataclass(frozen=True)
class Location:
    """Where one fetched response is archived, and what its headers said (record columns)."""

    fetched_url: str
    fetched_at: datetime
    http_content_type: str | None
    http_charset: str | None
    warc_file: str  # the file's path in the dataset: `_warc/<name>`
    warc_offset: int
    warc_record_id: str


class WarcFiles:
    """WARC files of one run in `folder`, named `<prefix>-<n>.warc.gz`, each closed and a new
    one started once it holds `max_bytes` (a record is never split)."""

    def __init__(
        self, folder: Path, prefix: str, max_bytes: int, gzip_level: int = GZIP_LEVEL
    ) -> None:
        self.folder = folder
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.gzip_level = gzip_level
        self._stream: IO[bytes] | None = None
        self._name = ""

    def write(self, request: Request, response: Response, when: datetime) -> Location:
        """Archive one request/response pair; where its response record is."""
        stream = self._current()
        date = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        http = StatusAndHeaders(
            _status_line(response.status),
            _headers(response.headers.items()),
            protocol=str(getattr(response, "protocol", None) or "HTTP/1.1"),
        )
        warc_headers = [("WARC-Date", date)]
        if getattr(response, "ip_address", None) is not None:
            warc_headers.append(("WARC-IP-Address", str(response.ip_address)))
        warc_headers += [("WARC-Type", "response"), ("WARC-Target-URI", response.url)]
        record, record_id = _gzip_record(
            self.gzip_level,
            warc_headers,
            "application/http; msgtype=response",
            _http_block(http),
            response.body,
        )
        path = request.url.split("://", 1)[-1].partition("/")[2]
        sent = StatusAndHeaders(
            f"{request.method} /{path} HTTP/1.1",
            _headers(request.headers.items()),
            is_http_request=True,
        )
        asked, _ = _gzip_record(
            self.gzip_level,
            [
                ("WARC-Date", date),
                ("WARC-Concurrent-To", record_id),
                ("WARC-Type", "request"),
                ("WARC-Target-URI", request.url),
            ],
            "application/http; msgtype=request",
            _http_block(sent),
            request.body or b"",
        )
        offset = stream.tell()
        stream.write(record)
        stream.write(asked)
        content_type, charset = _content_type(response.headers.get(b"Content-Type"))
        return Location(
            fetched_url=response.url,
            fetched_at=when,
            http_content_type=content_type,
            http_charset=charset,
            warc_file=f"{ARCHIVE_FOLDER}/{self._name}",
            warc_offset=offset,
            warc_record_id=record_id.strip("<>"),
        )

    def _current(self) -> IO[bytes]:
        if self._stream is not None and self._stream.tell() >= self.max_bytes:
            self.close()
        if self._stream is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            taken = {p.name for p in self.folder.glob("*.warc.gz")}  # a resumed crawl's too
            n = 0
            while f"{self.prefix}-{n:05d}.warc.gz" in taken:
                n += 1
            self._name = f"{self.prefix}-{n:05d}.warc.gz"
            self._stream = open(self.folder / self._name, "xb")  # noqa: SIM115 (kept open)
        return self._stream

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
        self._stream = None

    def files(self) -> list[Path]:
        """Every WARC file in the folder (a resumed crawl's earlier ones too), closed first."""
        self.close()
        return sorted(self.folder.glob("*.warc.gz"))


class WarcArchiveMiddleware:
    """Downloader middleware: archives every response (and its request) as it arrives; keeps
    where each URL's latest response is, for the item pipeline (`location`)."""

    def __init__(self, files: WarcFiles) -> None:
        self.files = files
        self.where: dict[str, Location] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcArchiveMiddleware:
        if not crawler.settings.getbool("CORPUS_WARC", True):
            raise NotConfigured("CORPUS_WARC is off: no raw-page archive")
        ctx = crawler.settings.get("CORPUS_RUN_CONTEXT")
        if not isinstance(ctx, RunContext):
            raise RuntimeError("the WARC archive runs under crawler.crawl.runner (no run context)")
        max_bytes = crawler.settings.getint("CORPUS_WARC_MAX_BYTES", 1_000_000_000)
        level = crawler.settings.getint("CORPUS_WARC_GZIP_LEVEL", GZIP_LEVEL)
        if not 1 <= level <= 9:
            raise ValueError(f"CORPUS_WARC_GZIP_LEVEL must be 1..9, not {level}")
        folder = Path(ctx.staging) / STAGED_FOLDER
        return cls(WarcFiles(folder, f"crawl-{ctx.run_id}", max_bytes, level))

    def process_response(self, request: Request, response: Response) -> Response:
        try:
            self.where[response.url] = self.files.write(request, response, datetime.now(UTC))
        except OSError as exc:  # a full disk stops the archive, and says so; not the crawl
            LOGGER.error("WARC archive: cannot write %s: %s", response.url, exc)
            raise
        return response

    def location(self, url: str) -> Location | None:
        """Where the latest response fetched from `url` is archived."""
        return self.where.get(url)

    def close(self) -> list[Path]:
        """The run's WARC files, closed, for the commit."""
        return self.files.files()


def capture_columns(location: Location | None) -> dict[str, Any]:
    """A stored page's record columns from where its response is archived ({} if it is not)."""
    return asdict(location) if location is not None else {}


def archive_of(crawler: Crawler) -> WarcArchiveMiddleware | None:
    """The crawler's archive middleware, or None when CORPUS_WARC turned it off (or there is
    no crawl engine: a pipeline built alone, in tests)."""
    try:
        found = crawler.get_downloader_middleware(WarcArchiveMiddleware)
    except RuntimeError:  # no crawl engine yet
        return None
    return found if isinstance(found, WarcArchiveMiddleware) else None


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def _headers(items: Any) -> list[tuple[str, str]]:
    """Scrapy's headers (bytes, several values each) as (name, value) pairs."""
    pairs = []
    for name, values in items:
        if name.lower() in _DROPPED_HEADERS:
            continue
        for value in values:
            pairs.append((name.decode("latin-1"), value.decode("latin-1")))
    return pairs


def _content_type(value: bytes | None) -> tuple[str | None, str | None]:
    """A Content-Type header and its charset parameter (lower case, unquoted), as
    `email.message.Message.get_content_charset` reads it."""
    if not value:
        return None, None
    text = value.decode("latin-1")
    return text, http_content_type_encoding_param(text)


def http_content_type_encoding_param(text: str) -> str | None:
    """The `charset` parameter of a Content-Type value, or None."""
    for param in text.split(";")[1:]:
        name, eq, found = param.partition("=")
        if eq and name.strip().lower() == "charset":
            charset = found.strip().strip('"').strip("'").strip().lower()
            return charset or None
    return None
