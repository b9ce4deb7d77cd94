"""Compaction: rewrite a table's many small files (one per run) as few large ones, atomically.

Rows are copied unchanged, in file order; partitions are kept (records and audit: one output file
per ingest day). The old files leave the manifest in the same commit that adds the new ones.

Readers that glob a table's folder must never see a row twice or miss one, whenever compaction is
killed. So each compacted folder (a partition, or a side table's folder) is rebuilt beside it, in
the run's staging area, holding only the new file, and after the commit point swapped with the
live folder in one atomic exchange (renameat2): a glob lists the old files or the new one. The
next run (or compaction) finishes the swaps of a committed compaction killed before them.
"""

from __future__ import annotations

import contextlib
import shutil
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq

from crawler.errors import DatasetDamagedError
from crawler.run_types import new_run_id
from crawler.schemas import REGISTRY
from crawler.store.dataset import TABLES, Dataset, TableWriter, repair_hint

SCHEMAS = {name: t.schema for name, t in REGISTRY.items()}  # table -> schema


def compact(dataset: Dataset, min_files: int = 2) -> dict[str, tuple[int, int]]:
    """Compact every table (and partition) with at least `min_files` files. Call it holding the
    dataset's lock. Returns {table: (files before, files after)} for what was compacted."""
    dataset.recover()
    if leftovers := dataset.table_files(hidden=True):  # a swap would take them away
        raise DatasetDamagedError(
            f"dataset {dataset.root}: {leftovers[0].relative_to(dataset.root)} is a hidden file "
            f"no run owns; {repair_hint(dataset.root)} (it moves such files to _quarantine)"
        )
    run_id = "compact-" + new_run_id(datetime.now(UTC))
    swap_root = dataset.staging_dir(run_id) / "swap"
    written: list[Path] = []
    superseded: list[Path] = []
    swaps: list[tuple[Path, Path]] = []
    done: dict[str, tuple[int, int]] = {}
    for table in TABLES:
        groups: dict[Path, list[Path]] = defaultdict(list)
        for path in dataset.files(table):
            groups[path.parent].append(path)
        before = after = 0
        for folder, files in sorted(groups.items()):
            before += len(files)
            after += 1 if len(files) >= min_files else len(files)
            if len(files) < min_files:
                continue
            shadow = swap_root / folder.relative_to(dataset.root)
            out = folder / f"part-{run_id}.parquet"
            writer = TableWriter(shadow / out.name, SCHEMAS[table], run_id, 20_000)
            for path in files:
                for batch in pq.ParquetFile(path).iter_batches(batch_size=10_000):
                    writer.write(batch.to_pylist())
            writer.close(write_empty=True)  # a table keeps a file, even of no rows
            written.append(out)
            superseded += files
            swaps.append((folder, shadow))
        if before != after:
            done[table] = (before, after)
    if written:
        dataset.commit(run_id, written, {"compaction": done}, superseded, swaps=swaps)
    shutil.rmtree(swap_root.parent, ignore_errors=True)  # the swapped-out old files with it
    with contextlib.suppress(OSError):
        swap_root.parent.parent.rmdir()
    return done
