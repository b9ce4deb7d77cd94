"""Web archives built in the tests, with warcio's writer, from the fixture pages (eval/dev/html):
response, revisit, request and non-HTML records, gzip per record as Common Crawl writes them."""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

PAGES = sorted((Path(__file__).resolve().parents[1] / "eval" / "dev" / "html").glob("*.html"))
WARC_DATE = "2026-10-05T08:30:00Z"


def page(n: int) -> bytes:
    """Fixture page `n` (eval/dev/html, MIT)."""
    return PAGES[n].read_bytes()


@dataclass
class Rec:
    """One record to write: a response (default), or a `revisit` / `request` record."""

    url: str
    body: bytes = b""
    content_type: str | None = "text/html; charset=utf-8"
    kind: str = "response"
    status: str = "200 OK"


def write_warc(path: Path, records: list[Rec], *, gz: bool = True) -> list[int]:
    """Write `records` to a WARC (gzip per record when `gz`); the byte offset of each."""
    offsets = []
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=gz)
        for rec in records:
            offsets.append(out.tell())
            headers = [("Content-Type", rec.content_type)] if rec.content_type else []
            warc_headers = {"WARC-Date": WARC_DATE}
            if rec.kind == "revisit":
                record = writer.create_revisit_record(
                    rec.url, "sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", rec.url, WARC_DATE
                )
            elif rec.kind == "request":
                http = StatusAndHeaders(f"GET {rec.url} HTTP/1.1", [], is_http_request=True)
                record = writer.create_warc_record(
                    rec.url, "request", payload=io.BytesIO(b""), http_headers=http
                )
            else:
                http = StatusAndHeaders(rec.status, headers, protocol="HTTP/1.1")
                record = writer.create_warc_record(
                    rec.url,
                    "response",
                    payload=io.BytesIO(rec.body),
                    http_headers=http,
                    warc_headers_dict=warc_headers,
                )
            writer.write_record(record)
    return offsets


def write_arc_gz(path: Path, url: str, body: bytes) -> None:
    """A one-record ARC file (version 1), gzip per record, as the Internet Archive wrote them."""
    version = b"1 0 Test\nURL IP-address Archive-date Content-type Archive-length\n"
    header = b"filedesc://test.arc 0.0.0.0 20261005083000 text/plain %d\n" % len(version)
    header += version + b"\n"
    http = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + body
    line = f"{url} 10.0.0.1 20261005083000 text/html {len(http)}\n".encode()
    path.write_bytes(gzip.compress(header) + gzip.compress(line + http + b"\n"))
