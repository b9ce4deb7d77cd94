"""WARC and ARC files in: one input per HTML response record, with its provenance, through the
same clean stage as files (archives built here with warcio's writer from eval/dev pages)."""

from __future__ import annotations

import gzip
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.dataset as pads
import pytest
from crashy import KILLER_MARK, clean_or_die_on_mark
from warcio.archiveiterator import ArchiveIterator
from warcs import Rec, page, write_arc_gz, write_warc

from crawler.config import Settings
from crawler.readers.files import file_uri
from crawler.readers.inputs import read_inputs, reopen_inputs
from crawler.run.clean import save_batches
from crawler.run.ingest import (
    cleanup,
    discover_inputs,
    finish_run,
    plan_batches,
    run_ingest,
    scan_inputs,
    start_run,
)
from crawler.run.workers import clean_batches
from crawler.run_types import RunSummary

URL = "https://news.example.com/2026/10/{}.html"


def table(out: Path, name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (
        pads.dataset(out / name, format="parquet", partitioning="hive").to_table().to_pylist()
    )
    return rows


def ingest(paths: list[Path], out: Path, **settings: Any) -> RunSummary:
    return run_ingest([str(p) for p in paths], out, Settings(workers=1, **settings))


def test_every_html_response_is_one_record_with_its_provenance(tmp_path: Path) -> None:
    archive = tmp_path / "news.warc.gz"
    offsets = write_warc(
        archive,
        [
            Rec(URL.format("a"), kind="request"),
            Rec(URL.format("a"), page(0)),
            Rec(URL.format("b"), page(1), content_type="text/html; charset=UTF-8"),
            Rec(URL.format("c"), page(2), content_type="application/xhtml+xml"),
        ],
    )
    summary = ingest([archive], tmp_path / "out")
    assert summary.added == 3 and summary.rejected == 0
    rows = sorted(table(tmp_path / "out", "records"), key=lambda r: r["warc_offset"])
    assert [r["warc_offset"] for r in rows] == offsets[1:]
    assert [r["fetched_url"] for r in rows] == [URL.format(c) for c in "abc"]
    assert [r["http_charset"] for r in rows] == ["utf-8", "utf-8", None]
    assert rows[2]["http_content_type"] == "application/xhtml+xml"
    first = rows[0]
    assert first["fetched_at"] == datetime(2026, 10, 5, 8, 30, tzinfo=UTC)
    assert first["warc_file"] == file_uri(archive)
    assert first["source_uri"] == f"{file_uri(archive)}#offset={offsets[1]}"
    assert first["source_kind"] == "html"
    # the record ids are the archive's own, and the offsets are where warcio's index finds them
    with open(archive, "rb") as stream:
        index = {
            r.rec_headers.get_header("WARC-Record-ID").strip("<>"): it.get_record_offset()
            for it in [ArchiveIterator(stream)]
            for r in it
            if r.rec_type == "response"
        }
    assert {r["warc_record_id"]: r["warc_offset"] for r in rows} == index


def test_an_archived_page_gives_the_text_the_same_page_gives_as_a_file(tmp_path: Path) -> None:
    archive, loose = tmp_path / "a.warc.gz", tmp_path / "loose" / "page.html"
    loose.parent.mkdir()
    loose.write_bytes(page(3))
    write_warc(archive, [Rec(URL.format("x"), page(3))])
    ingest([archive], tmp_path / "from-warc")
    ingest([loose], tmp_path / "from-file")
    from_warc, from_file = (
        table(tmp_path / "from-warc", "records"),
        table(tmp_path / "from-file", "records"),
    )
    assert [r["text"] for r in from_warc] == [r["text"] for r in from_file]
    assert from_file[0]["fetched_url"] is None and from_file[0]["warc_file"] is None


def test_non_html_revisit_and_truncated_records_are_counted_not_errors(tmp_path: Path) -> None:
    archive = tmp_path / "mixed.warc.gz"
    offsets = write_warc(
        archive,
        [
            Rec(URL.format("page"), page(4)),
            Rec(URL.format("doc"), b"%PDF-1.7\n" + bytes(range(256)) * 20, "application/pdf"),
            Rec(URL.format("page"), kind="revisit"),
            Rec(URL.format("moved"), b"<html>moved</html>", status="301 Moved Permanently"),
            Rec(URL.format("last"), page(5)),
        ],
    )
    data = archive.read_bytes()
    archive.write_bytes(data[: offsets[-1] + (len(data) - offsets[-1]) // 2])  # cut in a member
    summary = ingest([archive], tmp_path / "out")
    assert summary.added == 1
    assert summary.rejects_by_reason == {
        "not_html": 1,
        "revisit": 1,
        "unsupported": 1,
        "truncated": 1,
    }
    rejects = {r["reason"]: r for r in table(tmp_path / "out", "_rejects")}
    assert rejects["truncated"]["source_uri"].endswith(f"#offset={offsets[-1]}")
    assert "application/pdf" in rejects["not_html"]["detail"]
    assert "301" in rejects["unsupported"]["detail"]


def test_a_wrong_charset_header_does_not_garble_the_text(tmp_path: Path) -> None:
    text = "The minister’s “plan” for the café costs 5 € — officials said on Monday. " * 12
    body = f"<html><head><title>Plan</title></head><body><article><p>{text}</p></article></body></html>"
    archive = tmp_path / "charset.warc.gz"
    write_warc(archive, [Rec(URL.format("cafe"), body.encode(), "text/html; charset=iso-8859-1")])
    ingest([archive], tmp_path / "out")
    (row,) = table(tmp_path / "out", "records")
    assert "“plan” for the café costs 5 €" in row["text"]
    assert row["http_charset"] == "iso-8859-1"  # what the server said, kept as it said it


def test_reingesting_an_archive_adds_nothing(tmp_path: Path) -> None:
    archive = tmp_path / "again.warc.gz"
    write_warc(
        archive,
        [Rec(URL.format(n), page(n)) for n in range(3)]
        + [Rec(URL.format("img"), b"\x89PNG\r\n\x1a\n" + bytes(200), "image/png")],
    )
    first = ingest([archive], tmp_path / "out")
    again = ingest([archive], tmp_path / "out")
    assert first.added == 3 and first.rejects_by_reason == {"not_html": 1}
    assert again.added == 0 and again.rejected == 0 and again.unchanged == 4
    assert len(table(tmp_path / "out", "records")) == 3


def test_plain_warc_and_arc_gz_are_read_too(tmp_path: Path) -> None:
    write_warc(tmp_path / "plain.warc", [Rec(URL.format("p"), page(6))], gz=False)
    write_arc_gz(tmp_path / "old.arc.gz", URL.format("arc"), page(7))
    assert discover_inputs([str(tmp_path)]) == [
        str(tmp_path / "old.arc.gz"),
        str(tmp_path / "plain.warc"),
    ]
    summary = ingest([tmp_path], tmp_path / "out")
    assert summary.added == 2
    urls = sorted(r["fetched_url"] for r in table(tmp_path / "out", "records"))
    assert urls == [URL.format("arc"), URL.format("p")]


def test_a_whole_file_gzip_archive_is_refused_with_the_reason(tmp_path: Path) -> None:
    plain = tmp_path / "x.warc"
    write_warc(plain, [Rec(URL.format(n), page(n)) for n in range(3)], gz=False)
    whole = tmp_path / "whole.warc.gz"
    whole.write_bytes(gzip.compress(plain.read_bytes()))
    plain.unlink()
    summary = ingest([whole], tmp_path / "out")
    assert summary.rejected >= 1
    assert any("gzip" in r["detail"] for r in table(tmp_path / "out", "_rejects"))


def test_a_record_is_read_again_by_its_key(tmp_path: Path) -> None:
    archive = tmp_path / "keys.warc.gz"
    write_warc(archive, [Rec(URL.format(n), page(n)) for n in range(2)])
    scanned = list(read_inputs(archive, Settings()))
    again = list(reopen_inputs([i.key for i in scanned], Settings()))
    assert [(i.source_uri, i.input_hash, i.size_bytes) for i in again] == [
        (i.source_uri, i.input_hash, i.size_bytes) for i in scanned
    ]
    assert again[1].load().capture is not None
    assert again[1].load().text == scanned[1].load().text


@pytest.mark.slow
def test_a_record_that_kills_its_worker_costs_only_itself(tmp_path: Path) -> None:
    archive = tmp_path / "poisoned.warc.gz"
    killer = page(9).replace(b"</body>", f"<p>{KILLER_MARK}</p></body>".encode())
    records = [Rec(URL.format(n), page(n)) for n in range(4)]
    offsets = write_warc(archive, [*records[:2], Rec(URL.format("killer"), killer), *records[2:]])
    out = tmp_path / "out"
    ctx = start_run(out, Settings(batch_size=2, workers=2))
    try:
        scan = scan_inputs(ctx, [str(archive)])
        batches = save_batches(ctx, plan_batches(scan.new_inputs, 2))
        with ThreadPoolExecutor(1) as bounded:
            run = bounded.submit(clean_batches, ctx, batches, None, clean=clean_or_die_on_mark)
            results = run.result(timeout=600)
        summary = finish_run(ctx, results, scan.inputs, scan.unchanged)
    finally:
        cleanup(ctx)
    assert summary.added == 4 and summary.rejects_by_reason == {"crashed": 1}
    (reject,) = table(out, "_rejects")
    assert reject["source_uri"] == f"{file_uri(archive)}#offset={offsets[2]}"
