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

import io
import logging
import zlib
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.message import Message
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import GzippingWrapper, WARCWriter

from crawler.run_types import RunContext

LOGGER = logging.getLogger(__name__)

ARCHIVE_FOLDER = "_warc"  # under the dataset root (crawler.store.dataset.ARCHIVE)
STAGED_FOLDER = "warc"  # under the run's staging folder until the commit
# hop-by-hop: the body is archived as Scrapy got it, already de-chunked
_DROPPED_HEADERS = {b"transfer-encoding"}
# warcio compresses at level 9; level 1 costs a quarter of its CPU for archives ~15 % larger
# (real news pages, 2026-12-01), and the archive is written in the fetch loop
GZIP_LEVEL = 1


class _LevelGzip(GzippingWrapper):  # type: ignore[misc]  # (warcio has no type hints)
    """warcio's one-gzip-member-per-record wrapper at a chosen compression level."""

    def __init__(self, out: IO[bytes], level: int) -> None:
        self.compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        self.out = out


class _Writer(WARCWriter):  # type: ignore[misc]  # (warcio has no type hints)
    """warcio's writer, each record its own gzip member at `level` (warcio fixes 9)."""

    def __init__(self, out: IO[bytes], level: int) -> None:
        super().__init__(out, gzip=False)
        self.level = level

    def _write_warc_record(self, out: IO[bytes], record: Any) -> None:
        super()._write_warc_record(_LevelGzip(out, self.level), record)


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
        self._writer: WARCWriter | None = None
        self._name = ""

    def write(self, request: Request, response: Response, when: datetime) -> Location:
        """Archive one request/response pair; where its response record is."""
        writer, stream = self._current()
        date = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        http = StatusAndHeaders(
            _status_line(response.status),
            _headers(response.headers.items()),
            protocol=str(getattr(response, "protocol", None) or "HTTP/1.1"),
        )
        warc_headers = {"WARC-Date": date}
        if getattr(response, "ip_address", None) is not None:
            warc_headers["WARC-IP-Address"] = str(response.ip_address)
        record = writer.create_warc_record(
            response.url,
            "response",
            payload=io.BytesIO(response.body),
            http_headers=http,
            warc_headers_dict=warc_headers,
        )
        record_id = str(record.rec_headers.get_header("WARC-Record-ID"))
        path = request.url.split("://", 1)[-1].partition("/")[2]
        sent = StatusAndHeaders(
            f"{request.method} /{path} HTTP/1.1",
            _headers(request.headers.items()),
            is_http_request=True,
        )
        asked = writer.create_warc_record(
            request.url,
            "request",
            payload=io.BytesIO(request.body or b""),
            http_headers=sent,
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": record_id},
        )
        offset = stream.tell()
        writer.write_record(record)
        writer.write_record(asked)
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

    def _current(self) -> tuple[WARCWriter, IO[bytes]]:
        if self._stream is not None and self._stream.tell() >= self.max_bytes:
            self.close()
        if self._stream is None or self._writer is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            taken = {p.name for p in self.folder.glob("*.warc.gz")}  # a resumed crawl's too
            n = 0
            while f"{self.prefix}-{n:05d}.warc.gz" in taken:
                n += 1
            self._name = f"{self.prefix}-{n:05d}.warc.gz"
            self._stream = open(self.folder / self._name, "xb")  # noqa: SIM115 (kept open)
            self._writer = _Writer(self._stream, self.gzip_level)
        return self._writer, self._stream

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
        self._stream, self._writer = None, None

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
    if not value:
        return None, None
    text = value.decode("latin-1")
    message = Message()
    message["content-type"] = text
    return text, message.get_content_charset()
