"""What earlier crawls learnt about URLs, so a re-crawl skips what has not changed.

The dataset's `_index/urls` table: one row per URL that answered 404 or 410 ("gone"), turned
out to be a listing page ("listing"), or was fetched as an article ("article", with the
response's ETag and Last-Modified), with when that was seen; written with the crawl's commit.
A gone URL is not requested again for `gone_retry_days`; a listing page is not fetched again
for `listing_revisit_hours`, unless a sitemap or feed dates it after that visit. A stored
article is requested again only when a sitemap or feed dates it after its last fetch, and then
conditionally (If-None-Match / If-Modified-Since: an unchanged page answers 304, which costs no
extraction); a changed text becomes a revision (docs/dataset.md). Start URLs are always
fetched. The latest row of a URL wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from crawler.schemas import URL_STATES_SCHEMA
from crawler.store.dataset import Dataset

URL_STATES_TABLE = "_index/urls"
GONE, LISTING, ARTICLE = "gone", "listing", "article"


@dataclass(frozen=True)
class UrlState:
    state: str
    seen_at: datetime
    etag: str | None = None
    last_modified: str | None = None

    def validators(self) -> dict[str, str]:
        """The conditional request headers that ask for this page only if it changed."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


def load_url_states(dataset: Dataset) -> dict[str, UrlState]:
    """The latest state of every URL in the table."""
    columns = ["url", "state", "seen_at", "etag", "last_modified"]
    states: dict[str, UrlState] = {}
    for row in dataset.read(URL_STATES_TABLE, URL_STATES_SCHEMA, columns).to_pylist():
        known = states.get(row["url"])
        if known is None or row["seen_at"] >= known.seen_at:
            states[row["url"]] = UrlState(
                row["state"], row["seen_at"], row["etag"], row["last_modified"]
            )
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

    @staticmethod
    def recheck(known: UrlState | None, dated: datetime | None) -> bool:
        """Whether a stored article is requested again: a sitemap or feed dates it after its
        last fetch (or the dataset has no fetch time for it, from before URL states)."""
        if dated is None:
            return False
        return known is None or known.state != ARTICLE or dated > known.seen_at


def state_rows(found: Mapping[str, tuple[Any, ...]], run_id: str, now: datetime) -> pa.Table:
    """The rows a crawl adds: {url: (state, status[, etag, last_modified])} seen at `now`."""
    rows = []
    for url, (state, code, *validators) in sorted(found.items()):
        etag, modified = (*validators, None, None)[:2]
        rows.append(
            {
                "url": url,
                "state": state,
                "status": code,
                "seen_at": now,
                "run_id": run_id,
                "etag": etag,
                "last_modified": modified,
            }
        )
    return pa.Table.from_pylist(rows, schema=URL_STATES_SCHEMA)


def utcnow() -> datetime:
    return datetime.now(UTC)
