"""What a crawl did: Scrapy's stats boiled down, the events by URL, and the run summary."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from crawler.report.summary import Section, render_text, summary_sections
from crawler.run_types import RunSummary

SKIPPED_STORED = frozenset({"already_in_dataset"})  # skipped because they are stored already
NOT_STORED_SHOWN = 20  # pages not stored listed one by one in the text report


def _by_prefix(stats: dict[str, Any], prefix: str) -> dict[str, int]:
    return {
        k[len(prefix) :]: int(v)
        for k, v in sorted(stats.items())
        if k.startswith(prefix) and isinstance(v, int | float)
    }


def crawl_counts(stats: dict[str, Any]) -> dict[str, Any]:
    """The figures a user asks about, from Scrapy's stats dict."""
    skipped = _by_prefix(stats, "corpus/skipped/")
    if stats.get("offsite/filtered"):  # Scrapy also drops redirects off the allowed domains
        skipped["offsite"] = int(stats["offsite/filtered"])
    return {
        "pages_fetched": int(stats.get("response_received_count", 0)),
        "articles": int(stats.get("corpus/pages/article", 0)),
        "listings": int(stats.get("corpus/pages/listing", 0)),
        "stored": int(stats.get("corpus/stored", 0)),
        "dropped": _by_prefix(stats, "corpus/dropped/"),
        "skipped": skipped,
        "errors": _by_prefix(stats, "corpus/error/"),
        "recovered": _by_prefix(stats, "corpus/recovered/"),
        "retries": int(stats.get("retry/count", 0)),
        "status": _by_prefix(stats, "downloader/response_status_count/"),
        "bytes": int(stats.get("downloader/response_bytes", 0)),
        "seconds": round(float(stats.get("elapsed_time_seconds", 0.0)), 3),
    }


@dataclass
class CrawlReport:
    """Returned by `run_crawl_job`, printed by `corpus crawl`, returned by the crawl flow."""

    finish_reason: str
    job_dir: str
    finished: bool  # the crawl ran to the end (its job dir is removed)
    crawl: dict[str, Any]
    summary: dict[str, Any]
    events: list[dict[str, str]] = field(default_factory=list)
    log: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any], log: str = "") -> CrawlReport:
        known = {k: data[k] for k in ("finish_reason", "job_dir", "finished", "crawl", "summary")}
        return cls(**known, events=data.get("events", []), log=log)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("log")
        data["not_stored"] = self.not_stored()
        return data

    def not_stored(self) -> list[dict[str, str]]:
        """Every page the crawl met and did not store, with its outcome and reason (listing
        pages, refused items, HTTP errors, failed downloads...); pages already in the dataset
        are left out (they are stored)."""
        return [
            e
            for e in self.events
            if e["outcome"] != "recovered" and e["reason"] not in SKIPPED_STORED
        ]

    def reasons(self, outcome: str) -> dict[str, list[str]]:
        """URLs by reason, for one outcome ("skipped", "dropped", "error" or "recovered")."""
        found: dict[str, list[str]] = {}
        for event in self.events:
            if event["outcome"] == outcome:
                found.setdefault(event["reason"], []).append(event["url"])
        return found


def crawl_sections(report: CrawlReport) -> list[Section]:
    """The crawl's own figures: pages, outcomes by reason, and how to resume a stopped crawl."""
    c = report.crawl
    state = "finished" if report.finished else f"stopped ({report.finish_reason}); resumable"
    lines = [
        f"{c['pages_fetched']} responses in {c['seconds']} s, {c['articles']} articles, "
        f"{c['listings']} listing pages, {c['stored']} stored",
        *(
            f"{outcome}: {', '.join(f'{k} {v}' for k, v in c[outcome].items()) or 'none'}"
            for outcome in ("dropped", "skipped", "errors", "recovered")
        ),
    ]
    missed = report.not_stored()
    if missed:
        more = len(missed) - NOT_STORED_SHOWN
        lines.append(
            f"{len(missed)} pages not stored"
            + (f" (first {NOT_STORED_SHOWN}; all in --json)" if more > 0 else "")
            + ":"
        )
        lines += [f"  {e['reason']}: {e['url']}" for e in missed[:NOT_STORED_SHOWN]]
    if not report.finished:
        lines.append(f"job dir {report.job_dir}: run the same command again to resume")
    return [Section(f"crawl {state}", lines)]


def report_sections(report: CrawlReport) -> list[Section]:
    """The crawl's figures, then the ingest-style summary of what was committed."""
    return crawl_sections(report) + summary_sections(RunSummary(**report.summary))


def format_crawl_report(report: CrawlReport) -> str:
    """The crawl report as `corpus crawl` prints it."""
    return render_text(report_sections(report))
