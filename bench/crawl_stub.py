"""The extraction stubbed out, for `bench/crawl_bench.py`'s `loop` crawl: a module of its own,
importing nothing, so that the page workers that import it to run it pay no import of the
bench's own modules (the generated site's server, `http.server` and what it pulls in: ~0.3 s
of CPU in each worker)."""

from __future__ import annotations

from typing import Any


def stub_clean_page(page: Any, settings: Any) -> tuple[None, dict[str, Any]]:
    """The extraction stubbed out: every page a reject, nothing parsed (the `loop` crawl)."""
    detail = "extraction stubbed out by bench/crawl_bench.py"
    return None, {
        "source_uri": page.url,
        "reason": "stubbed",
        "detail": detail,
        "size_bytes": len(page.body),
        "input_hash": None,
    }
