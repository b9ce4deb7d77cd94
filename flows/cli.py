"""The `corpus` command: thin argument parsing over the library.

Exit status: 0 done (rejected inputs are reported, not errors), 2 bad usage or a missing path,
3 the dataset is locked by another run, 1 anything unexpected.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from crawler.config import Settings
from crawler.dataset import Dataset
from crawler.errors import ConfigError, DatasetLockedError

EXAMPLES = {
    "ingest": "example: corpus ingest seeds/ more/page.txt --out data/corpus",
    "explain": "example: corpus explain seeds/000_048c629248b55fb2.txt --stats-from seeds/",
    "stats": "example: corpus stats --out data/corpus --json",
    "compact": "example: corpus compact --out data/corpus",
    "crawl": "examples: corpus crawl --sources seeds/sources.toml --source 'The Diplomat' "
    "--contact you@example.org; corpus crawl https://example.org/news/ --feed "
    "https://example.org/feed/ --max-pages 50 --out data/corpus",
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
    add_crawl_parser(commands)

    stats = commands.add_parser(
        "stats",
        help="figures about a dataset: records, publishers, languages, duplicates, boilerplate",
        description="Records, words, per publisher and language, duplicate rate, share of input "
        "text removed as boilerplate, top removal reasons, rejects, files.",
        epilog=EXAMPLES["stats"],
    )
    stats.add_argument(
        "--out", default="data/corpus", help="dataset directory (default: %(default)s)"
    )
    stats.add_argument("--top", type=int, default=10, help="entries per list (default: 10)")
    stats.add_argument("--json", action="store_true", help="print the figures as JSON")

    compact = commands.add_parser(
        "compact",
        help="merge a dataset's small per-run files into few large ones",
        description="Rewrite each table's (and partition's) files as one file, atomically; rows "
        "are copied unchanged. Takes the dataset's lock like a run.",
        epilog=EXAMPLES["compact"],
    )
    compact.add_argument(
        "--out", default="data/corpus", help="dataset directory (default: %(default)s)"
    )
    return parser


def add_crawl_parser(commands: Any) -> None:
    """The `crawl` subcommand's arguments."""
    crawl = commands.add_parser(
        "crawl",
        help="crawl news sites (start pages, sitemaps, RSS/Atom feeds) into a dataset",
        description="Crawl start pages, sitemaps and feeds (or the sources of a TOML file) "
        "politely, run the article pages through the same chain as `ingest`, and append the "
        "new ones to the dataset at --out. Listing pages are followed, not stored. A stopped "
        "crawl resumes when the same command is run again.",
        epilog=EXAMPLES["crawl"],
    )
    crawl.add_argument("urls", nargs="*", metavar="URL", help="start pages")
    crawl.add_argument("--sitemap", action="append", default=[], metavar="URL")
    crawl.add_argument("--feed", action="append", default=[], metavar="URL", help="RSS or Atom")
    crawl.add_argument("--sources", metavar="FILE", help="sources file, e.g. seeds/sources.toml")
    crawl.add_argument(
        "--source", action="append", metavar="NAME", help="only this source of --sources"
    )
    crawl.add_argument(
        "--allowed-domain",
        action="append",
        default=[],
        metavar="DOMAIN",
        help="for URLs given here (default: their hosts)",
    )
    crawl.add_argument("--article-pattern", metavar="REGEX", help="article URLs (a hint)")
    crawl.add_argument("--max-pages", type=int, help="pages per source (default: 500)")
    crawl.add_argument("--max-depth", type=int, help="link hops from a seed (default: 3)")
    crawl.add_argument(
        "--out", default="data/corpus", help="dataset directory (default: %(default)s)"
    )
    crawl.add_argument("--contact", default="", help="URL or e-mail for the User-Agent")
    crawl.add_argument(
        "--allow-private",
        action="store_true",
        help="allow private, loopback and link-local addresses (refused by default)",
    )
    crawl.add_argument(
        "--allow-net",
        action="append",
        default=[],
        metavar="CIDR",
        help="allow only this non-public network, e.g. 127.0.0.0/8",
    )
    crawl.add_argument("--job-dir", metavar="DIR", help="pause/resume state (default: in --out)")
    crawl.add_argument("--http-cache", metavar="DIR", help="cache responses in DIR (a day)")
    crawl.add_argument("--workers", type=int, help="processes running the chain")
    crawl.add_argument("--batch-size", type=int, help="documents per staged batch")
    crawl.add_argument("--min-words", type=int, help="reject documents with fewer words left")
    crawl.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a Scrapy setting (VALUE read as JSON when it parses)",
    )
    crawl.add_argument("--json", action="store_true", help="print the report as JSON")


def _scrapy_overrides(pairs: list[str]) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--set wants NAME=VALUE, got {pair!r}")
        try:
            overrides[name.strip()] = json.loads(value)
        except ValueError:
            overrides[name.strip()] = value
    return overrides


def cmd_crawl(args: argparse.Namespace) -> int:
    from crawler.crawljob import job_from_options, run_crawl_job
    from crawler.crawlreport import format_crawl_report

    job = job_from_options(
        urls=args.urls,
        sitemaps=args.sitemap,
        feeds=args.feed,
        sources_file=args.sources,
        source_names=args.source,
        allowed_domains=args.allowed_domain,
        article_pattern=args.article_pattern,
        max_pages=args.max_pages,
        max_depth=args.max_depth,
        out=args.out,
        job_dir=args.job_dir,
        allow_private=args.allow_private,
        allowed_networks=tuple(args.allow_net),
        contact=args.contact,
        http_cache=args.http_cache,
        workers=args.workers,
        corpus_settings={
            k: v
            for k, v in (("batch_size", args.batch_size), ("min_words", args.min_words))
            if v is not None
        },
        scrapy_settings=_scrapy_overrides(args.set),
    )
    if not args.contact:
        print("corpus: note: no --contact given; site owners cannot reach you", file=sys.stderr)
    report = run_crawl_job(job)
    print(json.dumps(report.to_dict(), indent=1) if args.json else format_crawl_report(report))
    return 0


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


def _existing_dataset(out: str) -> Dataset:
    dataset = Dataset(out)
    if not (dataset.root / "_manifest.json").is_file():
        raise ConfigError(f"no dataset at {out} (no _manifest.json)")
    return dataset


def cmd_stats(args: argparse.Namespace) -> int:
    from crawler.corpus_stats import dataset_stats, format_stats

    figures = dataset_stats(_existing_dataset(args.out), args.top)
    print(json.dumps(figures, indent=1) if args.json else format_stats(figures))
    return 0


def cmd_compact(args: argparse.Namespace) -> int:
    from crawler.compact import compact

    dataset = _existing_dataset(args.out)
    with dataset.lock():
        done = compact(dataset)
    for table, (before, after) in done.items():
        print(f"{table}: {before} files -> {after}")
    if not done:
        print("nothing to compact")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "ingest":
            return cmd_ingest(args)
        if args.command == "explain":
            return cmd_explain(args)
        if args.command == "crawl":
            return cmd_crawl(args)
        if args.command == "stats":
            return cmd_stats(args)
        if args.command == "compact":
            return cmd_compact(args)
    except ConfigError as exc:
        print(f"corpus: error: {exc}", file=sys.stderr)
        return 2
    except DatasetLockedError as exc:
        print(f"corpus: error: {exc}", file=sys.stderr)
        return 3
    raise AssertionError(f"unhandled command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
