"""Whether a crawl that stored nothing could fetch nothing, and why, in one line with a hint:
`corpus crawl` then exits non-zero instead of reporting an empty, "finished" crawl."""

from __future__ import annotations

from crawler.crawl.report import CrawlReport

NETWORK_ERRORS = ("dns", "timeout", "connection_refused", "connection_reset", "connection_closed")


def _counts(found: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(found.items()))


def nothing_fetched(report: CrawlReport) -> str | None:
    """The reason, if the crawl ran to its end with no page fetched and nothing stored, for
    want of the network (download errors, robots.txt unreachable) or of permission (private
    addresses refused); None otherwise (a re-crawl that found everything stored included)."""
    crawl, skipped, errors = report.crawl, report.crawl["skipped"], report.crawl["errors"]
    if not report.finished or crawl["pages_fetched"] or crawl["stored"]:
        return None
    if report.summary.get("added") or skipped.get("already_in_dataset"):
        return None
    private = skipped.get("private_address", 0)
    unreachable = {k: v for k, v in errors.items() if v} | {
        k: v for k, v in skipped.items() if k == "robots_unavailable" and v
    }
    if private and not unreachable:
        return (
            f"nothing fetched: {private} request(s) to a private or loopback address refused; "
            "allow them with --allow-net CIDR (e.g. --allow-net 127.0.0.0/8) or --allow-private"
        )
    if unreachable:
        down = any(k in NETWORK_ERRORS or k == "robots_unavailable" for k in unreachable)
        hint = "; network down / DNS failed?" if down else ""
        also = f", private addresses refused {private}" if private else ""
        return f"nothing fetched: {_counts(unreachable)}{also}{hint}"
    return None  # skipped for other reasons (robots.txt rules, not due yet...): not a failure
