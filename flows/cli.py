"""The `corpus` command: thin argument parsing over the library.

Exit status: 0 done (rejected inputs are reported, not errors), 2 bad usage or a missing path,
3 the dataset is locked by another run, 1 anything unexpected.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from crawler.config import Settings
from crawler.errors import ConfigError, DatasetLockedError

EXAMPLES = {
    "ingest": "example: corpus ingest seeds/ more/page.txt --out data/corpus",
    "explain": "example: corpus explain seeds/000_048c629248b55fb2.txt --stats-from seeds/",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="corpus",
        description="Turn scraped news pages into a clean, deduplicated Parquet corpus.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ingest = commands.add_parser(
        "ingest",
        help="clean, deduplicate and append page dumps (.txt) and HTML files to a dataset",
        description="Clean, deduplicate and append page dumps (.txt) and HTML (.html, .htm, "
        ".html.gz) to the Parquet dataset at --out. Directories are read recursively. "
        "Inputs already ingested with the same bytes are skipped.",
        epilog=EXAMPLES["ingest"],
    )
    ingest.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    ingest.add_argument(
        "--out", default="data/corpus", help="dataset directory (default: %(default)s)"
    )
    ingest.add_argument("--batch-size", type=int, help="documents per cleaning batch")
    ingest.add_argument("--min-words", type=int, help="reject documents with fewer words left")
    ingest.add_argument("--json", action="store_true", help="print the run summary as JSON")

    explain = commands.add_parser(
        "explain",
        help="show a file's lines marked kept or removed, with each removal's reason",
        description="Show every line of a page dump (or of the text extracted from HTML) marked "
        "kept or removed, with the reason code the audit table records. Colour on a terminal, "
        "plain when piped.",
        epilog=EXAMPLES["explain"],
    )
    explain.add_argument("file", metavar="FILE", help="a .txt page dump or an HTML file")
    explain.add_argument(
        "--stats-from",
        nargs="+",
        metavar="PATH",
        help="learn recurring site chrome from these dumps, as an ingest of them together would",
    )
    explain.add_argument(
        "--colour", choices=("auto", "always", "never"), default="auto", help="default: auto"
    )
    return parser


def cmd_ingest(args: argparse.Namespace) -> int:
    from crawler.ingest import run_ingest
    from crawler.report import format_summary

    settings = Settings().with_overrides(batch_size=args.batch_size, min_words=args.min_words)
    summary = run_ingest(args.paths, args.out, settings)
    print(json.dumps(summary.to_dict(), indent=1) if args.json else format_summary(summary))
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from pathlib import Path

    from crawler.errors import Drop
    from crawler.explain import explain, learn_stats, render

    settings = Settings()
    path = Path(args.file)
    if not path.is_file():
        raise ConfigError(f"no such file: {args.file}")
    stats = learn_stats([Path(p) for p in args.stats_from], settings) if args.stats_from else None
    try:
        explanation = explain(path, settings, stats)
    except Drop as drop:
        print(f"{args.file}: rejected: {drop.reason}: {drop.detail}")
        return 0
    colour = args.colour == "always" or (args.colour == "auto" and sys.stdout.isatty())
    print(render(explanation, colour))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "ingest":
            return cmd_ingest(args)
        if args.command == "explain":
            return cmd_explain(args)
    except ConfigError as exc:
        print(f"corpus: error: {exc}", file=sys.stderr)
        return 2
    except DatasetLockedError as exc:
        print(f"corpus: error: {exc}", file=sys.stderr)
        return 3
    raise AssertionError(f"unhandled command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
