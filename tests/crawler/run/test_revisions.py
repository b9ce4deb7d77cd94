"""Revisions: a newer text of a known source becomes the article's next revision (not a
duplicate, not a second article); `records` shows the latest, `_revisions` the history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from dumpsite import HEADLINE, paragraph, write_site
from helpers import ROOT, markdown_section, python_blocks

from crawler.config import Settings
from crawler.record import RECORDS_SCHEMA, REVISIONS_SCHEMA
from crawler.run.ingest import run_ingest
from crawler.run.reprocess import reprocess
from crawler.store.compact import compact
from crawler.store.dataset import Dataset
from crawler.store.integrity import verify
from flows.cli import main


def by_source(root: Path, table: str = "records") -> dict[str, list[dict[str, Any]]]:
    schema = RECORDS_SCHEMA if table == "records" else REVISIONS_SCHEMA
    found: dict[str, list[dict[str, Any]]] = {}
    for row in Dataset(root).read(table, schema).to_pylist():
        found.setdefault(Path(row["source_uri"]).name, []).append(row)
    return found


def correct(page: Path, seed: int) -> None:
    """A correction: the article's last paragraph is rewritten, the rest stays."""
    lines = page.read_text("utf-8").splitlines()
    lines[-1] = paragraph(seed)
    page.write_text("\n".join(lines) + "\n", "utf-8")


def clean(root: Path) -> None:
    verdict = verify(Dataset(root), deep=True)
    assert verdict.problems == []


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, Path]:
    write_site(tmp_path / "site")
    out = tmp_path / "corpus"
    run_ingest([str(tmp_path / "site")], out, Settings())
    return tmp_path / "site", out


def test_a_corrected_dump_becomes_the_next_revision(site: tuple[Path, Path]) -> None:
    folder, out = site
    first = by_source(out)["page-1.txt"][0]
    assert (first["revision"], first["previous_doc_id"]) == (1, None)
    correct(folder / "page-1.txt", 99)  # two thirds unchanged: a near duplicate of itself

    summary = run_ingest([str(folder)], out, Settings())

    assert summary.merged_near == 0 and summary.total_records == 4
    latest = by_source(out)["page-1.txt"]
    assert len(latest) == 1 and latest[0]["revision"] == 2
    assert latest[0]["previous_doc_id"] == first["doc_id"]
    assert latest[0]["text"].endswith(paragraph(99)) and latest[0]["seen_at"] is not None
    assert by_source(out, "revisions")["page-1.txt"][0]["doc_id"] == first["doc_id"]
    # every reader's default view: one row per article, the latest text
    assert len(pd.read_parquet(out)) == 4
    glob = str(out / "records" / "**" / "*.parquet")
    assert duckdb.sql(f"SELECT count(*), count(DISTINCT url) FROM '{glob}'").fetchall() == [(4, 0)]
    assert duckdb.sql(f"SELECT count(*) FROM '{out}/_revisions/*.parquet'").fetchall() == [(1,)]
    clean(out)
    # the same bytes again: nothing new
    again = run_ingest([str(folder)], out, Settings())
    assert again.added == 0 and again.total_records == 4


def test_each_change_adds_a_revision_and_the_history_is_exported(
    site: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, out = site
    ids = [by_source(out)["page-2.txt"][0]["doc_id"]]
    for seed in (101, 102):
        correct(folder / "page-2.txt", seed)
        run_ingest([str(folder)], out, Settings())
        ids.append(by_source(out)["page-2.txt"][0]["doc_id"])
    latest = by_source(out)["page-2.txt"][0]
    assert (latest["revision"], latest["previous_doc_id"]) == (3, ids[1])
    history = sorted(by_source(out, "revisions")["page-2.txt"], key=lambda r: r["revision"])
    assert [(r["doc_id"], r["revision"]) for r in history] == [(ids[0], 1), (ids[1], 2)]
    clean(out)

    assert main(["export", "--out", str(out), "--columns", "doc_id,revision"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 4
    assert main(["export", "--out", str(out), "--history", "--columns", "doc_id,revision"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 6 and {r["doc_id"] for r in rows} >= set(ids)

    # compaction keeps records, revisions and their links
    compact(Dataset(out))
    assert by_source(out)["page-2.txt"][0]["doc_id"] == ids[2]
    assert len(by_source(out, "revisions")["page-2.txt"]) == 2
    clean(out)


def test_a_rewritten_article_is_a_revision_not_a_second_article(site: tuple[Path, Path]) -> None:
    folder, out = site
    old = by_source(out)["page-3.txt"][0]["doc_id"]
    lines = [HEADLINE.format(3), paragraph(201), paragraph(202), paragraph(203)]
    (folder / "page-3.txt").write_text("\n".join(lines) + "\n", "utf-8")

    summary = run_ingest([str(folder)], out, Settings())

    assert summary.total_records == 4
    assert by_source(out)["page-3.txt"][0]["previous_doc_id"] == old
    clean(out)


def test_an_exact_copy_of_another_article_stays_a_merge(site: tuple[Path, Path]) -> None:
    folder, out = site
    before = by_source(out)
    (folder / "page-3.txt").write_bytes((folder / "page-0.txt").read_bytes())

    summary = run_ingest([str(folder)], out, Settings())

    assert summary.merged_exact == 1 and summary.added == 0
    assert by_source(out)["page-3.txt"] == before["page-3.txt"]
    assert "page-3.txt" not in by_source(out, "revisions")


def test_a_reprocess_keeps_the_revision_links(site: tuple[Path, Path]) -> None:
    folder, out = site
    correct(folder / "page-0.txt", 301)
    run_ingest([str(folder)], out, Settings())
    latest = by_source(out)["page-0.txt"][0]

    report = reprocess(out, Settings())

    assert not report.committed  # the same result: nothing to commit
    assert by_source(out)["page-0.txt"][0] == latest
    clean(out)


def test_the_documented_history_query_runs(
    site: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, out = site
    correct(folder / "page-1.txt", 401)
    run_ingest([str(folder)], out, Settings())
    (out.parent / "data").mkdir()
    (out.parent / "data" / "corpus").symlink_to(out)
    monkeypatch.chdir(out.parent)
    blocks = python_blocks(markdown_section(ROOT / "docs" / "dataset.md", "Revisions"))
    assert len(blocks) == 1
    exec(compile(blocks[0], "docs/dataset.md", "exec"), {})
    printed = capsys.readouterr().out
    assert by_source(out)["page-1.txt"][0]["doc_id"] in printed
    assert by_source(out, "revisions")["page-1.txt"][0]["doc_id"] in printed
