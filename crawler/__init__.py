"""corpus: scraped news pages -> a clean, deduplicated Parquet corpus (the library)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("corpus")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+unknown"
