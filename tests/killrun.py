"""Kill `corpus ingest` with SIGKILL at a chosen point of a run and inspect what it leaves, for
tests/crawler/run/test_crash_kill.py and bench/kill_report.py.

The run is the real CLI in a session of its own, so one `killpg` takes the worker processes and
the forkserver with it. A kill point is a condition on what the run has left on disk so far,
polled while it goes (the staging area, staged batches, hidden table files, the manifest tell its
phase), a delay, or a pause in the child just before the n-th rename into the dataset: the
commit's windows are microseconds wide, too narrow to hit from outside.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow.dataset as pads
import pyarrow.parquet as pq
from helpers import ROOT

from crawler.dedup.index import INDEX_INPUTS_SCHEMA
from crawler.record import AUDIT_SCHEMA, MERGES_SCHEMA, RECORDS_SCHEMA, REJECTS_SCHEMA
from crawler.run.ingest import run_ingest
from crawler.store.dataset import FOLDERS, TABLES, Dataset
from crawler.store.stats import dataset_stats

# The child for pause points: the CLI, with os.replace stopping before the n-th rename into the
# dataset (1: the manifest, the commit point; 2: the first table file) until it is killed. With
# PAUSE_ALL set, a compaction's folder swaps and the removal of its staging area count too.
PAUSED_CLI = """
import os, shutil, sys, time
import crawler.store.dataset
from flows.cli import main

n, marker, root, argv = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
calls = 0

def pausing(real):
    def step(*args, **kwargs):
        global calls
        if os.path.realpath(args[-1] if real is not shutil.rmtree else args[0]).startswith(
            root + os.sep
        ):
            calls += 1
            if calls == n:
                open(marker, "w").close()
                time.sleep(600)
        return real(*args, **kwargs)
    return step

os.replace = pausing(os.replace)
if os.environ.get("PAUSE_ALL"):
    if hasattr(crawler.store.dataset, "exchange_dirs"):
        crawler.store.dataset.exchange_dirs = pausing(crawler.store.dataset.exchange_dirs)
    shutil.rmtree = pausing(shutil.rmtree)
