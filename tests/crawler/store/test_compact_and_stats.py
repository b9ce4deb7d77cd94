"""Compaction keeps every row and the dedup index; stats report the dataset's figures."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from crawler.run.ingest import run_ingest
from crawler.store.compact import SCHEMAS, compact
from crawler.store.dataset import TABLES, Dataset
from crawler.store.stats import dataset_stats


def three_runs(seeds: Path, tmp_path: Path) -> Path:
    """The seeds ingested in three runs (so each table has several small files)."""
    out = tmp_path / "corpus"
    for n, names in enumerate((["000", "001"], ["002", "003"], ["004"])):
        folder = tmp_path / f"in{n}"
        folder.mkdir()
        for name in names:
            for path in seeds.glob(f"{name}_*.txt"):
                shutil.copy(path, folder)
        run_ingest([str(folder)], out)
    return out


def rows(dataset: Dataset, table: str) -> list[dict[str, Any]]:
    data = dataset.read(table, SCHEMAS[table]).to_pylist()
    return sorted(data, key=lambda r: sorted((k, str(v)) for k, v in r.items()))


def test_compaction_keeps_rows_and_index(seeds_copy: Path, tmp_path: Path) -> None:
    out = three_runs(seeds_copy, tmp_path)
    dataset = Dataset(out)
    before = {t: rows(dataset, t) for t in TABLES}
    assert len(dataset.files("records")) == 3
    with dataset.lock():
        done = compact(dataset)
    assert done["records"] == (3, 1) and done["_index/inputs"] == (3, 1)
    assert {t: rows(dataset, t) for t in TABLES} == before
    visible = sorted(p.name for p in (out / "records").rglob("*.parquet"))
    assert len(visible) == 1 and visible[0].startswith("part-compact-")
    inputs = [str(tmp_path / f"in{n}") for n in range(3)]
    again = run_ingest(inputs, out)  # the seen-inputs index survived compaction
    assert again.added == 0 and again.unchanged == 5
    copies = run_ingest([str(seeds_copy)], out)  # so did the dedup index: same texts elsewhere
    assert copies.added == 0 and copies.merged_exact + copies.merged_near == 5


def test_stats_figures(seeds_dataset: Path) -> None:
    stats = dataset_stats(Dataset(seeds_dataset))
    assert stats["records"] == 4 and stats["inputs_merged_as_duplicates"] == 1
    assert stats["duplicate_rate"] == 0.2
    assert dict(stats["publishers"])["FPIF"] == 1 and stats["languages"] == [("en", 4)]
    assert 0.05 < stats["boilerplate_removed_share"] < 0.5
    assert stats["removal_reasons"][0][0] == "related_block"
    assert stats["files"]["records"] == 1 and stats["rejects"] == 0
