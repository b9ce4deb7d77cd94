"""Damage a dataset (or its surroundings) the ways disks, copies and people do, run the next
command on it, then `corpus verify`, `corpus repair` and a re-ingest of what repair says was
lost: for tests/crawler/store/test_damage.py and bench/damage_report.py.

A case is a `DamageCase` in `CASES`; other modules add theirs with `register` (input damage:
symlinks, mislabelled files, ...). `run_case` gives an `Outcome`, one row of the damage report.
Commands run in this process through `flows.cli.main` (the same code as the `corpus` command,
minus the interpreter start-up), so a traceback shows up as exit 1 with "Traceback" in its
message, as it would on a terminal.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.dataset as pads
from helpers import ROOT, SEEDS

from flows.cli import main

NEW_PAGES = sorted((ROOT / "eval" / "dev" / "html").glob("*.html"))[:2]  # the next run's inputs


@dataclass(frozen=True)
class Result:
    """One command's exit status and what it printed."""

    code: int
    stdout: str
    stderr: str

    @property
    def message(self) -> str:
        """Its error line (the last line of stderr), or the last line of stdout."""
        lines = self.stderr.strip().splitlines() or self.stdout.strip().splitlines() or [""]
        return lines[-1]


def cli(*argv: str | Path) -> Result:
    """`corpus ARGV...`, in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except Exception:
            err.write(traceback.format_exc())
            code = 1
    return Result(code, out.getvalue(), err.getvalue())


Damage = Callable[[Path], contextlib.AbstractContextManager[Path]]


@dataclass(frozen=True)
class DamageCase:
    """One kind of damage and what must come of it.

    `inflict(dataset)` damages the dataset and yields the path the next command must use (a
    context: a mount is undone after the command). `next_run(dataset)` is the next command
    (default: an ingest of two new pages). `next_exit`: its expected status; `refuses`: it
    must leave every file as it was; `verify_exit`: `corpus verify` right after; `check`: any
    further assertion on the outcome.
    """

    name: str
    damage: str
    inflict: Damage
    next_exit: int
    refuses: bool
    verify_exit: int
    next_run: Callable[[Path], Result] | None = None
    check: Callable[[Outcome], None] | None = None


CASES: dict[str, DamageCase] = {}


def register(case: DamageCase) -> DamageCase:
    CASES[case.name] = case
    return case


@dataclass
class Outcome:
    """What happened to one damaged dataset: a row of the damage report."""

    case: str
    damage: str
    next_exit: int = 0
    next_message: str = ""
    touched: list[str] = field(default_factory=list)  # files the next command changed
    records_before: int = 0
    records_after_next: int | str = 0  # DuckDB's count over records/**/*.parquet, or its error
    pyarrow_reads: bool = False
    duckdb_reads: bool = False
    verify_exit: int = 0
    verify_lines: list[str] = field(default_factory=list)
    repair_exit: int = 0
    repair: dict[str, Any] = field(default_factory=dict)
    reingest_exit: int | None = None  # of the inputs repair listed (None: none listed)
    records_after_repair: int = 0
    lost_for_good: list[str] = field(default_factory=list)  # doc_ids before, not after
    verify_after: int = 0


def build_dataset(out: Path) -> Path:
    """The seeds ingested in two runs (four records, a merge, every table)."""
    inputs = out.parent / "inputs"
    for n, names in enumerate((("000", "001", "002"), ("003", "004"))):
        folder = inputs / f"run{n}"
        folder.mkdir(parents=True)
        for name in names:
            for path in SEEDS.glob(f"{name}_*.txt"):
                shutil.copy(path, folder)
        result = cli("ingest", folder, "--out", out, "-q")
        assert result.code == 0, result
    return out


def doc_ids(dataset: Path) -> list[str]:
    """The records' doc_ids as a glob reader (DuckDB) sees them."""
    relation = duckdb.sql(f"SELECT doc_id FROM '{dataset}/records/**/*.parquet'")
    return sorted(str(row[0]) for row in relation.fetchall())


