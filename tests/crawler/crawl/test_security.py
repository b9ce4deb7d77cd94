"""The security properties of docs/security.md, one by one: secrets redacted, no request to a
non-public address whatever its spelling or DNS does, no entity expansion in sitemaps and
feeds, no output path made from a name. The crawl-level checks of the same properties are in
test_crawl_faults.py."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from scrapy import Request
from scrapy.exceptions import CannotResolveHostError
from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer

from crawler.crawl import netguard
from crawler.crawl.failures import failure_reason
from crawler.crawl.feeds import parse_url_list
from crawler.crawl.job import CrawlJob
from crawler.crawl.netguard import (
    AddressGuardMiddleware,
    AddressPolicy,
    GuardedResolver,
    Refused,
    RefusedAddressError,
)
from crawler.crawl.redact import redact
from crawler.crawl.sources import Source
from crawler.record import REJECTS_SCHEMA
from crawler.run.ingest import run_ingest
from crawler.store.dataset import Dataset

# -- secrets ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("https://user:pa55@x.test/feed", "https://REDACTED@x.test/feed"),
        ("https://ghp_T0KEN@x.test/a/@me", "https://REDACTED@x.test/a/@me"),
        (
            "https://x.test/f?token=abc&id=3&api_key=K&author=jo&keyword=b",
            "https://x.test/f?token=REDACTED&id=3&api_key=REDACTED&author=jo&keyword=b",
        ),
        (
            "/s3?X-Amz-Signature=ab&X-Amz-Credential=cd&sid=7&key=8&session=9",
            "/s3?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&sid=7&key=8&session=9",
        ),
        (
            "Retrying <GET http://a:b@h/x;jsessionid=1?access_token=2&password=3> (failed 1)",
            "Retrying <GET http://REDACTED@h/x;jsessionid=REDACTED?access_token=REDACTED"
            "&password=REDACTED> (failed 1)",
        ),
        (
            "{'DEFAULT_REQUEST_HEADERS': {'Authorization': 'Bearer abc', 'Cookie': 'a=b'}}",
            "{'DEFAULT_REQUEST_HEADERS': {'Authorization': 'REDACTED', 'Cookie': 'REDACTED'}}",
        ),
        ("Proxy-Authorization: Basic dXNlcjpwYXNz", "Proxy-Authorization: REDACTED"),
        # not secrets: an e-mail contact, ids, an empty token
        ("corpus-crawler/0.1 (+you@example.org)", "corpus-crawler/0.1 (+you@example.org)"),
        ("https://x.test/a?id=12&page=2&token=", "https://x.test/a?id=12&page=2&token="),
    ],
)
def test_redact(text: str, redacted: str) -> None:
    assert redact(text) == redacted


# -- addresses ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "::1",
        "fe80::1%eth0",  # link-local with a zone
        "fd12:3456::1",  # unique local
        "fec0::1",  # site-local (deprecated; Python 3.11 calls it global)
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:7f00:1",
        "::127.0.0.1",  # IPv4-compatible (deprecated; Python 3.11 calls it global)
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1 (Python calls it global)
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254, the cloud metadata service
        "64:ff9b:1::5db8:d822",  # local-use NAT64: a translator inside some network
        "2002:a00:1::",  # 6to4 of 10.0.0.1 (Python calls it global)
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo, client 10.0.0.1
        "0.0.0.0",
        "192.0.0.8",  # IETF protocol assignments (Python 3.11 calls it global)
        "198.18.0.1",  # benchmarking
        "255.255.255.255",
    ],
)
def test_non_public_addresses_in_every_spelling_are_refused(address: str) -> None:
    assert not AddressPolicy().allows(address)


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "::ffff:93.184.216.34", "64:ff9b::5db8:d822", "2606:4700::1"]
)
def test_public_addresses_are_allowed_whatever_the_spelling(address: str) -> None:
    assert AddressPolicy().allows(address)


def guard(url: str, resolved: list[str] | None) -> str | None:
    """The guard's verdict on a URL, DNS answering `resolved` (None: no DNS at all)."""

    async def fake_resolve(host: str, port: int) -> list[str]:
        if resolved is None:
            raise OSError("no DNS here")
        return resolved

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(netguard, "resolve_all", fake_resolve)
        try:
            asyncio.run(AddressGuardMiddleware(AddressPolicy()).process_request(Request(url)))
        except Refused as refused:
            return refused.reason
    return None


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",  # decimal 127.0.0.1
        "http://0x7f.0.0.1/",  # hex
        "http://0177.0.0.1/",  # octal
        "http://127.1/",  # short form
        "http://0x7f000001/",
        "http://0/",  # 0.0.0.0
        "http://3232235777/",  # 192.168.1.1
        "http://[::ffff:127.0.0.1]:8080/",
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
    ],
)
def test_numeric_hosts_are_refused_without_asking_dns(url: str) -> None:
    assert guard(url, resolved=None) == "private_address"


def test_a_name_is_refused_when_any_of_its_addresses_is_private() -> None:
    assert guard("http://news.example/", ["93.184.216.34"]) is None
    assert guard("http://news.example/", ["93.184.216.34", "10.0.0.1"]) == "private_address"
    assert guard("http://news.example/", ["2606:4700::1", "fd00::1"]) == "private_address"


