"""What earlier crawls learnt about URLs that are not articles, so a re-crawl skips them.

The dataset's `_index/urls` table: one row per URL that answered 404 or 410 ("gone") or turned
out to be a listing page ("listing"), with when that was seen; written with the crawl's commit.
A gone URL is not requested again for `gone_retry_days`; a listing page is not fetched again
for `listing_revisit_hours`, unless a sitemap or feed dates it after that visit. Start URLs are
always fetched. The latest row of a URL wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyarrow as pa

from crawler.schemas import URL_STATES_SCHEMA
from crawler.store.dataset import Dataset

URL_STATES_TABLE = "_index/urls"
GONE, LISTING = "gone", "listing"


@dataclass(frozen=True)
class UrlState:
    state: str
    seen_at: datetime


def load_url_states(dataset: Dataset) -> dict[str, UrlState]:
    """The latest state of every URL in the table."""
    rows = dataset.read(URL_STATES_TABLE, URL_STATES_SCHEMA, ["url", "state", "seen_at"])
    states: dict[str, UrlState] = {}
    for url, state, seen in zip(
        rows["url"].to_pylist(), rows["state"].to_pylist(), rows["seen_at"].to_pylist(), strict=True
    ):
        known = states.get(url)
        if known is None or seen >= known.seen_at:
            states[url] = UrlState(state, seen)
    return states


@dataclass(frozen=True)
class RevisitPolicy:
    gone_retry: timedelta
    listing_revisit: timedelta

    @classmethod
    def of(cls, gone_retry_days: float, listing_revisit_hours: float) -> RevisitPolicy:
        return cls(timedelta(days=gone_retry_days), timedelta(hours=listing_revisit_hours))

    def skip_reason(
        self, known: UrlState | None, now: datetime, dated: datetime | None = None
    ) -> str | None:
        """Why a URL need not be fetched now ("known_gone", "listing_not_due"), or None."""
        if known is None:
            return None
        if known.state == GONE and now - known.seen_at < self.gone_retry:
            return "known_gone"
        recent = now - known.seen_at < self.listing_revisit
        if known.state == LISTING and recent and (dated is None or dated <= known.seen_at):
            return "listing_not_due"
        return None


def state_rows(found: dict[str, tuple[str, int]], run_id: str, now: datetime) -> pa.Table:
    """The rows a crawl adds: {url: (state, status)} seen at `now`."""
    return pa.Table.from_pylist(
        [
            {"url": u, "state": s, "status": code, "seen_at": now, "run_id": run_id}
            for u, (s, code) in sorted(found.items())
        ],
        schema=URL_STATES_SCHEMA,
    )


def utcnow() -> datetime:
    return datetime.now(UTC)
