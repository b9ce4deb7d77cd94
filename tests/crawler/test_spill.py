"""KeyPartitions: sorted records spilled by their keys' top bits, read back in key order."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from crawler.spill import KeyPartitions

RECORD = np.dtype([("key", "<u8"), ("value", "<i8")])


def chunk(keys: list[int]) -> np.ndarray:
    records = np.empty(len(keys), dtype=RECORD)
    records["key"] = sorted(keys)
    records["value"] = np.arange(len(keys))
    return records


@pytest.mark.parametrize("partitions", [1, 2, 64])
def test_partitions_hold_every_record_and_ascend_from_one_to_the_next(
    tmp_path: Path, partitions: int
) -> None:
    rng = np.random.default_rng(7)
    chunks = [chunk(rng.integers(0, 2**64, 500, dtype=np.uint64).tolist()) for _ in range(5)]
    with KeyPartitions(tmp_path, "t", RECORD, partitions) as spill:
        for records in chunks:
            spill.write(records, records["key"])
        assert spill.written
        parts = list(spill.read())
        assert not spill.written
    assert len(parts) == partitions
    assert sum(p.size for p in parts) == 2500
    read = np.concatenate(parts)
    assert sorted(read["key"].tolist()) == sorted(np.concatenate(chunks)["key"].tolist())
    tops = [(int(p["key"].min()), int(p["key"].max())) for p in parts if p.size]
    assert all(a[1] < b[0] for a, b in pairwise(tops))
    assert not list(tmp_path.iterdir())


def test_nothing_written_reads_nothing_and_close_removes_the_files(tmp_path: Path) -> None:
    spill = KeyPartitions(tmp_path / "sub", "t", RECORD, 4)
    assert list(spill.read()) == []
    spill.write(chunk([1, 2**63 + 5]), chunk([1, 2**63 + 5])["key"])
    assert len(list((tmp_path / "sub").iterdir())) == 4
    spill.close()
    assert not list((tmp_path / "sub").iterdir())


@pytest.mark.parametrize("partitions", [0, 3, 6])
def test_partitions_must_be_a_power_of_two(tmp_path: Path, partitions: int) -> None:
    with pytest.raises(ValueError, match="power of two"):
        KeyPartitions(tmp_path, "t", RECORD, partitions)
