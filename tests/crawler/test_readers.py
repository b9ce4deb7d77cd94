import codecs
import gzip
from pathlib import Path

import pytest

from crawler.errors import ConfigError, Drop
from crawler.readers import decode_bytes, discover, gunzip_limited, input_kind, read_input
from crawler.reasons import Rejected


def reason_of(data: bytes) -> str:
    with pytest.raises(Drop) as caught:
        decode_bytes(data)
    return caught.value.reason


def test_utf8_is_decoded_as_is() -> None:
    assert decode_bytes("Café – “quoted”".encode()) == "Café – “quoted”"


def test_bom_is_stripped() -> None:
    assert decode_bytes(codecs.BOM_UTF8 + "Über alles".encode()) == "Über alles"
    assert decode_bytes("Привет, мир".encode("utf-16")) == "Привет, мир"


def test_cp1252_is_detected() -> None:
    text = "The minister’s “plan” costs 5 € — according to officials. " * 5
    assert decode_bytes(text.encode("cp1252")) == text


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", Rejected.EMPTY),
        (b"  \n\t\n", Rejected.EMPTY),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), Rejected.BINARY),
        (b"abc\x00def" * 10, Rejected.BINARY),
        (bytes(range(1, 9)) * 200, Rejected.BINARY),
    ],
)
def test_unusable_bytes_are_dropped_with_a_reason(data: bytes, reason: str) -> None:
    assert reason_of(data) == reason


def test_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(b"a" * 2_000_000)
    with pytest.raises(Drop) as caught:
        gunzip_limited(bomb, max_bytes=100_000)
    assert caught.value.reason == Rejected.TOO_LARGE
    assert gunzip_limited(gzip.compress(b"<p>ok</p>"), 1000) == b"<p>ok</p>"


def test_discover_walks_directories_and_skips_hidden(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    for name in ("a/one.txt", "a/b/two.html", "a/b/three.html.gz", "a/skip.pdf", ".hidden/x.txt"):
        (tmp_path / name).write_bytes(b"x")
    found = [p.relative_to(tmp_path).as_posix() for p in discover([tmp_path])]
    assert found == ["a/b/three.html.gz", "a/b/two.html", "a/one.txt"]


def test_discover_reports_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        discover([tmp_path / "nope"])


def test_read_input_kinds_and_limits(tmp_path: Path) -> None:
    page = tmp_path / "p.html.gz"
    page.write_bytes(gzip.compress("<p>héllo</p>".encode()))
    raw = read_input(page, max_bytes=1000)
    assert (raw.kind, raw.text, raw.source_kind) == ("html", "<p>héllo</p>", "html")
    assert raw.source_uri.startswith("file:///")
    big = tmp_path / "big.txt"
    big.write_bytes(b"word " * 1000)
    with pytest.raises(Drop) as caught:
        read_input(big, max_bytes=100)
    assert caught.value.reason == Rejected.TOO_LARGE
    assert input_kind(Path("x.PDF")) is None