def test_dns_rebinding_is_refused_at_connection_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The name resolves to a public address when the guard asks, to loopback when the
    downloader connects: the connection is refused, and reported as private_address."""
    assert guard("http://rebind.example/", ["93.184.216.34"]) is None

    def rebound(self: Any, name: str, timeout: Any = ()) -> defer.Deferred[str]:
        return defer.succeed("127.0.0.1")

    monkeypatch.setattr(CachingThreadedResolver, "getHostByName", rebound)
    resolver = GuardedResolver.__new__(GuardedResolver)  # no reactor needed for the check
    resolver.policy = AddressPolicy()
    failures: list[Any] = []
    resolver.getHostByName("rebind.example").addErrback(failures.append)
    assert failures and isinstance(failures[0].value, RefusedAddressError)
    # Scrapy wraps it on the way to the spider; the report still says what happened
    wrapped = CannotResolveHostError(str(failures[0].value))
    wrapped.__cause__ = failures[0].value
    assert failure_reason(wrapped) == ("skipped", "private_address")


# -- sitemaps and feeds -------------------------------------------------------------------------


class _CountingHandler(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        body = b'<!ENTITY leak "FETCHED">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on loopback that records every request an XML parser might make."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CountingHandler)
    hits: list[str] = []
    _CountingHandler.hits = hits
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def hostile_documents(base: str, secret: Path) -> dict[str, bytes]:
    loc = "<urlset><url><loc>https://x.test/{}</loc></url></urlset>"
    laughs = "".join(
        f'<!ENTITY l{i + 1} "{f"&l{i};" * 10}">' for i in range(9)
    )  # 10**10 bytes if expanded
    return {
        "file entity": (
            f'<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>' + loc.format("&x;")
        ).encode(),
        "http entity": (
            f'<!DOCTYPE r [<!ENTITY x SYSTEM "{base}/entity">]>' + loc.format("&x;")
        ).encode(),
        "external dtd": (f'<!DOCTYPE urlset SYSTEM "{base}/dtd">' + loc.format("&leak;")).encode(),
        "parameter entity": (
            f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{base}/param"> %p;]>' + loc.format("&leak;")
        ).encode(),
        "parameter entity from a file": (
            f'<!DOCTYPE r [<!ENTITY % p SYSTEM "file://{secret}">'
            "<!ENTITY % q \"<!ENTITY y '%p;'>\"> %q;]>" + loc.format("&y;")
        ).encode(),
        "xinclude": (
            '<urlset xmlns:xi="http://www.w3.org/2001/XInclude"><url><loc>'
            f'<xi:include href="file://{secret}" parse="text"/></loc></url><url><loc>'
            f'<xi:include href="{base}/xi" parse="text"/></loc></url></urlset>'
        ).encode(),
        "billion laughs": (
            f'<!DOCTYPE r [<!ENTITY l0 "lol!lol!lol!">{laughs}]>' + loc.format("&l9;")
        ).encode(),
        "quadratic blowup": (
            f'<!DOCTYPE r [<!ENTITY a "{"a" * 100_000}">]>' + loc.format("&a;" * 20_000)
        ).encode(),
        "deep nesting": b"<urlset>" + b"<url>" * 100_000 + b"</url>" * 100_000 + b"</urlset>",
    }


def test_hostile_sitemaps_expand_nothing_and_fetch_nothing(
    listener: tuple[str, list[str]], tmp_path: Path
) -> None:
    base, hits = listener
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    for name, document in hostile_documents(base, secret).items():
        listed = parse_url_list(document, 10 * 1024 * 1024)
        # nothing expanded: the URLs found are no longer than the document itself
        assert sum(map(len, listed.pages + listed.sitemaps)) <= len(document), name
        found = " ".join(listed.pages)
        assert "TOPSECRET" not in found and "FETCHED" not in found, name
        assert all(len(u) < 100 for u in listed.pages), name
    assert hits == []  # no entity, DTD or XInclude was fetched


# -- paths --------------------------------------------------------------------------------------


def test_job_dir_never_comes_from_a_source_name(tmp_path: Path) -> None:
    for name in ("../../../escape", "/etc", "..", "a/../../b", "C:\\evil", "x\x00y"):
        job = CrawlJob(sources=(Source(name=name, start_urls=("https://x.test/",)),), out="o")
        job_dir = Path(job.resolved_job_dir)
        assert job_dir.parent == Path("o", "_crawl") and len(job_dir.name) == 16
        assert all(c in "0123456789abcdef" for c in job_dir.name)


HOSTILE_NAMES = [  # no leading dot: hidden files are not read
    "%2e%2e%2f%2e%2e%2fescape.html",
    "a\\..\\..\\escape.html",
    "$(touch escape).txt",
    "escape\n.html",
    "-rf escape.txt",
]


def test_input_file_names_never_become_output_paths(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for n, name in enumerate(HOSTILE_NAMES):
        (inputs / name).write_text(f"<html><body><p>Short page {n}.</p></body></html>")
    out = tmp_path / "work" / "corpus"
    run_ingest([str(inputs)], out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inputs", "work"]
    written = [p.relative_to(out) for p in out.rglob("*")]
    assert written and not [p for p in written if "escape" in str(p) or ".." in p.parts]
    rejected = Dataset(out).read("rejects", REJECTS_SCHEMA).to_pylist()
    assert len(rejected) == len(HOSTILE_NAMES)  # read as inputs, named only in rows
