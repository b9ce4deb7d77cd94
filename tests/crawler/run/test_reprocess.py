"""`corpus reprocess`: the current chain over the inputs still on disk, one atomic commit, a
report of what changed, stable doc_ids, vanished inputs kept, nothing changed -> no commit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from dumpsite import HEADLINE, write_site

from crawler.config import Settings
from crawler.record import RECORDS_SCHEMA
from crawler.report.changes import compare
from crawler.run.ingest import run_ingest
from crawler.run.reprocess import reprocess
from crawler.schemas import INDEX_INPUTS_SCHEMA
from crawler.store.dataset import Dataset
from flows.cli import main


def records(root: Path) -> dict[str, dict[str, Any]]:
    rows = Dataset(root).read("records", RECORDS_SCHEMA).to_pylist()
    return {r["doc_id"]: r for r in rows}


@pytest.fixture
def site_dataset(tmp_path: Path) -> Path:
    """The site ingested with line statistics off (the headline is kept in every text)."""
    write_site(tmp_path / "site")
    out = tmp_path / "corpus"
    run_ingest([str(tmp_path / "site")], out, Settings(use_line_stats=False))
    return out


def test_a_cleaner_setting_changed_replaces_the_texts_and_keeps_the_ids(site_dataset: Path) -> None:
    before = records(site_dataset)
    assert all(r["text"].startswith("Council approves") for r in before.values())
    runs = len(Dataset(site_dataset).manifest()["runs"])

    report = reprocess(site_dataset, Settings(use_line_stats=True))

    after = records(site_dataset)
    assert report.committed and report.changed == 4 and report.added == report.removed == 0
    assert set(after) == set(before)  # same sources: same doc_ids
    assert not any(r["text"].startswith("Council approves") for r in after.values())
    assert {r["title"] for r in after.values()} == {HEADLINE.format(n) for n in range(4)}
    assert all(r["ingested_at"] == before[d]["ingested_at"] for d, r in after.items())
    for change in report.text_changes:
        assert change["words_after"] < change["words_before"] and change["similarity"] < 1
    assert len(Dataset(site_dataset).manifest()["runs"]) == runs + 1
    assert Dataset(site_dataset).problems(checksums=True) == []
    # glob readers see each record once, with the new text
    glob = str(site_dataset / "records" / "**" / "*.parquet")
    ids = duckdb.sql(f"SELECT doc_id FROM '{glob}'").fetchall()
    assert sorted(i for (i,) in ids) == sorted(after)
    assert len(pd.read_parquet(site_dataset)) == 4
    # the dedup index follows the new texts: ingesting the same pages again adds nothing
    again = run_ingest([str(site_dataset.parent / "site")], site_dataset, Settings())
    assert again.added == 0


def test_a_reprocess_with_nothing_changed_adds_no_commit(site_dataset: Path) -> None:
    manifest = (site_dataset / "_manifest.json").read_bytes()
    report = reprocess(site_dataset, Settings(use_line_stats=False))
    assert not report.committed and report.unchanged == 4 and report.changed == 0
    assert (site_dataset / "_manifest.json").read_bytes() == manifest
    assert not (site_dataset / "_staging").exists()


def test_a_record_whose_input_vanished_is_kept_and_reported(site_dataset: Path) -> None:
    gone = site_dataset.parent / "site" / "page-0.txt"
    gone_id = next(d for d, r in records(site_dataset).items() if r["source_uri"] == gone.as_uri())
    gone.unlink()

    report = reprocess(site_dataset, Settings(use_line_stats=True))

    after = records(site_dataset)
    assert report.committed and report.vanished == 1 and report.vanished_sources == [gone.as_uri()]
    assert report.changed == 3 and report.removed == 0
    assert after[gone_id]["text"].startswith("Council approves")  # kept as it was
    inputs = Dataset(site_dataset).read("_index/inputs", INDEX_INPUTS_SCHEMA)
    assert gone.as_uri() in inputs["source_uri"].to_pylist()  # still known: not ingested twice


def test_an_interrupted_reprocess_leaves_the_old_commit(
    site_dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = (site_dataset / "_manifest.json").read_bytes()
    before = records(site_dataset)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Dataset, "commit", interrupted)
    with pytest.raises(KeyboardInterrupt):
        reprocess(site_dataset, Settings(use_line_stats=True))
    assert (site_dataset / "_manifest.json").read_bytes() == manifest
    assert records(site_dataset) == before
    assert not (site_dataset / "_staging").exists()
    assert Dataset(site_dataset).problems(checksums=True) == []


def test_the_report_finds_merges_that_appeared_or_split() -> None:
    def row(doc_id: str, sources: list[str], text: str = "a b c") -> dict[str, Any]:
        return {"doc_id": doc_id, "text": text, "word_count": 3, "sources": sources, "title": None}

    old = [row("x", ["1"]), row("y", ["2"]), row("z", ["3", "4"])]
    new = [row("x", ["1", "2"]), row("z", ["3"]), row("w", ["4"])]
    report = compare(old, new, carried=set())
    assert report.appeared == [{"doc_id": "x", "from": ["x", "y"]}]
    assert report.split == [{"doc_id": "z", "into": ["w", "z"]}]
    assert (report.added, report.removed) == (1, 1)


def test_the_command_prints_the_report(
    site_dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reprocess", "--out", str(site_dataset), "-q"]) == 0
    assert main(["reprocess", "--out", str(site_dataset)]) == 0
    assert "nothing changed: no commit" in capsys.readouterr().out
    assert main(["reprocess", "--out", str(site_dataset.parent / "nothing")]) == 2
