"""Fuzzing each step, then a whole ingest, with hypothesis: whatever the input, a step returns
its result or raises Drop with a known reason, and a run ends with every input a record, a
merge or a reject. Derandomized and without an example database, so runs are reproducible."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from crawler.config import Settings
from crawler.dedup.minhash import MinHasher
from crawler.errors import Drop
from crawler.extract.boilerplate import LineStats, clean_text
from crawler.extract.chain import process
from crawler.extract.html import Extracted, extract_html, extract_limited
from crawler.extract.normalize import (
    content_hash,
    detect_language,
    normalize_line,
    normalize_text,
    parse_date,
    replace_surrogates,
    word_count,
)
from crawler.readers.decode import decode_bytes
from crawler.readers.files import RawInput, read_input
from crawler.readers.htmlscan import max_attributes
from crawler.reasons import Rejected
from crawler.record import MERGES_SCHEMA, RECORDS_SCHEMA, REJECTS_SCHEMA
from crawler.run.clean import PendingInput, clean_input, staged_row
from crawler.run.ingest import run_ingest
from crawler.store.dataset import Dataset
from crawler.store.staged import STAGED_SCHEMA

FUZZ = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
REASONS = {str(r) for r in Rejected}
SETTINGS = Settings(min_words=5)

PROSE = [
    "The council voted on Tuesday to extend the programme for another two years.",
    "Opponents said the cost should have been shared with the largest industrial users.",
    "Work on the first section is expected to begin in March and to last eighteen months.",
]
# Pieces that trip parsers and cleaners: controls, NUL, lone surrogates, bidi and zero-width
# marks, BOMs, line separators, character references XML refuses, markup fragments, chrome.
HOSTILE = [
    "\x00", "\x01", "\x1b", "\x7f", "\ud800", "\udfff", "\u200b", "\u200d", "\u202e", "\u2066",
    "\u200f", "\ufeff", "\ufffe", "\uffff", "\U0010ffff", "\u2028", "\r", "\r\n", "\t", "\n",
    "&#0;", "&#x1b;", "&#xFFFE;", "&#xD800;", "&#99999999999;", "&amp;", "<p>", "</p>", "<div>",
    "<b>", "<script>", "</script>", "<!--", "-->", "<![CDATA[", "<?xml?>", "<a href='x'>",
    "<p a=1 b=2 c=3>", "<meta charset='utf-7'>", "<html lang='\u0000'>", "<title>",
    "<script type='application/ld+json'>{\"@type\":\"NewsArticle\",\"author\":[{\"name\":1}]}",
    "<meta property='article:published_time' content='99999-99-99'>", "Home", "Share",
    "By Jane Doe", "Related Articles", "2024-02-30 25:61", "مرحبا بالعالم", "東京都は発表した。",
    *PROSE,
]  # fmt: skip
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "cp1252", "latin-1",
             "shift_jis", "koi8-r", "gb18030", "big5", "iso-8859-7"]  # fmt: skip

any_text = st.one_of(
    st.text(st.characters(codec=None), max_size=300),  # every code point, surrogates included
    st.lists(st.sampled_from(HOSTILE), max_size=80).map("".join),
    st.lists(st.sampled_from(HOSTILE), max_size=40).map("\n".join),
)
html_pages = st.builds(
    lambda head, body: f"<html><head>{head}</head><body>{body}</body></html>", any_text, any_text
)
encoded = st.builds(
    lambda text, enc: (
        text.encode(enc, errors="replace")
        if enc != "surrogatepass"
        else text.encode("utf-8", "surrogatepass")
    ),
    any_text,
    st.sampled_from([*ENCODINGS, "surrogatepass"]),
)
any_bytes = st.one_of(st.binary(max_size=2000), encoded)


def storable(text: str) -> bool:
    """Encodable as UTF-8, so Parquet can hold it."""
    text.encode("utf-8")
    return True


@FUZZ
@given(any_bytes, st.booleans())
def test_decoding_gives_text_or_a_reason(data: bytes, html: bool) -> None:
    try:
        text = decode_bytes(data, html=html)
    except Drop as drop:
        assert drop.reason in REASONS and drop.detail
    else:
        assert text.strip() and storable(text)


@FUZZ
@given(any_text, st.sampled_from(["dump", "extracted"]), st.booleans())
def test_the_dump_cleaner_audits_every_line_it_drops(text: str, mode: str, learn: bool) -> None:
    stats = LineStats()
    if learn:
        for _ in range(3):
            stats.add(text)
    result = clean_text(
        text, stats if learn else None, mode="dump" if mode == "dump" else "extracted"
    )
    removed = [r.line_no for r in result.removed]
    assert len(removed) == len(set(removed))
    non_blank = sum(1 for line in text.split("\n") if line.strip())
    assert len(result.paragraphs) + len(removed) == non_blank  # nothing dropped unaudited


@FUZZ
@given(st.one_of(html_pages, any_text))
def test_html_extraction_returns_or_rejects_with_a_reason(page: str) -> None:
    assert isinstance(extract_html(page), Extracted)  # the never-raising entry point
    try:
        found = extract_limited(page, None, SETTINGS)
    except Drop as drop:
        assert drop.reason in REASONS
    else:
        assert all(isinstance(p, str) for p in found.paragraphs)


@FUZZ
@given(any_text)
def test_normalize_helpers_take_any_text(text: str) -> None:
    clean = replace_surrogates(text)
    assert storable(clean)
    for line in map(normalize_line, clean.split("\n")):
        assert not any(ord(c) < 32 for c in line) and line == line.strip()
    assert "\n\n" not in normalize_text(clean.split("\n"))
    assert word_count(clean) >= 0 and len(content_hash(clean)) == 64
    detect_language(clean, clean[:5])
    parse_date(clean)


@FUZZ
@given(st.one_of(html_pages, any_text), st.sampled_from(["text", "html"]))
def test_the_chain_gives_a_storable_document_or_a_reason(text: str, kind: str) -> None:
    raw = RawInput("file:///fuzz", kind, text, len(text.encode("utf-8", "surrogatepass")))
    try:
        doc = process(raw, SETTINGS)
    except Drop as drop:
        assert drop.reason in REASONS and drop.detail
        return
    row = staged_row(doc, "0" * 64, MinHasher(SETTINGS.num_perm), SETTINGS.shingle_size)
    assert pa.Table.from_pylist([row], schema=STAGED_SCHEMA).num_rows == 1


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(data=any_bytes, suffix=st.sampled_from([".txt", ".html", ".htm", ".html.gz", ".pdf"]))
def test_one_file_ends_as_one_row_or_one_reject(scratch: Path, data: bytes, suffix: str) -> None:
    path = scratch / f"input{suffix}"
    path.write_bytes(data)
    item = PendingInput(
        path.as_uri(), len(data), "0" * 64, lambda: read_input(path, SETTINGS.max_input_bytes)
    )
    row, reject = clean_input(item, SETTINGS, None, MinHasher(SETTINGS.num_perm))
    assert (row is None) != (reject is None)
    if reject is not None:
        assert reject["reason"] in REASONS
        assert reject["detail"] and "\n" not in reject["detail"] and storable(reject["detail"])


ARTICLE = "\n".join(["Council Approves Water Plan", "By Maria Jensen", *PROSE * 3])


@settings(FUZZ, max_examples=4)
@given(
    files=st.lists(
        st.tuples(any_bytes, st.sampled_from([".txt", ".html", ".html.gz"])), min_size=3, max_size=8
    )
)
def test_a_run_accounts_for_every_input_and_stays_readable(
    scratch: Path, files: list[tuple[bytes, str]]
) -> None:
    run = scratch / f"run{len(list(scratch.iterdir()))}"
    inputs = run / "in"
    inputs.mkdir(parents=True)
    for n, (data, suffix) in enumerate(files):
        (inputs / f"f{n:02d}{suffix}").write_bytes(data)
    for name in ("article.txt", "copy.txt"):  # a record and its duplicate among the junk
        (inputs / name).write_text(ARTICLE)
    uris = {p.resolve().as_uri() for p in inputs.iterdir()}
    summary = run_ingest(
        [str(inputs)], run / "corpus", Settings(min_words=5, batch_size=3, workers=1)
    )
    dataset = Dataset(run / "corpus")
    records = dataset.read("records", RECORDS_SCHEMA).column("source_uri").to_pylist()
    merges = dataset.read("merges", MERGES_SCHEMA).column("source_uri").to_pylist()
    rejects = dataset.read("rejects", REJECTS_SCHEMA).to_pylist()
    assert records and merges
    outcomes = records + merges + [r["source_uri"] for r in rejects]
    assert sorted(outcomes) == sorted(uris)  # each input exactly once
    assert summary.inputs == len(uris)
    assert all(r["reason"] in REASONS and r["detail"] for r in rejects)


TRICKS = ["<script>", "</script>", "<script/>", "</script ", "<style>", "</style>", "<title>",
          "</title>", "<textarea>", "<!--", "-->", "--!>", "<!-->", "<!", "<?", "</", "</ x", ">",
          "/>", "/", "<i ", "a=", "=", '"', "'", " ", "x", "<xmp>", "<iframe>", "<![CDATA[", "]]>",
          "<svg>", "a=x/", "<"]  # fmt: skip
MANY_ATTRIBUTES = "<p " + " ".join(f"a{i}" if i % 3 else f'b{i}="v"' for i in range(150)) + ">"


@settings(FUZZ, max_examples=300)
@given(
    st.lists(st.sampled_from(TRICKS), max_size=20), st.lists(st.sampled_from(TRICKS), max_size=20)
)
def test_the_attribute_scan_never_undercounts_the_parser(
    before: list[str], after: list[str]
) -> None:
    """crawler.readers.htmlscan against libxml2 itself: a tag with many attributes, hidden among
    comments, scripts, quotes and bogus markup, is always counted."""
    page = f"<html><body>{''.join(before)}{MANY_ATTRIBUTES}{''.join(after)}</body></html>"
    tree = lxml_html.document_fromstring(page)
    parsed = max(
        (len(e.attrib) for e in tree.iter() if e.tag not in ("html", "head", "body")), default=0
    )
    if parsed > 32:  # shorter tags are not counted: they cannot cost the parser anything
        assert max_attributes(page) >= parsed
