"""The crawl's raw-page archive: every fetched response as WARC in the dataset's `_warc/`,
committed with the run, pointed to by the records, and giving the same texts when ingested."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from newssite import FAST, serve, site_job
from warcio.archiveiterator import ArchiveIterator
from warcio.indexer import Indexer

from crawler.config import Settings
from crawler.crawl.job import run_crawl_job
from crawler.record import RECORDS_SCHEMA
from crawler.run.ingest import run_ingest
from crawler.store.dataset import Dataset

pytestmark = pytest.mark.slow  # every test here crawls


def records(out: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = Dataset(out).read("records", RECORDS_SCHEMA).to_pylist()
    return rows


def responses(path: Path) -> dict[int, Any]:
    """The response records of a WARC file by offset: (target URI, record id)."""
    found = {}
    with open(path, "rb") as stream:
        iterator = ArchiveIterator(stream)
        for record in iterator:
            if record.rec_type == "response":
                target = record.rec_headers.get_header("WARC-Target-URI")
                rid = record.rec_headers.get_header("WARC-Record-ID").strip("<>")
                found[iterator.get_record_offset()] = (target, rid)
    return found


def test_the_crawl_archives_every_response_and_it_round_trips(tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    with serve(12) as site:
        report = run_crawl_job(site_job(site, out, scrapy_settings=FAST))
    assert report.finished
    rows = records(out)
    assert rows
    manifest = json.loads((out / "_manifest.json").read_text())
    files = sorted(out.glob("_warc/*.warc.gz"))
    assert [str(f.relative_to(out)) for f in files] == manifest["files"]["_warc"]
    assert Dataset(out).problems(checksums=True) == []
    # readable by warcio's own indexer, a request record with each response
    index = tmp_path / "index.cdxj"
    with open(index, "w") as handle:
        Indexer(["warc-type", "warc-target-uri"], [str(f) for f in files], handle).process_all()
    kinds = [json.loads(line)["warc-type"] for line in index.read_text().splitlines()]
    assert kinds.count("response") == kinds.count("request") > len(rows)
    # every record points to its archived response
    archived = {f.name: responses(f) for f in files}
    for row in rows:
        name = Path(row["warc_file"]).name
        assert row["warc_file"] == f"_warc/{name}"
        target, rid = archived[name][row["warc_offset"]]
        assert (target, rid) == (row["source_uri"], row["warc_record_id"])
        assert row["fetched_url"] == row["source_uri"] and row["fetched_at"] is not None
    # re-extraction from the archive gives the crawl's texts
    again = tmp_path / "again"
    run_ingest([str(out / "_warc")], again, Settings(workers=1))
    reread = {(Path(r["warc_file"]).name, r["warc_offset"]): r["text"] for r in records(again)}
    for row in rows:
        # the same record, or (an exact duplicate archived twice, e.g. its AMP copy) the
        # record its response merged into in the other order of the ingest
        place = (Path(row["warc_file"]).name, row["warc_offset"])
        assert reread.get(place, row["text"]) == row["text"]
        assert row["text"] in reread.values()


def test_the_archive_is_rotated_by_size(tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    with serve(12, traps=False) as site:
        settings = {**FAST, "CORPUS_WARC_MAX_BYTES": 20_000}
        report = run_crawl_job(site_job(site, out, scrapy_settings=settings))
    assert report.finished
    files = sorted(out.glob("_warc/*.warc.gz"))
    assert len(files) > 2
    assert all(f.stat().st_size < 20_000 + 2**20 for f in files)
    assert Dataset(out).problems(checksums=True) == []
    assert sum(len(responses(f)) for f in files) > len(records(out))


def test_the_archive_can_be_turned_off(tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    with serve(12, traps=False) as site:
        settings = {**FAST, "CORPUS_WARC": False}
        report = run_crawl_job(site_job(site, out, scrapy_settings=settings))
    assert report.finished and records(out)
    assert not (out / "_warc").exists()
    assert all(r["warc_file"] is None for r in records(out))


def test_records_are_written_at_the_chosen_gzip_level(tmp_path: Path) -> None:
    """Each record is a gzip member of its own at CORPUS_WARC_GZIP_LEVEL (1 by default:
    warcio's fixed 9 cost the fetch loop four times the CPU), read back unchanged."""
    from scrapy import Request
    from scrapy.http import HtmlResponse

    from crawler.crawl.warc_archive import GZIP_LEVEL, WarcFiles

    body = b"<html><body>" + b"".join(b"<p>paragraph %d of the page</p>" % i for i in range(400))
    request = Request("http://example.test/a/1.html")
    response = HtmlResponse(request.url, body=body, request=request, headers={"X": "y"})
    sizes = {}
    for level in (1, 9):
        files = WarcFiles(tmp_path / str(level), "crawl-test", 10**9, level)
        where = files.write(request, response, datetime.now(UTC))
        (path,) = files.files()
        sizes[level] = path.stat().st_size
        with open(path, "rb") as stream:
            iterator = ArchiveIterator(stream)
            record = next(iterator)
            assert record.rec_type == "response"
            assert record.content_stream().read() == body
            assert iterator.get_record_offset() == where.warc_offset == 0
            assert next(iterator).rec_type == "request"
    assert GZIP_LEVEL == 1 and sizes[1] > sizes[9]
