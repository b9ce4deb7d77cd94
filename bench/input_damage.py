"""Damaged, disguised and hostile inputs through `corpus ingest`, as a user would run it: one
row per case with the damage, the exit code, the run's message, records before/after, whether
pyarrow and DuckDB still read the dataset, and what the same command run again made of it.
Then the secret-looking URLs `crawler.crawl.redact` masks (the crawl stores URLs redacted).

    .venv/bin/python bench/input_damage.py [--big] [--json]

`--big` adds a 19 MB page dump (just under `max_input_bytes`). `CASES` and `run_case` are the
module's interface for bench/damage_report.py; tests/crawler/readers/test_input_damage.py holds the
same cases as tests.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.crawl.redact import redact  # noqa: E402

CORPUS = ROOT / ".venv" / "bin" / "corpus"
ARTICLE = (
    "The harbour authority approved the repair of the north pier on Monday, after divers "
    "found cracks in three of its pillars during the spring inspection.\n"
    "Work starts in June and should take four months; the ferry will use the south pier "
    "until then, and the timetable stays the same for passengers.\n"
    "The repairs cost 2.4 million euros, paid from the port's maintenance fund and a grant "
    "from the regional government, which had set money aside for such work last year.\n"
)
SECRET = (
    "This private note lives outside the input folder and must not reach the dataset unless "
    "links are allowed: the accounts of the club for {}, with its members and addresses.\n"
)
PAGE = (
    "<!DOCTYPE html><html><head><title>North pier to be repaired</title></head><body>"
    "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article>"
    + "".join(f"<p>{line}</p>" for line in ARTICLE.splitlines())
    + "</article><footer>Copyright 2024 Harbour News</footer></body></html>"
)
MENU = "Home\nNews\nSport\nSubscribe to our newsletter\n"
SHARE = "Share on Facebook\nShare on X\nCopyright 2024 Harbour News. All rights reserved.\n"


@dataclass(frozen=True)
class InputCase:
    """One kind of input damage: `make(inbox, outside)` writes it; `flags` go to the run."""

    damage: str
    make: Callable[[Path, Path], object]
    flags: tuple[str, ...] = ()


def _symlink_out(inbox: Path, outside: Path) -> None:
    (outside / "private.txt").write_text("".join(SECRET.format(y) for y in range(2019, 2024)))
    (inbox / "private.txt").symlink_to(outside / "private.txt")


def _symlink_dir_out(inbox: Path, outside: Path) -> None:
    (outside / "more").mkdir()
    (outside / "more" / "private.txt").write_text("".join(SECRET.format(y) for y in range(5)))
    (inbox / "more").symlink_to(outside / "more")


def _big_dump(inbox: Path, outside: Path) -> None:
    words = ARTICLE.split()
    rng = random.Random(7)
    lines, size = [], 0
    while size < 19 * 2**20:
        lines.append(" ".join(rng.choice(words) for _ in range(rng.randint(60, 130))) + ".")
        size += len(lines[-1]) + 1
    (inbox / "big.txt").write_text("\n".join(lines))


CASES: list[InputCase] = [
    InputCase("symlink to a file outside the folder", _symlink_out),
    InputCase("symlink to a folder outside", _symlink_dir_out),
    InputCase("symlink out, --follow-symlinks", _symlink_out, flags=("--follow-symlinks",)),
    InputCase("HTML saved as .txt", lambda inbox, _: (inbox / "page.txt").write_text(PAGE)),
    InputCase(
        "page dump saved as .html",
        lambda inbox, _: (inbox / "dump.html").write_text(MENU + ARTICLE + SHARE),
    ),
    InputCase(
        "UTF-16-LE without a BOM",
        lambda inbox, _: (inbox / "wide.txt").write_bytes(ARTICLE.encode("utf-16-le")),
    ),
    InputCase(
        "UTF-32-BE without a BOM",
        lambda inbox, _: (inbox / "wide.txt").write_bytes(ARTICLE.encode("utf-32-be")),
    ),
    InputCase(
        "NUL and escape bytes in a dump",
        lambda inbox, _: (inbox / "nul.txt").write_text(
            ARTICLE.replace("north pier", "north\x00 pier").replace("June", "Ju\x1b[0mne")
        ),
    ),
    InputCase(
        "binary data named .txt",
        lambda inbox, _: (inbox / "binary.txt").write_bytes(bytes(range(256)) * 40),
    ),
]
BIG = InputCase("19 MB page dump (limit 20 MiB)", _big_dump)


def ingest(inbox: Path, out: Path, flags: tuple[str, ...] = ()) -> tuple[int, dict[str, Any], str]:
    """`corpus ingest INBOX --out OUT --json`: (exit code, summary, last line of stderr)."""
    done = subprocess.run(
        [str(CORPUS), "ingest", str(inbox), "--out", str(out), "--json", "-q", *flags],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
    )
    try:
        summary = json.loads(done.stdout)
    except json.JSONDecodeError:
        summary = {}
    lines = done.stderr.strip().splitlines()
    return done.returncode, summary, lines[-1] if lines else ""


def readable(out: Path) -> str:
    """Whether pyarrow and DuckDB read every record of the dataset: "yes (N rows)" or why not."""
    import duckdb
    import pyarrow.dataset as pads

    try:
        files = sorted(str(f) for f in (out / "records").rglob("*.parquet"))
        rows = pads.dataset(files, format="parquet").count_rows() if files else 0
        duck = 0
        if files:  # DuckDB refuses a glob that matches nothing
            relation = duckdb.sql(f"SELECT count(*) FROM '{out}/records/**/*.parquet'")
            assert relation is not None
            duck = relation.fetchall()[0][0]
    except Exception as exc:  # the point is to report it
        return f"no: {type(exc).__name__}"
    return f"yes ({rows} rows)" if duck == rows else "no: pyarrow and DuckDB disagree"


def run_case(case: InputCase, work: Path, baseline: Path) -> dict[str, Any]:
    """One case on a copy of the baseline dataset (one clean article in it)."""
    inbox, outside, out = work / "inbox", work / "outside", work / "corpus"
    inbox.mkdir(parents=True)
    outside.mkdir()
    shutil.copytree(baseline, out)
    (inbox / "article.txt").write_text(ARTICLE)  # already in the dataset: unchanged
    case.make(inbox, outside)
    code, summary, message = ingest(inbox, out, case.flags)
    rejects = summary.get("rejects_by_reason", {})
    again_code, again, _ = ingest(inbox, out, case.flags)
    return {
        "damage": case.damage,
        "exit_code": code,
        "message": message
        or f"added {summary.get('added')}, rejected {dict(rejects) or 0}, "
        f"removed {summary.get('removal_reasons', {}).get('control_chars', 0)} control_chars",
        "records_before": 1,
        "records_after": summary.get("total_records"),
        "readable": readable(out),
        "next_run": f"exit {again_code}: {again.get('unchanged')} unchanged, "
        f"{again.get('added')} added, {again.get('rejected')} rejected",
    }


def redaction_rows() -> list[dict[str, Any]]:
    """The secret-looking URLs of test_input_damage.py and whether each is masked."""
    sys.path.insert(0, str(ROOT / "tests" / "crawler"))
    from test_input_damage import KEPT, MASKED
    from test_input_damage import SECRET as TOKEN

    rows = [{"url": url, "masked": TOKEN not in redact(url)} for url in MASKED]
    rows += [{"url": url, "kept as is": redact(url) == url} for url in KEPT]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", action="store_true", help="add a 19 MB page dump")
    parser.add_argument("--json", action="store_true", help="rows as JSON lines")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base_in, baseline = Path(tmp) / "base-in", Path(tmp) / "baseline"
        base_in.mkdir()
        (base_in / "article.txt").write_text(ARTICLE)
        ingest(base_in, baseline)
        for n, case in enumerate([*CASES, *([BIG] if args.big else [])]):
            rows.append(run_case(case, Path(tmp) / f"case{n}", baseline))
            if args.json:
                print(json.dumps(rows[-1]), flush=True)
            else:
                r = rows[-1]
                print(f"{r['damage']:38} exit {r['exit_code']}  {r['message'][:70]:70}  "
                      f"records {r['records_before']}->{r['records_after']}  "
                      f"readable {r['readable']}  next: {r['next_run']}", flush=True)  # fmt: skip
    secrets = redaction_rows()
    masked = [r for r in secrets if "masked" in r]
    kept = [r for r in secrets if "kept as is" in r]
    print(
        f"\nredaction: {sum(r['masked'] for r in masked)} of {len(masked)} secret-looking URLs "
        f"masked; {sum(r['kept as is'] for r in kept)} of {len(kept)} harmless ones kept as is"
    )
    for r in secrets:
        if not r.get("masked", r.get("kept as is")):
            print(f"  MISSED: {r['url']}")


if __name__ == "__main__":
    main()
