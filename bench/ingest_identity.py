"""Record-for-record fingerprint of a whole ingest's output, to prove a speed change left it
identical (the cleaner alone: `bench/clean_identity.py`).

    .venv/bin/python bench/ingest_identity.py OUT.json [--sets DIR ...] [--workers N]
    .venv/bin/python bench/ingest_identity.py OUT.json --against BEFORE.json

Ingests each set (default: eval/dev/text and ../shared/eval/dragnet-train/text, read in place,
never copied; give both runs the same --sets: a record's source is its file's URI) into a
fresh dataset with `run_ingest` (what `corpus ingest` runs: scan, worker processes, dedup,
write), then reads back every row of the records, audit, merges and rejects tables, drops what
differs between any two runs (run ids, times), and writes one sha256 per row, keyed by source
and table, plus the rows' order in the records table. With --against, prints each row that
differs and exits 1 if any does. To fingerprint other code, run the script of that checkout
(it imports the code beside it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from cleaner_features import default_eval  # noqa: E402

from crawler.config import Settings  # noqa: E402
from crawler.record import AUDIT_SCHEMA, MERGES_SCHEMA, RECORDS_SCHEMA, REJECTS_SCHEMA  # noqa: E402
from crawler.run.ingest import run_ingest  # noqa: E402
from crawler.store.dataset import Dataset  # noqa: E402

DEFAULT_SETS = [ROOT / "eval" / "dev" / "text", default_eval() / "dragnet-train" / "text"]
TABLES = {"records": RECORDS_SCHEMA, "audit": AUDIT_SCHEMA, "merges": MERGES_SCHEMA}
TABLES["rejects"] = REJECTS_SCHEMA
VOLATILE = {"run_id", "ingested_at", "rejected_at", "merged_at", "seen_at", "pipeline_version"}


def _sha(row: dict[str, Any]) -> str:
    kept = {k: v for k, v in sorted(row.items()) if k not in VOLATILE}
    return hashlib.sha256(json.dumps(kept, default=str, ensure_ascii=False).encode()).hexdigest()


def fingerprint(folder: Path, workers: int) -> dict[str, Any]:
    """Every row of the dataset an ingest of `folder` makes, hashed (keyed by source)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "corpus"
        run_ingest([str(folder)], out, Settings(workers=workers))
        dataset = Dataset(out)
        found: dict[str, Any] = {}
        for table, schema in TABLES.items():
            rows = dataset.read(table, schema).to_pylist()
            keyed: dict[str, list[str]] = {}
            for row in rows:
                key = Path(str(row.get("source_uri", ""))).name
                keyed.setdefault(key, []).append(_sha(row))
            found[table] = {k: sorted(v) for k, v in sorted(keyed.items())}
            if table == "records":
                found["records_order"] = [Path(str(r["source_uri"])).name for r in rows]
        return found


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("out", type=Path)
    ap.add_argument("--sets", type=Path, nargs="*", default=DEFAULT_SETS)
    ap.add_argument("--workers", type=int, default=0, help="0: one per CPU (as configured)")
    ap.add_argument("--against", type=Path, help="a fingerprint file to compare with")
    args = ap.parse_args()
    if args.against is not None:
        before = json.loads(args.against.read_text())
        after = json.loads(args.out.read_text())
        differ = 0
        for name in sorted(set(before) | set(after)):
            for table in sorted(set(before.get(name, {})) | set(after.get(name, {}))):
                old, new = before.get(name, {}).get(table), after.get(name, {}).get(table)
                if old != new:
                    differ += 1
                    print(f"{name} {table}: differs")
                    if isinstance(old, dict) and isinstance(new, dict):
                        for key in sorted(set(old) | set(new)):
                            if old.get(key) != new.get(key):
                                print(f"  {key}")
        counts = {n: {t: len(v) for t, v in after[n].items()} for n in after}
        print("identical" if not differ else f"{differ} tables differ", json.dumps(counts))
        return 1 if differ else 0
    found = {str(folder): fingerprint(folder, args.workers) for folder in args.sets}
    # sources are file URIs: compare runs of the same folders (by default, the same checkout)
    args.out.write_text(json.dumps(found, indent=1))
    for name, tables in found.items():
        print(
            name,
            {
                t: sum(len(v) for v in rows.values())
                for t, rows in tables.items()
                if t != "records_order"
            },
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