sys.exit(main(argv))
"""


def generate_corpus(out: Path, n: int, seed: int = 7) -> None:
    """n page dumps, 30% of them reposts of others, by bench/gen_corpus.py."""
    spec = importlib.util.spec_from_file_location("gen_corpus", ROOT / "bench" / "gen_corpus.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(out, n, 0.3, seed)


def ingest_command(corpus: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "flows.cli", "ingest", str(corpus), "--out", str(out)]


def compact_command(out: Path) -> list[str]:
    return [sys.executable, "-m", "flows.cli", "compact", "--out", str(out)]


def ingest(corpus: Path, out: Path) -> dict[str, Any]:
    """One uninterrupted ingest, in this process (what `corpus ingest` runs); its summary."""
    return run_ingest([str(corpus)], out).to_dict()


# -- a run's progress, from what it left on disk ------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """What one run has left in the dataset directory so far."""

    run_id: str | None
    staging: bool  # its staging area exists
    scanned: bool  # its scan is over (the line statistics are staged)
    batches: int  # cleaned batches staged
    hidden: int  # its hidden table files (.part-<run>.parquet.tmp)
    committed: bool  # the manifest lists it

    @property
    def phase(self) -> str:
        if self.committed:
            return "renames" if self.hidden else "cleanup" if self.staging else "done"
        if self.hidden:
            return "write"
        if not self.staging:
            return "start"
        return "clean" if self.scanned else "scan"  # "clean" includes the short dedup


def known_runs(out: Path) -> frozenset[str]:
    """Run ids in the manifest or the staging area: a new run is any other."""
    staging = out / "_staging"
    staged = {p.name for p in staging.iterdir()} if staging.is_dir() else set()
    return frozenset(staged | {r["run_id"] for r in Dataset(out).manifest()["runs"]})


def observe(out: Path, before: frozenset[str]) -> Progress:
    """The progress of the run not in `before` (may race with it: callers retry on OSError)."""
    staging_root = out / "_staging"
    staged = (
        [p for p in staging_root.iterdir() if p.name not in before] if staging_root.is_dir() else []
    )
    committed = [r["run_id"] for r in Dataset(out).manifest()["runs"] if r["run_id"] not in before]
    run_id = staged[0].name if staged else committed[0] if committed else None
    if run_id is None:
        return Progress(None, False, False, 0, 0, False)
    staging = staging_root / run_id
    hidden = sum(
        1 for folder in FOLDERS.values() for _ in (out / folder).rglob(f".part-{run_id}.*.tmp")
    )
    return Progress(
        run_id=run_id,
        staging=staging.is_dir(),
        scanned=(staging / "line_stats.pickle").exists(),
        batches=len(list(staging.glob("batch-*.rejects.parquet.staged"))),  # written after the docs
        hidden=hidden,
        committed=run_id in committed,
    )


# -- killing a run -------------------------------------------------------------------------------


@dataclass(frozen=True)
class KillPoint:
    """When to kill a run: once `until` holds for its progress, after `seconds`, or while it is
    paused before its `pause_at_replace`-th rename into the dataset (1: the manifest)."""

    name: str
    until: Callable[[Progress], bool] | None = None
    seconds: float | None = None
    pause_at_replace: int | None = None


def _point(name: str, phases: set[str], **when: Any) -> tuple[KillPoint, frozenset[str]]:
    return KillPoint(name, **when), frozenset(phases)


# Kill points by name, each with the phases a kill there may land in.
POINTS: dict[str, tuple[KillPoint, frozenset[str]]] = {
    "scan": _point("scan", {"scan"}, until=lambda p: p.phase == "scan"),
    "mid-clean": _point(
        "mid-clean", {"clean"}, until=lambda p: p.phase == "clean" and p.batches >= 3
    ),
    "writing parts": _point("writing parts", {"write"}, until=lambda p: p.phase == "write"),
    # the commit point: the manifest replaced, no file renamed yet
    "commit point": _point("commit point", {"renames"}, pause_at_replace=2),
    "mid-renames": _point("mid-renames", {"renames"}, pause_at_replace=3),  # records renamed
    "after the commit": _point(
        "after the commit", {"renames", "cleanup", "done"}, until=lambda p: p.committed
    ),
}


@dataclass(frozen=True)
class Kill:
    killed: bool  # False: the run ended on its own before the point came
    progress: Progress  # on disk, once no process of the run was running any more
    seconds: float  # from the start of the run to the kill
    output: str  # the tail of the run's stdout and stderr


def kill_run(
    corpus: Path,
    out: Path,
    point: KillPoint,
    poll: float = 0.005,
    command: list[str] | None = None,
) -> Kill:
    """Start `corpus ingest` (or `command`, a `python -m flows.cli ...` line) and SIGKILL its
    whole process group at `point`. A `command` pauses at swaps and staging removal too."""
    before = known_runs(out)
    env = dict(os.environ, PAUSE_ALL="1") if command else None
    with tempfile.TemporaryDirectory() as tmp, open(Path(tmp) / "log", "w+b") as log:
        marker = Path(tmp) / "paused"
        cli = command or ingest_command(corpus, out)
        command = cli
        if point.pause_at_replace is not None:
            root = str(out.resolve())
            command = [sys.executable, "-c", PAUSED_CLI, str(point.pause_at_replace), str(marker)]
            command += [root, *cli[3:]]
        started = time.monotonic()
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            start_new_session=True,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            while proc.poll() is None and not _due(point, out, before, marker, started):
                time.sleep(poll)
        finally:
            seconds = time.monotonic() - started
            kill_group(proc)
        log.seek(0)
        output = log.read()[-3000:].decode(errors="replace")
    if proc.returncode not in (0, -signal.SIGKILL):
        raise RuntimeError(f"corpus ingest exited {proc.returncode}: {output}")
    return Kill(proc.returncode == -signal.SIGKILL, observe(out, before), seconds, output)


def _due(point: KillPoint, out: Path, before: frozenset[str], marker: Path, started: float) -> bool:
    if point.seconds is not None:
        return time.monotonic() - started >= point.seconds
    if point.pause_at_replace is not None:
        return marker.exists()
    assert point.until is not None
    try:
        return point.until(observe(out, before))
    except OSError:  # a folder went away while we looked: look again
        return False


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL every process of the run's session; return once none of them runs any more."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 30
    while _running_in_group(proc.pid):
        if time.monotonic() > deadline:
            raise RuntimeError(f"processes of group {proc.pid} outlived SIGKILL")
        time.sleep(0.01)


def _running_in_group(pgid: int) -> bool:
    """Whether a process of the group still runs. Killed workers stay zombies until init reaps
    them, which can take a second here; a zombie writes nothing."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except OSError:
            continue
        if int(group) == pgid and state != "Z":
            return True
    return False


# -- what consumers see --------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsumerView:
    """What readers see in a dataset: the Parquet files that pyarrow's discovery or a DuckDB
    `<table>/**/*.parquet` or `<dataset>/**/*.parquet` glob pick up, and the record rows each
    reader reads."""

    files: int
    uncommitted: tuple[str, ...]  # files readers pick up that the manifest does not list
    broken: tuple[str, ...]  # files readers pick up that do not read whole
    records: dict[str, int | str]  # reader -> record rows, or its error

    @property
    def readable(self) -> bool:
        """No reader fails, and the ones that discover files agree (`corpus stats` goes by the
        manifest, which runs ahead of the renames between a commit point and its end)."""
        counts = [v for k, v in self.records.items() if k != "corpus stats"]
        return (
            not self.uncommitted
            and not self.broken
            and all(isinstance(v, int) for v in self.records.values())
            and len(set(counts)) == 1
        )


