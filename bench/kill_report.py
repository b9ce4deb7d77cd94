"""Crash safety figures: SIGKILL `corpus ingest` at named points and at random times of a large run,
and report what each kill left and what the next run made of it.

    .venv/bin/python bench/kill_report.py [--dumps 10000] [--random 4] [--seed 7] [--work DIR]

Generates DUMPS page dumps with reposts (bench/gen_corpus.py); the reference is a dataset holding
the seeds into which `corpus ingest` adds them without interruption. Each scenario starts from
the seeds' dataset, starts the CLI and SIGKILLs its process group (workers included): at the
named points of tests/killrun.py, twice in a row, and at uniform random times over the reference
run's wall time (--random of them, and one more pair). Per kill it prints the phase the run was
in, the Parquet files readers pick up and how many of those are uncommitted or do not read whole
(both must be 0), whether pyarrow, pandas, DuckDB and `corpus stats` all read the dataset, the
records pyarrow sees and, for kills before the commit point, whether every reader sees just the
records that were there before. Then the next run completes the dataset: its records against the
reference's, duplicates, missing, whether every table equals the reference's, files left over,
and what one more run added. Totals at the end.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from helpers import SEEDS  # noqa: E402
from killrun import (  # noqa: E402
    POINTS,
    Completion,
    Contents,
    Kill,
    KillPoint,
    complete,
    consumer_view,
    contents,
    generate_corpus,
    ingest,
    ingest_command,
    kill_run,
)

Scenario = tuple[str, list[KillPoint]]
TOTALS = (
    "kills",
    "finished first",
    "readable",
    "killed before the commit point",
    "earlier records intact",
    "uncommitted files seen",
    "broken files seen",
    "completed to the reference",
    "duplicates",
    "missing",
    "extra",
    "leftovers",
    "added by one more run",
)


def scenarios(wall: float, n_random: int, rng: random.Random) -> list[Scenario]:
    """The named points, two kills in a row, then random times (one more pair of them)."""
    named: list[Scenario] = [(name, [point]) for name, (point, _) in POINTS.items()]
    named.append(("twice", [POINTS["writing parts"][0], POINTS["mid-renames"][0]]))

    def at_random() -> KillPoint:
        seconds = round(rng.uniform(0.5, wall), 2)
        return KillPoint(f"t={seconds}s", seconds=seconds)

    randoms: list[Scenario] = [(f"random {i + 1}", [at_random()]) for i in range(n_random)]
    randoms.append(("random twice", [at_random(), at_random()]))
    return named + randoms


def print_kill(
    scenario: str, point: KillPoint, kill: Kill, out: Path, earlier: int, totals: Counter[str]
) -> None:
    """One row per kill: where it landed and what readers see (`earlier`: the records the
    dataset held before the run, all a reader may see until the run's commit point)."""
    totals["kills"] += 1
    if not kill.killed:
        totals["finished first"] += 1
        print(f"{scenario:<16} {point.name:<17} {kill.seconds:6.1f}  (the run finished first)")
        return
    view = consumer_view(out)
    totals["readable"] += view.readable
    totals["uncommitted files seen"] += len(view.uncommitted)
    totals["broken files seen"] += len(view.broken)
    as_before = "-"
    if not kill.progress.committed:
        as_before = "yes" if set(view.records.values()) == {earlier} else "NO"
        totals["killed before the commit point"] += 1
        totals["earlier records intact"] += as_before == "yes"
    print(
        f"{scenario:<16} {point.name:<17} {kill.seconds:6.1f}  {kill.progress.phase:<8}"
        f" {kill.progress.batches:>7} {view.files:>5} {len(view.uncommitted):>11}"
        f" {len(view.broken):>6} {'yes' if view.readable else 'NO':>8}"
        f" {view.records.get('pyarrow')!s:>8} {as_before:>9}"
    )
    if not view.readable:
        print(f"    readers: {view.records}")


def print_completion(done: Completion, reference: Contents, totals: Counter[str]) -> None:
    """The row for the run that completed a scenario."""
    totals["completed to the reference"] += done.same_as_reference
    totals["duplicates"] += done.duplicates
    totals["missing"] += done.missing
    totals["extra"] += done.extra
    totals["leftovers"] += len(done.leftovers)
    totals["added by one more run"] += done.rerun["added"]
    print(
        f"{'':<16} {'-> next run':<17} records {done.records}/{len(reference.records)},"
        f" duplicates {done.duplicates}, missing {done.missing}, extra {done.extra},"
        f" all tables as reference: {'yes' if done.same_as_reference else 'NO'},"
        f" leftovers {len(done.leftovers)}, readable {'yes' if done.view.readable else 'NO'},"
        f" one more run added {done.rerun['added']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dumps", type=int, default=10_000, help="page dumps to generate")
    parser.add_argument("--random", type=int, default=4, help="kills at random times")
    parser.add_argument("--seed", type=int, default=7, help="corpus and kill times")
    parser.add_argument("--work", type=Path, help="keep the corpus and datasets here")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="kill_report-"))
    try:
        report(work, args.dumps, args.random, args.seed)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


def report(work: Path, dumps: int, n_random: int, seed: int) -> None:
    corpus = work / f"dumps-{dumps}-{seed}"
    if not corpus.exists():
        generate_corpus(corpus, dumps, seed)
    reference_out = work / "reference"
    shutil.rmtree(reference_out, ignore_errors=True)
    ingest(SEEDS, reference_out)
    earlier = len(contents(reference_out).records)
    started = time.monotonic()
    subprocess.run(ingest_command(corpus, reference_out), cwd=ROOT, check=True, capture_output=True)
    wall = time.monotonic() - started
    reference = contents(reference_out)
    kinds = Counter(kind for _, _, kind in reference.merges)
    print(
        f"{dumps} dumps into a dataset holding {earlier} records: the uninterrupted"
        f" `corpus ingest` took {wall:.1f} s and adds {len(reference.records) - earlier} records"
        f" ({kinds['exact']} exact and {kinds['near']} near duplicates merged,"
        f" {len(reference.rejects)} rejected)\n"
    )
    print(
        f"{'scenario':<16} {'kill point':<17} {'at s':>6}  {'phase':<8} {'batches':>7}"
        f" {'files':>5} {'uncommitted':>11} {'broken':>6} {'readable':>8} {'records':>8}"
        f" {'as before':>9}"
    )
    plan = scenarios(wall, n_random, random.Random(seed))
    totals: Counter[str] = Counter()
    for n, (name, points) in enumerate(plan):
        out = work / f"dataset-{n}"
        shutil.rmtree(out, ignore_errors=True)
        ingest(SEEDS, out)
        for point in points:
            print_kill(name, point, kill_run(corpus, out, point), out, earlier, totals)
        print_completion(complete(corpus, out, reference), reference, totals)
        shutil.rmtree(out, ignore_errors=True)
    print(f"\ntotals over {len(plan)} scenarios:")
    for key in TOTALS:
        print(f"  {key}: {totals[key]}")


if __name__ == "__main__":
    main()
