import codecs
import gzip
import hashlib
import os
from pathlib import Path

import pytest

from crawler.errors import ConfigError, Drop
from crawler.readers.decode import decode_bytes
from crawler.readers.files import discover, gunzip_limited, input_kind, read_input
from crawler.readers.inputs import input_hash
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


def test_truncated_gzip_file_is_refused_not_read_in_part(tmp_path: Path) -> None:
    page = gzip.compress(("<p>" + "words " * 5000 + "</p>").encode())
    (tmp_path / "cut.html.gz").write_bytes(page[: len(page) // 2])
    with pytest.raises(Drop) as caught:
        read_input(tmp_path / "cut.html.gz", 100_000)
    assert caught.value.reason == Rejected.BINARY and "truncated" in caught.value.detail


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


def test_a_file_grown_since_its_size_was_taken_is_read_to_its_end_or_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read goes on past the size the file had (up to the limit), in several reads."""
    import os

    from crawler.readers import files

    grown = tmp_path / "grown.txt"
    grown.write_bytes(b"word " * 30_000)  # 150,000 bytes: more than one 64 KiB read past 10
    real_fstat = os.fstat

    def stale_fstat(fd: int) -> os.stat_result:
        found = list(real_fstat(fd))
        found[6] = 10  # st_size as it was
        return os.stat_result(found)

    monkeypatch.setattr(files.os, "fstat", stale_fstat)
    assert files._read_regular(grown, 200_000) == (b"word " * 30_000, 10)
    with pytest.raises(Drop) as caught:
        files._read_regular(grown, 100_000)
    assert caught.value.reason == Rejected.TOO_LARGE and "more than" in caught.value.detail


def decode_html(data: bytes) -> str:
    return decode_bytes(data, html=True)


def test_latin1_label_is_read_as_cp1252() -> None:
    page = "<html><head><meta charset='iso-8859-1'></head><body><p>\u201cquoted\u201d</p></body></html>"
    assert "\u201cquoted\u201d" in decode_html(page.encode("cp1252"))


def test_bytes_with_bom_and_undeclared_utf8() -> None:
    assert decode_html(b"\xef\xbb\xbf<p>caf\xc3\xa9</p>") == "<p>caf\u00e9</p>"
    assert decode_html("<p>caf\u00e9</p>".encode()) == "<p>caf\u00e9</p>"
    assert decode_html("<p>\u00fcber</p>".encode("utf-16")) == "<p>\u00fcber</p>"


def test_bytes_with_wrong_declared_charset_fall_back() -> None:
    text = (
        "Le maire a d\u00e9clar\u00e9 mardi que le nouveau pont \u00e9tait une \u00e9tape "
        "d\u00e9cisive pour la ville, apr\u00e8s des ann\u00e9es de d\u00e9bats tr\u00e8s "
        "anim\u00e9s entre les habitants des deux quartiers. "
    )
    page = f"<html><head><meta charset='utf-8'></head><body><p>{text * 5}</p></body></html>"
    assert text in decode_html(page.encode("cp1252"))


def test_page_dump_lines_may_end_in_cr(tmp_path: Path) -> None:
    for name, newline in (("unix.txt", "\n"), ("windows.txt", "\r\n"), ("mac.txt", "\r")):
        (tmp_path / name).write_bytes(newline.join(["Headline", "By Jo", "Text."]).encode())
        assert read_input(tmp_path / name, 1000).text == "Headline\nBy Jo\nText."


def test_a_few_broken_bytes_do_not_cost_the_article() -> None:
    article = "Le café était fermé; über die Straße, naïve façade. " * 40
    data = article.encode()
    damaged = data[:500] + b"\xe9" + data[500:]  # one stray latin-1 byte in UTF-8
    text = decode_bytes(damaged)
    assert text.count("\ufffd") == 1 and text.replace("\ufffd", "") == article
    utf16 = ("Текст по-русски. " * 50).encode("utf-16")
    lone_surrogate = utf16[:300] + b"\x00\xd8" + utf16[302:]
    assert decode_bytes(lone_surrogate).count("\ufffd") == 1


def test_legacy_text_is_not_taken_for_broken_utf8() -> None:
    english = ("A plain English story about a café and a résumé, nothing more. " * 30).encode(
        "cp1252"
    )
    assert "café" in decode_bytes(english) and "\ufffd" not in decode_bytes(english)


def test_text_that_is_mostly_broken_is_still_refused() -> None:
    noise = bytes(range(0x80, 0x100)) * 40  # no valid UTF-8 sequence, and no encoding fits well
    with pytest.raises(Drop):
        decode_bytes(b"Title\n" + noise)
    broken_utf16 = b"\xff\xfe" + b"\x00\xd8" * 2000
    with pytest.raises(Drop, match=r"invalid utf-16"):
        decode_bytes(broken_utf16)


@pytest.mark.parametrize("size", [0, 1, 4_700, (1 << 16) + 1, 3 * (1 << 20) + 7])
def test_input_hash_is_the_sha256_of_the_bytes(tmp_path: Path, size: int) -> None:
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    path = tmp_path / "page.txt"
    path.write_bytes(data)
    assert input_hash(path) == hashlib.sha256(data).hexdigest()
    assert input_hash(path, path.stat()) == hashlib.sha256(data).hexdigest()


def test_input_hash_of_what_is_not_a_readable_regular_file_is_none(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    assert input_hash(fifo) is None  # not read: it could block forever
    assert input_hash(tmp_path / "gone.txt") is None
    assert input_hash(tmp_path) is None


def test_a_link_is_rejected_naming_its_target_whatever_its_name(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text("Some words here.")
    (tmp_path / "folder").mkdir()
    for name, target in (("a.txt", "real.txt"), ("b.bin", "real.txt"), ("c.txt", "folder")):
        (tmp_path / name).symlink_to(target)
        with pytest.raises(Drop) as caught:
            read_input(tmp_path / name, 1 << 20)
        assert caught.value.reason == Rejected.SYMLINK
        assert caught.value.detail.startswith(f"symbolic link to {target}: ")


def test_a_plain_file_is_read_without_an_lstat_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening with O_NOFOLLOW finds links: `is_symlink` is asked only of names no reader
    takes (one system call less per input, in the scan's learning and in the clean stage)."""
    (tmp_path / "page.txt").write_text("Some words here.")
    monkeypatch.setattr(Path, "is_symlink", lambda self: pytest.fail("lstat"))
    assert read_input(tmp_path / "page.txt", 1 << 20).text == "Some words here."
