"""URL canonicalization: one article, one URL, whatever tracking decorated the link."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# Query parameters that only say where a click came from, never which page to serve.
_TRACKING = re.compile(
    r"^(?:utm_\w+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|twclid|igshid|mc_cid|mc_eid"
    r"|_ga|_gl|_hsenc|_hsmi|mkt_tok|oly_anon_id|oly_enc_id|vero_id|wt_mc|at_medium|at_campaign"
    r"|cmpid|ncid|sr_share|share|ref_src|ref_url|__twitter_impression)$",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
HTTP_SCHEMES = ("http", "https")


def canonicalize_url(url: str, base: str | None = None) -> str | None:
    """The canonical form of an http(s) URL, or None for anything else.

    Lower-cased scheme and host, default port dropped, fragment dropped, tracking parameters
    removed (the order of the others is kept: some sites care), empty path -> "/".
    """
    return _canonical(urljoin(base, url.strip()) if base else url.strip())


@lru_cache(maxsize=65536)  # the same navigation links appear on every page of a site
def _canonical(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in HTTP_SCHEMES or not host:
        return None
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in query if not _TRACKING.match(k)]
    new_query = parts.query if len(kept) == len(query) else urlencode(kept)
    return urlunsplit((scheme, netloc, parts.path or "/", new_query, ""))


def host_of(url: str) -> str:
    """The lower-cased host of a URL ("" when it has none)."""
    try:
        return (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""


def in_domains(host: str, domains: tuple[str, ...]) -> bool:
    """True when host is one of the domains or a subdomain of one."""
    return any(host == d or host.endswith("." + d) for d in domains)


# Paths that are never an HTML page a reader opens: CMS endpoints (WordPress's REST API, XML-RPC,
# admin and login, comment feeds), Cloudflare's e-mail obfuscation, feeds and data files linked
# from a page (sitemaps and feeds are read from the source's own lists, not followed as links).
_NOT_A_PAGE = re.compile(
    r"(?:^|/)(?:cdn-cgi|wp-json|wp-admin|wp-includes|xmlrpc\.php|wp-login\.php|feed|rss|atom"
    r"|comments/feed|oembed|trackback)(?:/|$)"
    r"|\.(?:txt|json|xml|rss|atom|rdf|ics|vcf|csv|gz|zip)$",
    re.IGNORECASE,
)


def is_not_a_page(url: str) -> bool:
    """True for a link that is obviously no HTML page (see _NOT_A_PAGE): not worth a request."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return True
    return bool(_NOT_A_PAGE.search(path))


_NUMBERS = re.compile(r"\d+")


def url_shape(url: str) -> str:
    """The URL with its numbers blanked and its query values dropped: the pages of a calendar,
    or one page under endless parameter variants, share a shape ("host/calendar/0/0/?view")."""
    parts = urlsplit(url)
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    host = parts.netloc.rsplit("@", 1)[-1].lower()
    shape = f"{host}{_NUMBERS.sub('0', parts.path)}"
    return f"{shape}?{'&'.join(keys)}" if keys else shape
