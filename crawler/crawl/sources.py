"""Crawl sources: what to start from, where a crawl may go, and how far."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from crawler.errors import ConfigError
from crawler.extract.urls import canonicalize_url, host_of

DEFAULT_MAX_PAGES = 500
DEFAULT_MAX_DEPTH = 3


@dataclass(frozen=True)
class Source:
    """One outlet (or one ad-hoc set of URLs) to crawl."""

    name: str
    start_urls: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] = ()  # empty: the hosts of the URLs above
    article_pattern: str | None = None  # regex on URLs: a hint for priority and page type
    max_pages: int = DEFAULT_MAX_PAGES  # HTML pages requested for this source
    max_depth: int = DEFAULT_MAX_DEPTH  # link hops from a start URL, sitemap or feed entry
    notes: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        seeds = (*self.start_urls, *self.sitemaps, *self.feeds)
        if not seeds:
            raise ConfigError(f"source {self.name!r}: no start_urls, sitemaps or feeds")
        for url in seeds:
            if canonicalize_url(url) is None:
                raise ConfigError(f"source {self.name!r}: not an http(s) URL: {url}")
        if self.max_pages < 1 or self.max_depth < 0:
            raise ConfigError(f"source {self.name!r}: max_pages >= 1 and max_depth >= 0 please")
        if self.article_pattern is not None:
            try:
                re.compile(self.article_pattern)
            except re.error as exc:
                raise ConfigError(f"source {self.name!r}: bad article_pattern: {exc}") from exc
        if not self.allowed_domains:
            object.__setattr__(self, "allowed_domains", tuple(sorted({host_of(u) for u in seeds})))
        domains = tuple(d.lower().strip(".") for d in self.allowed_domains)
        object.__setattr__(self, "allowed_domains", domains)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Source:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown source key(s): {', '.join(sorted(unknown))}")
        if "name" not in data:
            raise ConfigError("a source needs a name")
        values: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in data.items()
        }
        return cls(**values)


def load_sources(path: str | Path, names: list[str] | None = None) -> list[Source]:
    """The `[[source]]` tables of a TOML file; only the named ones when names are given."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"no such sources file: {path}")
    try:
        data = tomllib.loads(file.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    sources = [Source.from_dict(entry) for entry in data.get("source", [])]
    if names:
        missing = set(names) - {s.name for s in sources}
        if missing:
            raise ConfigError(f"{path}: no source named {', '.join(sorted(missing))}")
        sources = [s for s in sources if s.name in names]
    if not sources:
        raise ConfigError(f"{path}: no [[source]] entries")
    return sources
