"""The seed dumps clean to exactly the expected bodies and metadata (tests/golden)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import GOLDEN, SEEDS

from crawler.extract.boilerplate import clean_text

EXPECTED = [
    json.loads(line)
    for line in (GOLDEN / "expected.jsonl").read_text("utf-8").splitlines()
    if line.strip()
]


@pytest.mark.parametrize("rec", EXPECTED, ids=[r["keep"] for r in EXPECTED])
def test_seed_record(rec: dict[str, Any]) -> None:
    res = clean_text((SEEDS / rec["keep"]).read_text("utf-8"))
    assert "\n".join(res.paragraphs) == rec["text"]
    assert res.meta.title == rec["title"]
    assert res.meta.publisher == rec["publisher"]
    assert res.captions == rec.get("captions", [])


def test_near_duplicate_seed_is_its_body_minus_chrome() -> None:
    rec = next(r for r in EXPECTED if len(r["sources"]) > 1)
    other = next(s for s in rec["sources"] if s != rec["keep"])
    res = clean_text((SEEDS / other).read_text("utf-8"))
    expected = rec["text"].split("\n")
    assert res.paragraphs == expected[1:]  # it lacks the first paragraph
    assert res.meta.title == rec["title"]


def test_seed_audit_has_no_body_text_removed() -> None:
    for rec in EXPECTED:
        res = clean_text((SEEDS / rec["keep"]).read_text("utf-8"))
        body = set(rec["text"].split("\n"))
        assert not [r for r in res.removed if r.text in body]
