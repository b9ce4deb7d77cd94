"""The staged batches' spilled columns: every row read back, across batches, as written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crawler.store.staged import STAGED_SCHEMA, SpilledColumns, read_docs, write_batch


def staged(text: str, signature: bytes) -> dict[str, Any]:
    return {
        "text": text,
        "signature": signature,
        "source_uri": f"file:///{len(text)}",
        "source_kind": "text",
        "authors": [],
        "captions": [],
        "removed": [],
        "word_count": len(text.split()),
        "content_hash": "h",
        "removed_ratio": 0.0,
    }


def test_spilled_columns_give_back_every_row_across_batches(tmp_path: Path) -> None:
    batches = [
        ["first", "", "naïve café — 東京 😀"],
        [],  # a batch that staged no document
        ["x" * 70_000, "last"],
    ]
    paths = []
    for n, texts in enumerate(batches):
        path = str(tmp_path / f"batch-{n}.docs")
        rows = [staged(t, bytes([n, i]) * 3) for i, t in enumerate(texts)]
        write_batch(rows, [], path, str(tmp_path / f"batch-{n}.rejects"))
        paths.append(path)
    # a file whose text column comes in two row groups (two chunks when read)
    table = pa.Table.from_pylist(
        [staged("row group one", b"1"), staged("two", b"2")], STAGED_SCHEMA
    )
    pq.write_table(table, tmp_path / "two-groups", row_group_size=1)
    paths.append(str(tmp_path / "two-groups"))
    assert read_docs(paths[-1], ["text"])["text"].num_chunks == 2
    want = [t for texts in batches for t in texts] + ["row group one", "two"]
    with SpilledColumns(paths, ["text", "signature"], tmp_path) as spilled:
        assert len(spilled) == len(want)
        assert [spilled.text("text", i) for i in range(len(want))] == want
        assert spilled.get("signature", 3) == bytes([2, 0]) * 3
        assert spilled.get("signature", 6) == b"2"
        with pytest.raises(IndexError):
            spilled.get("text", len(want))
    assert not list(tmp_path.glob("*.spill"))
