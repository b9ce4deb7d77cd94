"""The config file (`corpus.toml`) and its environment overrides.

Precedence, lowest first: built-in defaults < the config file < `CORPUS_*` environment
variables < command-line flags. The file is `--config FILE`, else `$CORPUS_CONFIG`, else
`./corpus.toml` when it exists, else none (defaults). Each key `k` of table `[t]` can be set
from the environment as `CORPUS_T_K` (upper case, dots as underscores): `CORPUS_DATASET`,
`CORPUS_SETTINGS_MIN_WORDS=50`, `CORPUS_SCHEDULE_INGEST_CRON="0 6 * * *"`. Lists from the
environment are comma-separated. Unknown keys and badly typed values are a ConfigError naming
the file (or variable) and the key.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from crawler.config import FilterSettings, Settings
from crawler.errors import ConfigError

DEFAULT_FILE = "corpus.toml"
ENV_FILE = "CORPUS_CONFIG"
ENV_PREFIX = "CORPUS_"


@dataclass(frozen=True)
class CrawlDefaults:
    """Defaults for `corpus crawl` and the crawl flow (flags and sources override them):
    corpus.toml's `[crawl]` table, where each is documented."""

    contact: str = ""
    max_pages: int = 0
    max_depth: int = -1
    workers: int = 0

    def job_options(
        self,
        *,
        max_pages: int | None = None,
        max_depth: int | None = None,
        workers: int | None = None,
        contact: str | None = None,
    ) -> dict[str, Any]:
        """Crawl job options: the given values, else this table's (None where it is "not set":
        0 pages or workers, depth -1)."""
        return {
            "max_pages": max_pages or self.max_pages or None,
            "max_depth": max_depth if max_depth is not None else self._depth(),
            "workers": workers or self.workers or None,
            "contact": self.contact if contact is None else contact,
        }

    def _depth(self) -> int | None:
        return None if self.max_depth < 0 else self.max_depth


@dataclass(frozen=True)
class IngestSchedule:
    """The served ingest deployment: picks up what lands in a drop folder (corpus.toml's
    `[schedule.ingest]`, where each key is documented)."""

    enabled: bool = True
    cron: str = "*/15 * * * *"
    timezone: str = "UTC"
    inbox: str = "data/inbox"


@dataclass(frozen=True)
class CrawlSchedule:
    """The served crawl deployment: re-crawls the sources file, new URLs only (corpus.toml's
    `[schedule.crawl]`, where each key is documented)."""

    enabled: bool = False
    cron: str = "0 3 * * *"
    timezone: str = "UTC"
    sources: str = "seeds/sources.toml"
    source_names: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Schedules:
    ingest: IngestSchedule = field(default_factory=IngestSchedule)
    crawl: CrawlSchedule = field(default_factory=CrawlSchedule)


@dataclass(frozen=True)
class RunLimits:
    """How runs behave when they meet each other or fail (scheduled runs above all):
    corpus.toml's `[runs]` table, where each is documented."""

    lock_wait_seconds: float = 600.0
    io_retries: int = 3
    io_retry_base_seconds: float = 2.0


@dataclass(frozen=True)
class CorpusConfig:
    """Everything configurable, with where it came from (`source` per dotted key)."""

    dataset: str = "data/corpus"  # the dataset directory (--out overrides)
    settings: Settings = field(default_factory=Settings)
    filters: FilterSettings = field(default_factory=FilterSettings)  # also in settings.filters
    crawl: CrawlDefaults = field(default_factory=CrawlDefaults)
    schedule: Schedules = field(default_factory=Schedules)
    runs: RunLimits = field(default_factory=RunLimits)
    path: str | None = None  # the file read, if any
    source: dict[str, str] = field(default_factory=dict, compare=False)

    def dataset_for(self, out: str | None) -> str:
        """The dataset directory of a run: `out` (a --out flag) if given, else `dataset`."""
        return self.dataset if not out else dataset_dir(out, "--out")


_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


