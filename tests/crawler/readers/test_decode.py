"""One decode policy (`crawler.readers.decode`) for files and crawled pages: the same bytes read the
same, whichever way in they took."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from newssite import FAST, static_site

from crawler.crawl.job import CrawlJob, run_crawl_job
from crawler.crawl.sources import Source
from crawler.readers import decode
from crawler.readers.decode import decode_bytes, page_encoding
from crawler.record import RECORDS_SCHEMA
from crawler.run.ingest import run_ingest
from crawler.store.dataset import Dataset

_PARAGRAPHS = [
    "Der Bürgermeister der Stadt hat am Dienstag angekündigt, dass die Brücke über den Fluss "
    "im nächsten Frühjahr für den Verkehr gesperrt wird, weil Prüfer Schäden gefunden haben.",
    "Die Arbeiten sollen nach Angaben der Verwaltung etwa vierzehn Monate dauern. Für Fußgänger "
    "und Radfahrer wird eine Behelfsbrücke gebaut, die über eine Rampe zu erreichen ist.",
    "Anwohner äußerten sich besorgt über den Lärm. „Wir haben jahrelang auf die Sanierung "
    "gewartet“, sagte eine Sprecherin der Bürgerinitiative, „aber der Umweg kostet Zeit.“",
    "Die Kosten von rund zwölf Millionen Euro teilen sich Land und Kommune. Über die genaue "
    "Verteilung will der Gemeinderat in seiner Sitzung im Januar entscheiden, öffentlich.",
]
# no <meta charset>: only the server says what the bytes are, and it says UTF-8 (a server
# default; the page was saved in windows-1252 by an old editor)
PAGE = (
    "<!doctype html><html lang='de'><head><title>Brücke wird gesperrt</title></head><body>"
    "<article><h1>Brücke wird gesperrt</h1>"
    + "".join(f"<p>{p}</p>" for p in _PARAGRAPHS)
    + "</article></body></html>"
).encode("cp1252")


def test_a_charset_the_bytes_contradict_is_not_used() -> None:
    text = decode_bytes(PAGE, html=True, http_charset="utf-8")
    assert "Bürgermeister" in text and "\ufffd" not in text
    assert decode_bytes(PAGE, html=True) == text  # a file: no header, same text
    codec = page_encoding(PAGE, "utf-8")  # for the crawl log: the header was overruled
    assert codec is not None and codec != "utf-8" and PAGE.decode(codec) == text


@pytest.mark.parametrize(
    ("data", "http_charset", "expected"),
    [
        # valid UTF-8 is UTF-8 whatever the page declares (files and pages alike)
        ("<meta charset='iso-8859-1'><p>Zürich</p>".encode(), None, "<p>Zürich</p>"),
        # a declared charset that decodes the bytes is used
        ("<meta charset='windows-1251'><p>Москва</p>".encode("cp1251"), None, "<p>Москва</p>"),
        # the server's charset, when the page declares none and it decodes the bytes
        ("<p>Москва</p>".encode("koi8-r"), "koi8-r", "<p>Москва</p>"),
        # a wide charset declared over bytes without the NULs of UTF-16 is a lie
        (b"<meta charset='utf-16'><p>plain</p>", "utf-16", "<p>plain</p>"),
    ],
)
def test_decode_policy(data: bytes, http_charset: str | None, expected: str) -> None:
    assert decode_bytes(data, html=True, http_charset=http_charset).endswith(expected)


def test_the_same_page_from_a_file_and_crawled_gives_one_record(tmp_path: Path) -> None:
    """A windows-1252 page served as UTF-8: crawled it used to read `B\\ufffdrgermeister`
    while the same file read `Bürgermeister`, two texts and two content hashes."""
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "bruecke.html").write_bytes(PAGE)
    run_ingest([str(folder)], tmp_path / "from_file")
    site = static_site({"/lokales/bruecke.html": PAGE}, "text/html; charset=utf-8").start()
    try:
        crawled_out = tmp_path / "crawled"
        source = Source(name="s", start_urls=(site.url("/lokales/bruecke.html"),), max_depth=0)
        job = CrawlJob(
            sources=(source,),
            out=str(crawled_out),
            scrapy_settings=FAST,
            allowed_networks=("127.0.0.0/8",),
            workers=0,
        )
        run_crawl_job(job, capture_log=True, timeout=120)
    finally:
        site.stop()
    (from_file,) = Dataset(tmp_path / "from_file").read("records", RECORDS_SCHEMA).to_pylist()
    (crawled,) = Dataset(crawled_out).read("records", RECORDS_SCHEMA).to_pylist()
    assert "Der Bürgermeister der Stadt" in from_file["text"]
    assert crawled["text"] == from_file["text"]
    assert crawled["content_hash"] == from_file["content_hash"]
    assert crawled["title"] == from_file["title"] == "Brücke wird gesperrt"


@settings(max_examples=500, deadline=None)
@given(st.text(st.characters(max_codepoint=0x2FF)) | st.text())
def test_the_control_check_is_the_regex(text: str) -> None:
    # `_holds_controls` (bytes) answers as `_CONTROL_CHARS.search` does, on any text
    assert decode._holds_controls(text) == (decode._CONTROL_CHARS.search(text) is not None)


def test_control_characters_are_still_found_and_stripped() -> None:
    text, removed = decode.strip_controls("a\x00b\nok\u2028\x7f \u00e9\x1b[0m\n\ud800")
    assert text == "ab\nok\u2028 \u00e9[0m\n\ud800"
    assert [(r.line_no, r.text) for r in removed] == [(0, "U+0000 x1"), (1, "U+001B x1, U+007F x1")]
