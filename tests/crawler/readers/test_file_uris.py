"""File URIs and discovery through symbolic links: each folder resolved once, the same URIs."""

import os
from pathlib import Path

import pytest

from crawler.readers import files
from crawler.readers.files import discover, file_uri, folders_resolved_once


@pytest.fixture
def linked(tmp_path: Path) -> Path:
    """real/ with files (one of them a link to another, one with an odd name), and view/ a
    link to real/: the same files under a path that is not their real one."""
    real = tmp_path / "real"
    (real / "sub").mkdir(parents=True)
    for name in ("a.txt", "sub/b.txt", "odd name #1 é%.txt"):
        (real / name).write_text("x")
    (real / "link.txt").symlink_to(real / "a.txt")
    (tmp_path / "view").symlink_to(real)
    return tmp_path


def _reference_uri(path: Path) -> str:
    """What a file's URI is: the link's own path (its folder resolved) for a link, the
    resolved path otherwise."""
    path = Path(os.path.abspath(path))
    if path.is_symlink():
        return (path.parent.resolve() / path.name).as_uri()
    return path.resolve().as_uri()


def test_file_uris_are_the_same_with_folders_resolved_once(linked: Path) -> None:
    paths = [
        linked / f
        for f in ("real/a.txt", "view/a.txt", "view/sub/b.txt", "real/link.txt", "view/link.txt")
    ] + [linked / "view" / "odd name #1 é%.txt", linked / "real" / "missing.txt"]
    plain = [file_uri(p) for p in paths]
    with folders_resolved_once():
        once = [file_uri(p) for p in paths]
    assert plain == once == [_reference_uri(p) for p in paths]
    assert once[1] == once[0] and once[4] != once[0]  # through view/: the real folder's


def test_a_folder_is_resolved_once_inside_and_every_time_outside(
    linked: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    realpath = os.path.realpath

    def counted(path: str) -> str:
        calls.append(path)
        return realpath(path)

    monkeypatch.setattr(files.os.path, "realpath", counted)
    names = [linked / "view" / n for n in ("a.txt", "link.txt", "odd name #1 é%.txt")]
    with folders_resolved_once():
        for name in names * 2:
            file_uri(name)
    assert calls == [str(linked / "view")]
    calls.clear()
    file_uri(names[0]), file_uri(names[1])
    assert len(calls) == 2  # no cache outside: a long-lived process sees folders move


def test_discover_finds_the_same_files_through_linked_folders(linked: Path) -> None:
    real = linked / "real"
    assert discover([linked / "view"]) == [
        real / "a.txt",  # the link to it is the same file: found once
        real / "odd name #1 é%.txt",
        real / "sub" / "b.txt",
    ]
    assert discover([linked / "view"]) == discover([real])


def test_relative_and_dotted_paths_have_the_reference_uri(
    linked: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(linked / "view")
    for path in (Path("a.txt"), Path("sub/../a.txt"), Path("./sub/b.txt"), Path("link.txt")):
        assert file_uri(path) == _reference_uri(path)
        with folders_resolved_once():
            assert file_uri(path) == _reference_uri(path)
