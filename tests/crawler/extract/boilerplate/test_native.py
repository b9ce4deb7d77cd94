"""The mypyc build of the cleaner's per-line modules: used only when it matches the sources."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.extract.boilerplate import lines, native

LINES = [
    "Home | World | Sport",
    "Share this article",
    "© 2024 Daily Planet. All rights reserved.",
    "Posted 3 hours ago by Jane Doe",
    "The council met on Tuesday to discuss the budget, and residents asked many questions.",
    "東京都は10月1日、新しい計画を発表した。市民は歓迎している。",
    "İstanbul — ſome 12 ① items • listed / here",
    "",
]


def _fake_build(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the package's compiled sources and a build whose manifest matches them."""
    src = tmp_path / "src"
    src.mkdir()
    for m in native.MODULES:
        shutil.copy(native.HERE / f"{m}.py", src / f"{m}.py")
    for c in native.C_MODULES:
        shutil.copy(native.HERE / f"{c}.c", src / f"{c}.c")
    build = tmp_path / "build"
    build.mkdir()
    files = {}
    for m in native.MODULES:
        (build / f"{m}.so").write_bytes(b"")
        files[f"{native.PACKAGE}.{m}"] = f"{m}.so"
    manifest = {
        "python": native._python_tag(),
        "sources": native.source_hashes(src),
        "files": files,
    }
    (build / native.MANIFEST).write_text(json.dumps(manifest), "utf-8")
    return src, build


def test_a_matching_build_is_usable(tmp_path: Path) -> None:
    src, build = _fake_build(tmp_path)
    assert native.usable_build(build, src) is not None


def test_an_edited_source_is_never_shadowed_by_its_build(tmp_path: Path) -> None:
    src, build = _fake_build(tmp_path)
    (src / "chrome.py").write_text((src / "chrome.py").read_text() + "\n# edited\n")
    assert native.usable_build(build, src) is None


def test_an_edited_c_header_makes_the_build_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, build = _fake_build(tmp_path)
    assert set(native.C_HEADERS) <= set(native.source_hashes(src))
    edited = {"crawler/c_buffer.h": "0" * 64}
    real = native._digest
    monkeypatch.setattr(
        native,
        "_digest",
        lambda path: (
            edited.get(path.relative_to(native.HERE.parents[2]).as_posix(), real(path))
            if path.is_relative_to(native.HERE.parents[2])
            else real(path)
        ),
    )
    assert native.usable_build(build, src) is None


@pytest.mark.parametrize("damage", ["python", "missing-file", "manifest", "module-list"])
def test_a_build_for_another_python_or_damaged_is_not_used(tmp_path: Path, damage: str) -> None:
    src, build = _fake_build(tmp_path)
    manifest = json.loads((build / native.MANIFEST).read_text())
    if damage == "python":
        manifest["python"] = "cpython-399-linux-64"
    elif damage == "missing-file":
        (build / "lines.so").unlink()
    elif damage == "module-list":
        del manifest["sources"]["tail"]
    (build / native.MANIFEST).write_text(
        "{not json" if damage == "manifest" else json.dumps(manifest)
    )
    assert native.usable_build(build, src) is None


def test_no_build_means_plain_python(tmp_path: Path) -> None:
    assert native.usable_build(tmp_path / "missing", native.HERE) is None


def _features_in(env: dict[str, str]) -> tuple[str, list[list[object]]]:
    code = (
        "import json, sys\n"
        "from crawler.extract.boilerplate import lines, native, chrome, cleaner\n"
        "rows = []\n"
        f"for s in {LINES!r}:\n"
        "    t = lines.normalize(s)\n"
        "    if not t: continue\n"
        "    f, key, why = cleaner._single(t)\n"
        "    d = {k: getattr(f, k) for k in f.__dataclass_fields__}\n"
        "    d.update(prose=f.prose_like, data=f.data_like, head=f.headline_like)\n"
        "    rows.append([sorted(d.items()), key, str(why), chrome.key_of_normalized(t)])\n"
        "print(json.dumps([lines.__file__, rows]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    file, rows = json.loads(out.stdout)
    return file, rows


@pytest.mark.slow
def test_pure_python_switch_and_same_features_both_ways() -> None:
    pure_file, pure = _features_in({native.PURE_ENV: "1"})
    assert pure_file.endswith("lines.py")
    file, got = _features_in({native.PURE_ENV: ""})
    if native.usable_build() is None:
        assert file.endswith("lines.py")  # no build (or a stale one): the sources run
    else:
        assert not file.endswith(".py")  # the matching build is what runs
    assert got == pure


def test_this_process_runs_what_activate_says() -> None:
    compiled = not str(lines.__file__).endswith(".py")
    assert compiled == native.ACTIVE
    # the compiled build includes the C scanners, and `lines` / `chrome` use them
    from crawler.extract.boilerplate import chrome

    uses_c = [f.__module__ for f in (lines._shape, lines._token_stats, chrome._key_words)]
    c = f"{native.PACKAGE}._linescan"
    assert uses_c == ([c] * 3 if native.ACTIVE else [lines.__name__] * 2 + [chrome.__name__])


@pytest.mark.skipif(
    os.environ.get("CI") != "true" or bool(os.environ.get(native.PURE_ENV)),
    reason="only CI must build the cleaner: elsewhere a machine without a compiler runs Python",
)
def test_ci_runs_the_compiled_cleaner_with_its_c_scanners() -> None:
    """On CI, `make setup` must have built every compiled module and the C scanners: a failed
    build falls back to plain Python silently, and every identity test of the C code skips."""
    files = native.usable_build()
    assert files is not None, "no usable compiled build: see `make setup`'s output"
    assert f"{native.PACKAGE}._linescan" in files
    assert native.ACTIVE
