"""One frozen settings object; CLI flags and flow parameters override its fields."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field, fields, replace
from typing import Any

from crawler.errors import ConfigError


@dataclass(frozen=True)
class FilterSettings:
    """The optional quality filters (crawler/filters/): corpus.toml's `[filters]` table,
    documented there."""

    languages: list[str] = field(default_factory=list)

    def validate(self) -> None:
        bad = [code for code in self.languages if not re.fullmatch(r"[a-z]{2}", code)]
        if bad:
            raise ConfigError(
                f"filters.languages: {', '.join(map(repr, bad))} is not a two-letter lower-case "
                'ISO 639-1 code (like "en" or "de")'
            )


@dataclass(frozen=True)
class Settings:
    """Every knob of an ingest run. Defaults suit news pages.

    Each field is documented once, in corpus.toml (the shipped file lists every key with its
    default; tests/crawler/test_config_file.py checks that none is missing)."""

    batch_size: int = 200
    workers: int = 0
    max_input_bytes: int = 20 * 1024 * 1024
    min_words: int = 30
    min_article_words: int = 5
    shingle_size: int = 5
    num_perm: int = 64
    lsh_bands: int = 32
    near_dup_threshold: float = 0.8
    use_line_stats: bool = True
    follow_symlinks: bool = False
    max_lines: int = 50_000
    max_line_chars: int = 100_000
    max_html_elements: int = 50_000
    max_html_attributes: int = 10_000
    max_html_depth: int = 255
    max_doc_seconds: float = 60.0
    gone_retry_days: float = 30.0
    listing_revisit_hours: float = 12.0
    # read from the config file's top-level `[filters]` table, not from `[settings]`
    filters: FilterSettings = field(default_factory=FilterSettings, metadata={"table": "filters"})

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the given fields replaced (None values are ignored)."""
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        if isinstance(overrides.get("filters"), dict):  # from asdict(), e.g. a crawl job's
            overrides["filters"] = FilterSettings(**overrides["filters"])
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        settings = replace(self, **{k: v for k, v in overrides.items() if v is not None})
        settings.validate()
        return settings

    def worker_count(self) -> int:
        """The processes that clean inputs: `workers`, or one per CPU when it is 0."""
        return self.workers or os.cpu_count() or 1

    def dedup_params(self) -> dict[str, int]:
        """The settings a dataset's persisted dedup index depends on."""
        return {
            "num_perm": self.num_perm,
            "lsh_bands": self.lsh_bands,
            "shingle_size": self.shingle_size,
        }

    def validate(self) -> None:
        if self.batch_size < 1:
            raise ConfigError("batch_size must be >= 1")
        if self.workers < 0:
            raise ConfigError("workers must be >= 0 (0: one per CPU)")
        if self.num_perm % self.lsh_bands:
            raise ConfigError("num_perm must be a multiple of lsh_bands")
        if not 0 < self.near_dup_threshold <= 1:
            raise ConfigError("near_dup_threshold must be in (0, 1]")
        if (
            self.max_input_bytes < 1
            or self.min_words < 0
            or self.min_article_words < 0
            or self.shingle_size < 1
        ):
            raise ConfigError(
                "max_input_bytes, min_words, min_article_words and shingle_size must be positive"
            )
        counts = ("max_lines", "max_line_chars", "max_html_elements", "max_html_attributes")
        if any(getattr(self, name) < 1 for name in counts):
            raise ConfigError(f"{', '.join(counts)} must be >= 1")
        if not 1 <= self.max_html_depth <= 255:
            raise ConfigError("max_html_depth must be in 1..255 (lxml keeps 256 levels)")
        if not (
            0 <= self.gone_retry_days < math.inf and 0 <= self.listing_revisit_hours < math.inf
        ):
            raise ConfigError("gone_retry_days and listing_revisit_hours must be >= 0")
        if not 0 < self.max_doc_seconds < math.inf:
            raise ConfigError("max_doc_seconds must be a positive number of seconds")
        self.filters.validate()
