"""A page's links made absolute cheaply: a site repeats the same links on every page.

`urllib.parse.urljoin` costs ~20 us a link; the fetch loop joins every distinct link of every
page twice (the page type, then the links to follow). Where the answer depends on the base URL
only through its scheme and host (root-relative links, "/a/b", and absolute http(s) links) it
is remembered across pages; other links are joined as they come.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urljoin

from crawler.extract.urls import host_of, is_not_a_page

_ORIGIN = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*")
# an absolute http(s) link with a host: its join does not read the base's path
_ABSOLUTE = re.compile(r"https?://[^/?#]", re.IGNORECASE)
# urljoin drops tabs and line ends wherever they are, then reads the link ("http:\t//x")
_DROPPED = re.compile(r"[\t\r\n]")
_CACHED = 65536  # joins (and hosts) remembered, about 10 MB at most


@lru_cache(maxsize=_CACHED)
def _join(origin: str, href: str) -> str:
    return urljoin(origin, href)


def join_url(base: str, href: str) -> str:
    """`urljoin(base, href)`, the same string."""
    if _DROPPED.search(href):  # such a link is only known for what it is once they are gone
        return urljoin(base, href)
    if (href[:1] == "/" and href[1:2] != "/") or _ABSOLUTE.match(href):
        origin = _ORIGIN.match(base)
        if origin is not None:
            return _join(origin.group() + "/", href)
    return urljoin(base, href)


@lru_cache(maxsize=_CACHED)
def host(url: str) -> str:
    """`crawler.extract.urls.host_of`, remembered (the same URLs are linked from many pages)."""
    return host_of(url)


@lru_cache(maxsize=_CACHED)
def not_a_page(url: str) -> bool:
    """`crawler.extract.urls.is_not_a_page`, remembered."""
    return is_not_a_page(url)