def snapshot(dataset: Path) -> dict[str, tuple[int, int]]:
    """Every file under the dataset (but its lock): size and modification time."""
    return {
        str(p.relative_to(dataset)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(dataset.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def _reads(read: Callable[[], object]) -> bool:
    try:
        read()
    except Exception:
        return False
    return True


def run_case(case: DamageCase, dataset: Path) -> Outcome:
    """Damage a copy of a built dataset, then the next command, verify, repair, re-ingest."""
    outcome = Outcome(case.name, case.damage)
    before = doc_ids(dataset)
    outcome.records_before = len(before)
    with case.inflict(dataset) as target:
        files = snapshot(target) if target.is_dir() else {}
        result = (case.next_run or _ingest_new)(target)
        outcome.next_exit, outcome.next_message = result.code, result.message
        if "Traceback" in result.stderr:
            outcome.next_message = "Traceback: " + result.message
        if target.is_dir():
            after = snapshot(target)
            outcome.touched = sorted(
                k for k in files.keys() | after.keys() if files.get(k) != after.get(k)
            )
    try:
        outcome.records_after_next = len(doc_ids(dataset))
    except Exception as exc:
        outcome.records_after_next = f"{type(exc).__name__}"
    outcome.pyarrow_reads = _reads(lambda: pads.dataset(dataset, format="parquet").to_table())
    outcome.duckdb_reads = _reads(lambda: doc_ids(dataset))
    verify = cli("verify", "--out", dataset)
    outcome.verify_exit, outcome.verify_lines = verify.code, verify.stdout.strip().splitlines()
    repaired = cli("repair", "--out", dataset, "--json")
    outcome.repair_exit = repaired.code
    outcome.repair = (
        json.loads(repaired.stdout) if repaired.code == 0 else {"error": repaired.message}
    )
    lost = [_path(u) for u in outcome.repair.get("forgotten_inputs", [])]
    if lost:
        outcome.reingest_exit = cli("ingest", *lost, "--out", dataset, "-q").code
    after = doc_ids(dataset)
    outcome.records_after_repair = len(after)
    outcome.lost_for_good = sorted(set(before) - set(after))
    outcome.verify_after = cli("verify", "--out", dataset, "--deep").code
    return outcome


def _path(uri: str) -> str:
    from urllib.parse import unquote, urlparse

    return unquote(urlparse(uri).path) if uri.startswith("file:") else uri


def _ingest_new(dataset: Path) -> Result:
    return cli("ingest", *NEW_PAGES, "--out", dataset, "-q")


# -- the damage ----------------------------------------------------------------------------------


@contextlib.contextmanager
def _in_place(damage: Callable[[Path], None], dataset: Path) -> Iterator[Path]:
    damage(dataset)
    yield dataset


def in_place(damage: Callable[[Path], None]) -> Damage:
    """Damage done to the files, once."""
    return lambda dataset: _in_place(damage, dataset)


def committed(dataset: Path, folder: str) -> Path:
    """The largest committed file of a table folder."""
    manifest = json.loads((dataset / "_manifest.json").read_text())
    files = [dataset / rel for rels in manifest["files"].values() for rel in rels]
    return max(
        (p for p in files if p.is_relative_to(dataset / folder)), key=lambda p: p.stat().st_size
    )


def truncate(path: Path, keep: float = 0.5) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(int(path.stat().st_size * keep))


def flip_bytes(path: Path) -> None:
    """Bit rot: flip a run of bytes in the middle of the file (its data pages, not its footer)."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 3
    for i in range(middle, middle + 16):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def _mount(args: list[str], target: Path) -> None:
    subprocess.run(["mount", *args, str(target)], check=True, capture_output=True)


def _umount(target: Path | str) -> None:
    """Unmount, waiting (bounded) for the processes of the run under test to let go: a worker
    or the forkserver of a finished command may still be exiting on a busy machine. Then a
    lazy unmount, so a slow exit never fails the test or leaves the mount behind."""
    deadline = time.monotonic() + 20
    while True:
        done = subprocess.run(["umount", str(target)], capture_output=True)
        if done.returncode == 0:
            return
        if time.monotonic() > deadline:
            subprocess.run(["umount", "--lazy", str(target)], check=True)
            return
        time.sleep(0.2)


def can_mount() -> bool:
    """Whether this process may mount a tmpfs (root, outside a locked-down container)."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            _mount(["-t", "tmpfs", "-o", "size=1m", "tmpfs"], Path(tmp))
        except (OSError, subprocess.CalledProcessError):
            return False
        _umount(tmp)
    return True


@contextlib.contextmanager
def small_disk(dataset: Path) -> Iterator[Path]:
    """The dataset on a tmpfs with about 32 KiB free: the next run fills the disk."""
    mount = dataset.parent / "tmpfs"
    mount.mkdir()
    blocks = sum(-(-p.stat().st_size // 4096) for p in dataset.rglob("*") if p.is_file())
    _mount(["-t", "tmpfs", "-o", f"size={(blocks + 8) * 4096}", "tmpfs"], mount)
    try:
        shutil.copytree(dataset, mount / "corpus")
        yield mount / "corpus"
        shutil.rmtree(dataset)
        shutil.copytree(mount / "corpus", dataset)  # what the run left, for the checks
    finally:
        _umount(mount)


@contextlib.contextmanager
def read_only(dataset: Path) -> Iterator[Path]:
    """The dataset folder on a read-only bind mount (root ignores file modes)."""
    _mount(["--bind", str(dataset)], dataset)
    try:
        _mount(["-o", "remount,ro,bind"], dataset)
        yield dataset
    finally:
        _umount(dataset)


def _lock_dir(dataset: Path) -> None:
    lock = dataset / ".lock"
    lock.unlink(missing_ok=True)
    lock.mkdir()


def _stray(dataset: Path) -> None:
    source = committed(dataset, "records")
    shutil.copy(source, source.with_name("part-copied-in.parquet"))  # a copy made by hand


def _kill_compaction(dataset: Path) -> Result:
    """`corpus compact` SIGKILLed after its commit point, before it swaps the folders."""
    from killrun import KillPoint, compact_command, kill_run

    kill = kill_run(
        Path(),
        dataset,
        KillPoint("compact commit", pause_at_replace=2),
        command=compact_command(dataset),
    )
    return Result(
        -9 if kill.killed else 0, "", "killed after the commit point" if kill.killed else ""
    )


def _out_is_file(dataset: Path) -> Result:
    target = dataset.parent / "a-file"
    target.write_text("not a dataset\n")
    return cli("ingest", *NEW_PAGES, "--out", target, "-q")


def _nothing(dataset: Path) -> None:
    """No damage to the files: the trouble is in the next command or its surroundings."""


def _no_loss(outcome: Outcome) -> None:
    assert (
        outcome.records_after_next
        == outcome.records_before + (len(NEW_PAGES) if outcome.next_exit == 0 else 0)
        or outcome.records_after_next == outcome.records_before
    ), outcome


register(
    DamageCase(
        "manifest missing",
        "_manifest.json deleted",
        in_place(lambda d: (d / "_manifest.json").unlink()),
        next_exit=4,
        refuses=True,
        verify_exit=1,
        check=_no_loss,
    )
)
register(
    DamageCase(
        "manifest truncated",
        "_manifest.json cut to half",
        in_place(lambda d: truncate(d / "_manifest.json")),
        next_exit=4,
        refuses=True,
        verify_exit=1,
        check=_no_loss,
    )
)
register(
    DamageCase(
        "manifest empty",
        "_manifest.json of 0 bytes",
        in_place(lambda d: (d / "_manifest.json").write_bytes(b"")),
        next_exit=4,
        refuses=True,
        verify_exit=1,
        check=_no_loss,
    )
)
register(
    DamageCase(
        "records truncated",
        "largest records file cut to half",
        in_place(lambda d: truncate(committed(d, "records"))),
        next_exit=4,
        refuses=True,
        verify_exit=1,
    )
)
register(
    DamageCase(
        "records bit rot",
        "16 bytes flipped inside a records page",
        in_place(lambda d: flip_bytes(committed(d, "records"))),
        next_exit=0,  # a run checks sizes only; verify's checksums catch it
        refuses=False,
        verify_exit=1,
    )
)
register(
    DamageCase(
        "index docs truncated",
        "largest _index/docs file cut to half",
        in_place(lambda d: truncate(committed(d, "_index/docs"))),
        next_exit=4,
        refuses=True,
        verify_exit=1,
        check=_no_loss,
    )
)
register(
    DamageCase(
        "index inputs rot",
        "_index/inputs file: 16 bytes flipped",
        in_place(lambda d: flip_bytes(committed(d, "_index/inputs"))),
        next_exit=4,  # the run reads the inputs index before anything else
        refuses=True,
        verify_exit=1,
        check=_no_loss,
    )
)
register(
    DamageCase(
        "stray file",
        "a records file copied in by hand (not in the manifest)",
        in_place(_stray),
        next_exit=4,
        refuses=True,
        verify_exit=1,
    )
)
register(
    DamageCase(
        "compact killed",
        "corpus compact SIGKILLed after its commit point",
        in_place(_nothing),
        next_exit=-9,
        refuses=False,
        verify_exit=0,
        next_run=_kill_compaction,
        check=lambda o: _assert(o.records_after_next == o.records_before, o),
    )
)
register(
    DamageCase(
        "lock is a folder",
        ".lock is a directory",
        in_place(_lock_dir),
        next_exit=5,
        refuses=True,
        verify_exit=0,
    )
)
register(
    DamageCase(
        "out is a file",
        "--out names a file",
        in_place(_nothing),
        next_exit=5,
        refuses=True,
        verify_exit=0,
        next_run=_out_is_file,
    )
)
register(
    DamageCase(
        "read-only",
        "dataset folder on a read-only mount",
        read_only,
        next_exit=5,
        refuses=True,
        verify_exit=0,
    )
)
register(
    DamageCase(
        "disk full",
        "dataset on a tmpfs with 32 KiB free",
        small_disk,
        next_exit=5,
        refuses=True,
        verify_exit=0,
        next_run=lambda d: cli("ingest", *_big_inputs(d), "--out", d, "-q"),
        check=lambda o: _assert("MB" in o.next_message and "tmpfs" in o.next_message, o),
    )
)
MOUNTS = {"read-only", "disk full"}  # cases that need to mount a file system


def _big_inputs(dataset: Path) -> list[Path]:
    """Pages enough to fill the small disk (outside it)."""
    folder = dataset.parent.parent / "big-inputs"
    if not folder.exists():
        folder.mkdir()
        pages = sorted((ROOT / "eval" / "dev" / "html").glob("*.html"))
        for page in pages:
            shutil.copy(page, folder)
    return [folder]


def _assert(condition: bool, outcome: Outcome) -> None:
    assert condition, outcome


def message_is_one_line(outcome: Outcome) -> bool:
    return "Traceback" not in outcome.next_message and "\n" not in outcome.next_message
