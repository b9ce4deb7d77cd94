"""The damage report: one row per case of tests/damage.py (and any case registered there by
other modules): the damage, the next command's exit and message, records before and after it,
whether pyarrow and DuckDB still read the dataset, what `corpus verify` and `corpus repair` made
of it, and the records after repair and a re-ingest of the inputs repair listed.

    .venv/bin/python bench/damage_report.py            # every case (mount cases need root),
                                                       # then bench/input_damage.py's input cases
    .venv/bin/python bench/damage_report.py --case "records truncated"
    .venv/bin/python bench/damage_report.py --measure DATASET  # checksums' cost vs a full read
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from damage import CASES, MOUNTS, Outcome, build_dataset, can_mount, run_case  # noqa: E402

from crawler.report.summary import table  # noqa: E402


def row(outcome: Outcome) -> tuple[str, ...]:
    repair = outcome.repair
    if "error" in repair:
        did = f"exit {outcome.repair_exit}: {repair['error']}"
    else:
        did = (
            f"quarantined {len(repair['quarantined'])}, lost {len(repair['lost_records'])}, "
            f"inputs listed {len(repair['forgotten_inputs'])}"
        )
    return (
        outcome.case,
        outcome.damage,
        str(outcome.next_exit),
        outcome.next_message.removeprefix("corpus: error: ")[:90],
        "none" if not outcome.touched else f"{len(outcome.touched)} files",
        f"{outcome.records_before} -> {outcome.records_after_next}",
        f"{'yes' if outcome.pyarrow_reads else 'NO'}/{'yes' if outcome.duckdb_reads else 'NO'}",
        f"{outcome.verify_exit}: {outcome.verify_lines[0][:60] if outcome.verify_lines else ''}",
        did,
        f"{outcome.records_after_repair} (lost {len(outcome.lost_for_good)})",
        str(outcome.verify_after),
    )


HEADER = (
    "case",
    "damage",
    "exit",
    "next run says",
    "touched",
    "records",
    "pyarrow/duckdb",
    "verify",
    "repair",
    "after repair+re-ingest",
    "verify after",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case", action="append", help="only this case (repeatable)")
    parser.add_argument("--measure", metavar="DATASET", help="time checksums of DATASET")
    args = parser.parse_args()
    if args.measure:
        from crawler.store.dataset import Dataset

        measure_dataset(Dataset(args.measure))
        return
    mounts = can_mount()
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory() as tmp:
        built = build_dataset(Path(tmp) / "built" / "corpus")
        for name in args.case or list(CASES):
            if name in MOUNTS and not mounts:
                print(f"skipped {name}: needs to mount a file system (root)", file=sys.stderr)
                continue
            work = Path(tmp) / f"case{len(rows)}" / "corpus"
            shutil.copytree(built, work)
            rows.append(row(run_case(CASES[name], work)))
    print(table(HEADER, rows, max_width=400))
    if not args.case:  # the input classes (symlinks, disguised inputs, secrets) in their own table
        print("\nDamaged and disguised inputs (bench/input_damage.py):", flush=True)
        subprocess.run([sys.executable, str(ROOT / "bench" / "input_damage.py")], check=False)


def measure_dataset(dataset: object) -> None:
    import pyarrow.dataset as pads

    from crawler.store.dataset import TABLES, Dataset, sha256_of

    assert isinstance(dataset, Dataset)
    files = [p for t in TABLES for p in dataset.files(t)]
    size = sum(p.stat().st_size for p in files)
    t0 = time.perf_counter()
    problems = dataset.problems()
    t1 = time.perf_counter()
    for path in files:
        sha256_of(path)
    t2 = time.perf_counter()
    pads.dataset([str(p) for p in dataset.files("records")], format="parquet").to_table()
    t3 = time.perf_counter()
    index = [p for t in ("_index/docs", "_index/inputs") for p in dataset.files(t)]
    t4 = time.perf_counter()
    for path in index:
        sha256_of(path)
    t5 = time.perf_counter()
    print(
        f"{len(files)} files, {size / 1e6:.1f} MB: start-of-run check (stat) "
        f"{1e3 * (t1 - t0):.1f} ms ({len(problems)} problems); sha256 of all {t2 - t1:.2f} s "
        f"({size / 1e6 / max(t2 - t1, 1e-9):.0f} MB/s); reading every record {t3 - t2:.2f} s; "
        f"sha256 of the _index files (each run) {1e3 * (t5 - t4):.0f} ms"
    )


if __name__ == "__main__":
    main()
