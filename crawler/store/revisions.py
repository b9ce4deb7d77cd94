"""Article revisions in the dataset: which record is a source's latest text, and moving the rows
a newer revision replaces from `records` to `_revisions` in the run's commit.

`records` holds the latest revision of every article, so every reader's default view (a glob
over `records/`, `pd.read_parquet("data/corpus")`) has one row per article; the history is
`records` plus `_revisions`. A records file that holds a replaced row is rewritten without it,
in a swap folder beside its partition (with links to the partition's other files), and the
folder is exchanged with the live one after the commit point, as compaction does: a glob lists
the old rows or the new, never a row twice or none.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from crawler.record import RECORDS_SCHEMA, REVISIONS_SCHEMA
from crawler.store.dataset import Dataset, TableWriter

REVISIONS_TABLE = "revisions"


@dataclass(frozen=True)
class Latest:
    """A source's latest record."""

    doc_id: str
    content_hash: str
    revision: int  # 1 for rows written before revisions existed


def latest_records(dataset: Dataset) -> tuple[dict[str, Latest], dict[str, Latest]]:
    """The committed records by their kept source (`source_uri`) and by canonical `url`."""
    columns = ["doc_id", "source_uri", "url", "content_hash", "revision"]
    rows = dataset.read("records", RECORDS_SCHEMA, columns).to_pylist()
    by_source: dict[str, Latest] = {}
    by_url: dict[str, Latest] = {}
    for row in rows:
        latest = Latest(row["doc_id"], row["content_hash"], row["revision"] or 1)
        by_source[row["source_uri"]] = latest
        if row["url"]:
            by_url[row["url"]] = latest
    return by_source, by_url


@dataclass
class Superseded:
    """What a commit needs to move replaced revisions: files to add (hidden until the commit),
    files it drops, and the folder swaps that make the change atomic for glob readers."""

    written: list[Path] = field(default_factory=list)
    superseded: list[Path] = field(default_factory=list)
    swaps: list[tuple[Path, Path]] = field(default_factory=list)
    moved: int = 0


def supersede(
    dataset: Dataset,
    run_id: str,
    doc_ids: set[str],
    swap_root: Path,
    run_files: list[Path],
    write_empty: bool = False,
) -> Superseded:
    """Prepare the commit that moves the records `doc_ids` to `_revisions`. `run_files`: the
    run's own files (hidden, not committed yet); one in a partition that is swapped moves into
    its swap folder. `write_empty`: write the (empty) `_revisions` file even with nothing to
    move, when the table has none yet (a glob over it must find a file). Call it holding the
    lock, before the commit."""
    result = Superseded()
    write_empty = write_empty and not dataset.manifest()["files"][REVISIONS_TABLE]
    if not doc_ids and not write_empty:
        return result
    wanted = pa.array(sorted(doc_ids), pa.string())
    touched: dict[Path, list[Path]] = defaultdict(list)
    for path in dataset.files("records"):
        ids = pq.read_table(path, columns=["doc_id"])["doc_id"]
        if pc.any(pc.is_in(ids, value_set=wanted)).as_py():
            touched[path.parent].append(path)
    history = dataset.writer(REVISIONS_TABLE, REVISIONS_SCHEMA, run_id)
    committed = {dataset.root / rel for rel in dataset.manifest()["files"]["records"]}
    try:
        for n, (folder, files) in enumerate(sorted(touched.items())):
            shadow = swap_root / folder.relative_to(dataset.root)
            shadow.mkdir(parents=True)
            for other in sorted(committed - set(files)):  # the partition's other files stay
                if other.parent == folder:
                    os.link(other, shadow / other.name)
            for own in run_files:
                if own.parent == folder:
                    hidden = own.with_name(f".{own.name}.tmp")
                    os.rename(hidden, shadow / hidden.name)
            out = folder / f"part-{run_id}-{n}.parquet"
            writer = TableWriter(shadow / out.name, RECORDS_SCHEMA, run_id, 20_000)
            for path in files:
                rows = pq.read_table(path, schema=RECORDS_SCHEMA)
                moved = pc.is_in(rows["doc_id"], value_set=wanted)
                history.write(rows.filter(moved).to_pylist())
                writer.write(rows.filter(pc.invert(moved)).to_pylist())
            writer.close(write_empty=True)  # the swap needs a new file, even of no rows
            result.written.append(out)
            result.superseded += files
            result.swaps.append((folder, shadow))
        result.moved = history.count
        if (history_file := history.close(write_empty)) is not None:
            result.written.append(history_file)
    except BaseException:
        history.abort()
        raise
    return result
