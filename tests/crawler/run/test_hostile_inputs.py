"""The hostile inputs of issue 7, all in one `corpus ingest` run (cleaned in worker processes):
the run completes, every input ends as exactly one record, merge or reject, and each reject
says why."""

from __future__ import annotations

import os
import threading
import zlib
from pathlib import Path
from typing import Any

import pytest

from crawler.config import Settings
from crawler.record import MERGES_SCHEMA, RECORDS_SCHEMA, REJECTS_SCHEMA
from crawler.run.ingest import run_ingest
from crawler.store.dataset import Dataset

PROSE = "The council voted on Tuesday to extend the water programme for another two years. "
ARTICLES = {  # (file name, encoding): article text
    ("utf16_bom.txt", "utf-16"): "Regional council approves the new water plan for the valley. " * 12,
    ("shift_jis.txt", "shift_jis"): "東京都は火曜日、老朽化した水道管を交換する新しい計画を発表した。" * 12,
    ("koi8r.txt", "koi8-r"): "Городской совет во вторник одобрил новый план замены старых труб. " * 12,
    ("latin1.txt", "latin-1"): "Le conseil régional a approuvé mardi un nouveau plan pour l'eau. " * 12,
    ("cp1252.txt", "cp1252"): "The minister’s “plan” costs 5 € — according to the officials. " * 12,
}  # fmt: skip
# zero-width and direction marks, controls, a BOM and a soft hyphen around real prose
ODD_CHARACTERS = "\u200b\u200e\u202eOdd\u202c \u2066text\u2069\x01\x1b[0m \ufeff\u00ad. " + PROSE


def gzip_bomb(inflated: int) -> bytes:
    """A small .gz file that inflates to `inflated` zero bytes."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(1 << 20)
    return b"".join(packer.compress(chunk) for _ in range(inflated >> 20)) + packer.flush()


def unblock_readers(fifo: Path) -> None:
    """Were the run to open the FIFO, each open would end at once, empty, and the test fail
    rather than hang (a writer comes and goes; it waits for readers in between)."""
    while True:
        open(fifo, "wb").close()


def write_hostile_inputs(folder: Path) -> dict[str, str | None]:
    """The inputs, and the reject reason each must get (None: it must give a record)."""
    expected: dict[str, str | None] = {}

    def add(name: str, data: bytes, reason: str | None) -> None:
        (folder / name).write_bytes(data)
        expected[name] = reason

    line = (PROSE * (10_000_000 // len(PROSE))).encode()
    add("line_10mb.txt", line, "line_too_long")
    add("line_10mb.html", b"<html><body><p>" + line + b"</p></body></html>", "line_too_long")
    add(
        "lines_100k.txt",
        "\n".join(f"{PROSE}{i}" for i in range(100_000)).encode(),
        "too_many_lines",
    )
    paragraphs = "".join(f"<p>{PROSE}{i}</p>\n" for i in range(100_000))
    add("lines_100k.html", f"<html><body>{paragraphs}</body></html>".encode(), "too_many_elements")
    deep = "<div>" * 10_000 + f"<p>{PROSE * 5}</p>" + "</div>" * 10_000
    add("nested_10k.html", f"<html><body>{deep}</body></html>".encode(), "too_deep")
    add("bomb.html.gz", gzip_bomb(64 << 20), "too_large")
    attributes = " ".join(f"a{i}" for i in range(200_000))
    add(
        "attributes.html",
        f"<html><body><p {attributes}>{PROSE}</p></body></html>".encode(),
        "too_many_attributes",
    )
    # a stray NUL is removed (and audited), not the whole article rejected
    harbour = "A stray byte sat in this saved page about the harbour repairs and the ferry. " * 4
    add("nul.html", f"<html><body><p>{harbour}\x00{harbour}</p></body></html>".encode(), None)
    add("binary.txt", bytes(range(256)) * 64, "binary")  # mostly control bytes, no signature
    add("empty.html", b"", "empty")
    for (name, encoding), text in ARTICLES.items():
        add(name, text.encode(encoding), None)
    add("odd_characters.txt", ("Headline\n" + ODD_CHARACTERS * 8).encode(), None)
    surrogates = "\ud800 lone \udfff".encode("utf-8", "surrogatepass")
    add("surrogates.txt", (PROSE * 4).encode() + surrogates + (PROSE * 4).encode(), None)
    fifo = folder / "fifo.txt"
    os.mkfifo(fifo)  # opening it to read blocks until a writer comes: the run must not
    threading.Thread(target=unblock_readers, args=(fifo,), daemon=True).start()
    expected["fifo.txt"] = "unsupported"
    return expected  # fmt: skip


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("hostile")
    inputs = root / "in"
    inputs.mkdir()
    expected = write_hostile_inputs(inputs)
    summary = run_ingest([str(inputs)], root / "corpus", Settings(batch_size=4, workers=2))
    dataset = Dataset(root / "corpus")
    return {
        "expected": expected,
        "summary": summary,
        "records": dataset.read("records", RECORDS_SCHEMA).to_pylist(),
        "merges": dataset.read("merges", MERGES_SCHEMA).to_pylist(),
        "rejects": dataset.read("rejects", REJECTS_SCHEMA).to_pylist(),
    }


def by_name(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {Path(r["source_uri"]).name: r for r in rows}


def test_every_input_is_a_record_or_a_reject_with_the_expected_reason(
    hostile_run: dict[str, Any],
) -> None:
    expected = hostile_run["expected"]
    rejects = by_name(hostile_run["rejects"])
    records = by_name(hostile_run["records"])
    assert not hostile_run["merges"]
    assert sorted([*rejects, *records]) == sorted(expected)  # each input exactly once
    assert {name: r["reason"] for name, r in rejects.items()} == {
        name: reason for name, reason in expected.items() if reason
    }
    assert all(r["detail"] and "\n" not in r["detail"] for r in rejects.values())
    assert hostile_run["summary"].inputs == len(expected)


def test_each_encoding_gives_its_text(hostile_run: dict[str, Any]) -> None:
    records = by_name(hostile_run["records"])
    for (name, _), text in ARTICLES.items():
        assert text.split(" ")[0][:8] in records[name]["text"], name
    assert records["shift_jis.txt"]["language"] == "ja"
    assert records["koi8r.txt"]["language"] == "ru"
    assert records["latin1.txt"]["language"] == "fr"


def test_invisible_and_control_characters_are_gone_and_the_text_kept(
    hostile_run: dict[str, Any],
) -> None:
    text = by_name(hostile_run["records"])["odd_characters.txt"]["text"]
    assert "Odd\u202c \u2066text\u2069[0m ." in text  # direction marks carry meaning: kept
    assert PROSE.strip() in text
    assert not any(c in text for c in "\u200b\x01\x1b\ufeff\u00ad")
