"""Why a request produced no page: the (outcome, reason) a crawl reports for a failure.

Scrapy 2.19 wraps Twisted's errors in its own (DownloadTimeoutError, ResponseDataLossError,
DownloadFailedError...) and keeps the Twisted error as `__cause__`: a connection reset and a
truncated body both end as data loss, told apart by the Twisted reasons inside.
"""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.web.client import ResponseFailed

from crawler.crawl.netguard import Refused, RefusedAddressError

_BY_NAME = {
    "DownloadTimeoutError": "timeout",
    "TimeoutError": "timeout",
    "TCPTimedOutError": "timeout",
    "CannotResolveHostError": "dns",
    "DNSLookupError": "dns",
    "DownloadConnectionRefusedError": "connection_refused",
    "ConnectionRefusedError": "connection_refused",
    "ConnectionLost": "connection_reset",
    "ConnectionDone": "connection_closed",
    "ResponseDataLossError": "truncated",
    "TunnelError": "proxy_error",
}


def _twisted_reasons(exc: BaseException) -> list[BaseException]:
    """The Twisted errors behind a wrapped download error (ResponseFailed's reasons)."""
    cause = exc.__cause__
    if isinstance(exc, ResponseFailed):
        cause = exc
    if isinstance(cause, ResponseFailed):
        return [r.value for r in cause.reasons if r.value is not None]
    return [cause] if cause is not None else []


def failure_reason(exc: BaseException) -> tuple[str, str]:
    """(outcome, reason) for a failed request: "skipped" for what the crawl refused or the
    site answered with an error status, "error" for failed downloads."""
    if isinstance(exc, Refused):
        return "skipped", exc.reason
    if isinstance(exc, HttpError):
        return "skipped", f"http_{exc.response.status}"
    if isinstance(exc, IgnoreRequest):
        text = str(exc)
        if "robots.txt" in text:
            return "skipped", "robots_disallowed"
        if "max redirections" in text:
            return "skipped", "too_many_redirects"
        if "offsite" in text.lower():
            return "skipped", "offsite"
        return "skipped", "ignored"
    name = type(exc).__name__
    if name in ("CancelledError", "DownloadCancelledError"):
        return "skipped", "too_large"  # DOWNLOAD_MAXSIZE cancels the download
    reasons = _twisted_reasons(exc)
    if any(isinstance(r, RefusedAddressError) for r in [exc, *reasons]):
        return "skipped", "private_address"  # refused at connection time (DNS rebinding)
    if any(isinstance(r, ConnectionLost) for r in reasons):
        return "error", "connection_reset"  # RST, also in the middle of a body
    if name in _BY_NAME:
        return "error", _BY_NAME[name]
    if any(isinstance(r, ConnectionDone) for r in reasons):
        return "error", "connection_closed"  # closed cleanly before a response
    return "error", name