def dataset_dir(location: str, where: str) -> str:
    """A dataset location as a local directory: a path, or a `file://` URL's path.

    Any other URL (s3://, gs://, hdfs://, http://) is a ConfigError naming `where`: datasets are
    local (or mounted) directories, and a URL must not become a folder named `s3:`.
    """
    scheme = _URL_SCHEME.match(location)
    if scheme is None:
        return location
    url = urlsplit(location)
    if scheme.group(1).lower() == "file" and url.netloc in ("", "localhost") and url.path:
        return unquote(url.path)
    raise ConfigError(
        f"{where}: {location!r} is a URL; the dataset must be a local or mounted directory "
        "(a path or file:///path)"
    )


def config_path(explicit: str | None = None, env: Mapping[str, str] | None = None) -> Path | None:
    """The config file to read: `explicit`, else $CORPUS_CONFIG, else ./corpus.toml if any."""
    env = os.environ if env is None else env
    named = explicit or env.get(ENV_FILE)
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(f"no such config file: {named}")
        return path
    default = Path(DEFAULT_FILE)
    return default if default.is_file() else None


def load_config(explicit: str | None = None, env: Mapping[str, str] | None = None) -> CorpusConfig:
    """Defaults, then the config file, then `CORPUS_*` environment variables."""
    env = os.environ if env is None else env
    path = config_path(explicit, env)
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    source: dict[str, str] = {}
    config: CorpusConfig = _apply(CorpusConfig(), data, "", str(path), source, env)
    where = f"{source['dataset']}: dataset" if source["dataset"] != "default" else "dataset"
    dataset = dataset_dir(config.dataset, where)
    config = replace(config, dataset=dataset, path=str(path) if path else None, source=source)
    config = replace(config, settings=replace(config.settings, filters=config.filters))
    config.settings.validate()
    return config


_SKIP = {"path", "source"}


def _apply(
    obj: Any,
    data: Mapping[str, Any],
    prefix: str,
    origin: str,
    source: dict[str, str],
    env: Mapping[str, str],
) -> Any:
    """A copy of dataclass `obj` with values from `data` (a TOML table), then the env."""
    known = {f.name for f in fields(obj) if "table" not in f.metadata} - _SKIP
    unknown = set(data) - known
    if unknown:
        keys = ", ".join(prefix + k for k in sorted(unknown))
        raise ConfigError(f"{origin}: unknown key(s): {keys}")
    changes: dict[str, Any] = {}
    for name in sorted(known):
        current = getattr(obj, name)
        key = prefix + name
        if is_dataclass(current):
            table = data.get(name, {})
            if not isinstance(table, dict):
                raise ConfigError(f"{origin}: {key} must be a table")
            changes[name] = _apply(current, table, key + ".", origin, source, env)
            continue
        source.setdefault(key, "default")
        if name in data:
            changes[name] = _typed(data[name], current, f"{origin}: {key}")
            source[key] = origin
        var = env_var(key)
        if var in env:
            changes[name] = _typed(_from_env(env[var], current), current, var)
            source[key] = f"${var}"
    return replace(obj, **changes)


def env_var(key: str) -> str:
    """`settings.min_words` -> `CORPUS_SETTINGS_MIN_WORDS`."""
    return ENV_PREFIX + key.replace(".", "_").upper()


def _from_env(text: str, default: Any) -> Any:
    if isinstance(default, bool):
        lowered = text.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        return text
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError:
            return text
    if isinstance(default, float):
        try:
            return float(text)
        except ValueError:
            return text
    if isinstance(default, list):
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


def _typed(value: Any, default: Any, where: str) -> Any:
    """`value` if it has the default's type (ints are accepted for floats)."""
    expected = type(default)
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, list):
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    else:
        ok = isinstance(value, expected)
    if not ok:
        raise ConfigError(f"{where}: expected {expected.__name__}, got {value!r}")
    return value


def flat_items(config: CorpusConfig) -> list[tuple[str, Any, str]]:
    """Every setting as (dotted key, value, where it came from), in file order."""
    rows: list[tuple[str, Any, str]] = []

    def walk(obj: Any, prefix: str) -> None:
        for f in fields(obj):
            if f.name in _SKIP or "table" in f.metadata:
                continue
            value = getattr(obj, f.name)
            key = prefix + f.name
            if is_dataclass(value):
                walk(value, key + ".")
            else:
                rows.append((key, value, config.source.get(key, "default")))

    walk(config, "")
    return rows
