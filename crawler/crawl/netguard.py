"""Refuse requests to private, loopback, link-local, multicast and other non-public addresses.

Two guards, so neither a redirect nor DNS can smuggle a request into the local network:

- `AddressGuardMiddleware` (downloader middleware) checks every request before it goes out,
  redirect hops included (a redirect is a new request through the middleware chain): only
  http/https, and every address the host resolves to must be allowed.
- `GuardedResolver` (TWISTED_DNS_RESOLVER) checks the address the downloader actually
  connects to, so a name that resolves differently the second time (DNS rebinding) is refused
  at connection time too.

An address is judged in whatever spelling it comes: numeric host names ("2130706433",
"0x7f.1"), and IPv6 forms of IPv4 addresses (mapped, NAT64, 6to4, Teredo) as that IPv4 address.

Settings: CORPUS_ALLOW_PRIVATE (allow every address) and CORPUS_ALLOWED_NETWORKS (CIDRs allowed
even though they are not public, e.g. ["127.0.0.0/8"] for a test server on loopback).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from scrapy.settings import BaseSettings
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import defer
from twisted.internet.base import ReactorBase
from twisted.internet.error import DNSLookupError

from crawler.extract.urls import HTTP_SCHEMES

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Refused(IgnoreRequest):
    """A request the crawl will not send; `reason` is the skip reason reported for it."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# Not public although Python 3.11's is_global says so (fixed in later releases).
_NOT_PUBLIC = tuple(
    ipaddress.ip_network(n)
    for n in (
        "192.0.0.0/24",  # IETF protocol assignments
        "::/96",  # IPv4-compatible IPv6 (deprecated): ::127.0.0.1
        "fec0::/10",  # site-local IPv6 (deprecated)
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215): a translator inside some network
    )
)
# The well-known NAT64 prefix: the IPv4 address in the last 32 bits, reached via a gateway.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for: IPv4-mapped (::ffff:10.0.0.1), NAT64
    (64:ff9b::a00:1), 6to4 (2002:a00:1::) or the Teredo client; None for plain IPv6."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    return ip.teredo[1] if ip.teredo is not None else None


@dataclass(frozen=True)
class AddressPolicy:
    """Which IP addresses a crawl may connect to."""

    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> AddressPolicy:
        networks = settings.getlist("CORPUS_ALLOWED_NETWORKS")
        return cls(
            allow_private=settings.getbool("CORPUS_ALLOW_PRIVATE"),
            allowed_networks=tuple(ipaddress.ip_network(n, strict=False) for n in networks),
        )

    def allows(self, address: str) -> bool:
        """True when a connection to this address is allowed. An IPv6 address that stands for
        an IPv4 address is judged as that IPv4 address."""
        try:
            ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address):
            ip = embedded_ipv4(ip) or ip
        if self.allow_private or any(ip in net for net in self.allowed_networks):
            return True
        public = ip.is_global and not ip.is_multicast
        return public and not any(ip in net for net in _NOT_PUBLIC)

    def refused(self, addresses: Iterable[str]) -> list[str]:
        """The addresses among these that are not allowed."""
        return [a for a in addresses if not self.allows(a)]


_NUMERIC_HOST = re.compile(r"^[0-9a-fx.]+$", re.IGNORECASE)


def ip_literal(host: str) -> str | None:
    """The address a host name spells, in any notation the C resolver accepts ("[::1]",
    "127.1", "2130706433", "0x7f.0.0.1", "0177.0.0.1"), or None for a name to resolve."""
    host = host.strip("[]").split("%", 1)[0]
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host):
        try:
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return None
    return None


async def resolve_all(host: str, port: int) -> list[str]:
    """Every address a host name resolves to (IPv4 and IPv6)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


class AddressGuardMiddleware:
    """Downloader middleware: refuse non-http(s) URLs and hosts with non-public addresses."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self._verdicts: dict[str, list[str]] = {}  # host -> refused addresses ([] = fine)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        return cls(AddressPolicy.from_settings(crawler.settings))

    async def process_request(self, request: Request) -> None:
        parts = request.url.split("://", 1)
        scheme = parts[0].lower() if len(parts) == 2 else ""
        if scheme not in HTTP_SCHEMES:
            raise Refused("unsupported_scheme", request.url)
        parsed = urlparse_cached(request)
        host = (parsed.hostname or "").rstrip(".")
        if not host:
            raise Refused("unsupported_scheme", f"no host in {request.url}")
        refused = await self._refused(host, parsed.port or (443 if scheme == "https" else 80))
        if refused:
            via = request.meta.get("redirect_urls")
            hop = f" (redirected from {via[0]})" if via else ""
            raise Refused("private_address", f"{host} -> {', '.join(refused)}{hop}")

    async def _refused(self, host: str, port: int) -> list[str]:
        if host not in self._verdicts:
            literal = ip_literal(host)
            if literal is not None:
                self._verdicts[host] = self.policy.refused([literal])
            else:
                try:
                    addresses = await resolve_all(host, port)
                except OSError:
                    return []  # unresolvable: the download fails with a DNS error, reported
                self._verdicts[host] = self.policy.refused(addresses)
        return self._verdicts[host]


class RefusedAddressError(DNSLookupError):
    """A host name that resolved to a non-public address when the downloader connected."""


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, failing lookups whose answer is not an allowed address."""

    policy = AddressPolicy()

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> GuardedResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.policy = AddressPolicy.from_settings(crawler.settings)
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> defer.Deferred[str]:
        d = super().getHostByName(name, timeout)
        d.addCallback(self._check, name)
        return d

    def _check(self, address: Any, name: str) -> Any:
        if not self.policy.allows(str(address)):
            raise RefusedAddressError(f"{name} resolves to {address}, a non-public address")
        return address
