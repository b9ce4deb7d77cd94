"""The public API in `crawler/__init__.py`: each name resolves to the thing it names, the
README-style use works, and importing a core module does not load the heavy libraries."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import crawler
from crawler.config import Settings
from crawler.record import RECORDS_SCHEMA
from crawler.store.dataset import Dataset

ARTICLE = """Regional Council Approves New Water Plan
By Maria Jensen
The regional council on Tuesday approved a ten-year plan to replace ageing water pipes across the valley, ending months of debate over how the work should be paid for.
Under the plan, households will see a modest rise in their water bills from next spring, while the council will borrow the rest of the money from the national infrastructure fund.
Opponents argued that the cost should have been shared with the industrial users who draw the most water.
Work on the first section, beneath the old market square, is expected to begin in March and to last about eighteen months.
"""


def test_every_public_name_is_the_object_of_its_home_module() -> None:
    assert set(crawler.__all__) == {*crawler._HOMES, "__version__"}
    for name in crawler.__all__:
        assert getattr(crawler, name) is not None
    assert crawler.Dataset is Dataset
    assert crawler.Settings is Settings
    assert set(crawler.__all__) <= set(dir(crawler))
    with pytest.raises(AttributeError):
        _ = crawler.workers  # type: ignore[attr-defined]


def test_one_document_and_one_run_through_the_api(tmp_path: Path) -> None:
    doc = crawler.process(
        crawler.RawInput("file:///a.txt", "text", ARTICLE, len(ARTICLE)), crawler.Settings()
    )
    assert doc.meta.title == "Regional Council Approves New Water Plan"
    assert "ten-year plan" in doc.text
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(ARTICLE)
    crawler.run_ingest([str(tmp_path / "in")], tmp_path / "corpus", crawler.Settings())
    rows = crawler.Dataset(tmp_path / "corpus").read("records", crawler.RECORDS_SCHEMA)
    assert rows.num_rows == 1
    assert crawler.RECORDS_SCHEMA is RECORDS_SCHEMA


def test_importing_a_core_module_stays_light() -> None:
    code = (
        "import sys, crawler, crawler.errors, crawler.config\n"
        "print(sorted(m for m in ('pyarrow', 'trafilatura', 'scrapy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
