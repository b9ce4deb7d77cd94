"""The chain: one raw input -> one Document, whatever way it came in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

_DUMP_ONLY = """
import sys
from crawler.config import Settings
from crawler.extract.chain import process
from crawler.readers.files import RawInput
import crawler.run.clean  # what an ingest worker's forkserver preloads

text = "A headline for the test\\n\\n" + " ".join(["The council voted on the budget today."] * 12)
doc = process(RawInput("page.txt", "text", text, len(text)), Settings())
assert doc.text, "the dump gave no text"
heavy = sorted(m for m in ("trafilatura", "readability", "lxml.html", "crawler.extract.html")
               if m in sys.modules)
print(",".join(heavy))
"""


@pytest.mark.slow
def test_a_run_of_page_dumps_never_imports_the_html_extractor() -> None:
    # trafilatura, readability and lxml.html cost ~0.25 s of every worker process's start-up.
    out = subprocess.run(
        [sys.executable, "-c", _DUMP_ONLY],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert out.stdout.strip() == ""


def test_an_html_input_still_goes_through_the_html_extractor() -> None:
    from crawler.config import Settings
    from crawler.extract.chain import process
    from crawler.readers.files import RawInput

    body = "".join(f"<p>{'The council voted on the budget today. ' * 6}</p>" for _ in range(4))
    page = f"<html><head><title>Budget vote</title></head><body><article>{body}</article></body></html>"
    doc = process(RawInput("page.html", "html", page, len(page)), Settings())
    assert "council voted" in doc.text