def consumer_view(out: Path) -> ConsumerView:
    dataset = Dataset(out)
    committed = {
        str(dataset.root / rel) for rels in dataset.manifest()["files"].values() for rel in rels
    }
    # a glob over the whole dataset folder too: staging and crawl job files must not match it
    picked = {file for (file,) in _duckdb(f"SELECT file FROM glob('{dataset.root}/**/*.parquet')")}
    for table in TABLES:
        folder = dataset.root / FOLDERS[table]
        if folder.is_dir():
            picked.update(pads.dataset(folder, format="parquet", partitioning="hive").files)
            picked.update(
                file for (file,) in _duckdb(f"SELECT file FROM glob('{folder}/**/*.parquet')")
            )
    broken = []
    for path in sorted(picked):
        try:
            pq.read_table(path)
        except Exception as exc:
            broken.append(f"{path}: {exc}")
    return ConsumerView(
        files=len(picked),
        uncommitted=tuple(sorted(picked - committed)),
        broken=tuple(broken),
        records={name: _rows_or_error(read, dataset.root) for name, read in _READERS.items()},
    )


def _duckdb(query: str) -> list[Any]:
    relation = duckdb.sql(query)
    assert relation is not None
    return relation.fetchall()


def _duckdb_rows(root: Path) -> int:
    if not _duckdb(f"SELECT file FROM glob('{root}/records/**/*.parquet')"):
        return 0  # DuckDB refuses a glob that matches nothing: an empty dataset
    (rows,) = _duckdb(f"SELECT count(*) FROM '{root}/records/**/*.parquet'")[0]
    return int(rows)


_READERS: dict[str, Callable[[Path], int]] = {
    "pyarrow": lambda root: pads.dataset(root, format="parquet").count_rows(),
    "pandas": lambda root: len(pd.read_parquet(root)),
    "duckdb": _duckdb_rows,
    "corpus stats": lambda root: int(dataset_stats(Dataset(root))["records"]),  # all tables
}


def _rows_or_error(read: Callable[[Path], int], root: Path) -> int | str:
    try:
        return read(root)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


# -- a dataset's contents ------------------------------------------------------------------------


@dataclass(frozen=True)
class Contents:
    """A dataset's committed rows, without run ids and times, to compare two datasets."""

    records: tuple[tuple[str, str], ...]  # (doc_id, text), sorted; repeats kept
    merges: tuple[tuple[str, str, str], ...]  # (source_uri, doc_id, kind)
    rejects: tuple[tuple[str, str], ...]  # (source_uri, reason)
    inputs: tuple[tuple[str, str, str], ...]  # (source_uri, outcome, doc_id)
    audit_rows: int

    @property
    def doc_ids(self) -> set[str]:
        return {doc_id for doc_id, _ in self.records}

    @property
    def duplicates(self) -> int:
        return len(self.records) - len(self.doc_ids)


def contents(out: Path) -> Contents:
    dataset = Dataset(out)

    def rows(table: str, schema: Any, columns: list[str]) -> tuple[tuple[Any, ...], ...]:
        data = dataset.read(table, schema, columns)
        return tuple(sorted(zip(*(data[c].to_pylist() for c in columns), strict=True)))

    return Contents(
        records=rows("records", RECORDS_SCHEMA, ["doc_id", "text"]),
        merges=rows("merges", MERGES_SCHEMA, ["source_uri", "doc_id", "kind"]),
        rejects=rows("rejects", REJECTS_SCHEMA, ["source_uri", "reason"]),
        inputs=rows("_index/inputs", INDEX_INPUTS_SCHEMA, ["source_uri", "outcome", "doc_id"]),
        audit_rows=dataset.read("audit", AUDIT_SCHEMA, ["reason"]).num_rows,
    )


def leftovers(out: Path) -> list[str]:
    """Staging and temporary files left in a dataset (none once a run has finished)."""
    found = [str(p.relative_to(out)) for p in out.rglob("*.tmp")]
    return found + (["_staging"] if (out / "_staging").exists() else [])


@dataclass(frozen=True)
class Completion:
    """A killed run's dataset after the next run (and the one after), against the reference."""

    records: int  # record rows
    duplicates: int  # record rows that repeat a doc_id
    missing: int  # reference records absent
    extra: int  # records the reference does not have
    same_as_reference: bool  # every table's rows, after the next run and after the one after
    leftovers: tuple[str, ...]  # staging or temporary files left by the next run
    view: ConsumerView  # what readers see after the next run
    rerun: dict[str, int]  # the run after: inputs added, processed, unchanged


def complete(corpus: Path, out: Path, reference: Contents) -> Completion:
    """Ingest the corpus again into a killed run's dataset, to the end, then once more."""
    ingest(corpus, out)
    got = contents(out)
    view, left = consumer_view(out), tuple(leftovers(out))
    again = ingest(corpus, out)
    return Completion(
        records=len(got.records),
        duplicates=got.duplicates,
        missing=len(reference.doc_ids - got.doc_ids),
        extra=len(got.doc_ids - reference.doc_ids),
        same_as_reference=got == reference and contents(out) == reference,
        leftovers=left,
        view=view,
        rerun={k: again[k] for k in ("added", "processed", "unchanged")},
    )
