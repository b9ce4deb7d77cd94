"""The `corpus` command: thin argument parsing over the library.

Every subcommand takes `--config FILE` (crawler/config_file.py: defaults < file < CORPUS_*
environment variables < flags), `-q/--quiet` (errors only), `-v/--verbose` (stage logs; twice:
debug) and, where it reports, `--json` (one JSON document on stdout for scripts). Progress bars
go to stderr on a terminal only.

Exit status: 0 done (rejected inputs are reported, not errors), 2 bad usage or a missing path,
3 the dataset is locked by another run, 4 the dataset is damaged (`corpus verify` lists it,
`corpus repair` fixes it; `verify` itself exits 1 when it finds damage), 5 the dataset folder
cannot be written (read-only, no space left, `.lock` not a file), 1 anything unexpected.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from crawler.config_file import CorpusConfig, flat_items, load_config
from crawler.errors import (
    ConfigError,
    DatasetAccessError,
    DatasetDamagedError,
    DatasetLockedError,
)
from crawler.store.dataset import Dataset, access_error, is_write_error, repair_hint
from flows.deploy import add_serve_parser, cmd_serve

EXAMPLES = {
    "ingest": "example: corpus ingest seeds/ more/page.txt --out data/corpus",
    "explain": "example: corpus explain seeds/000_048c629248b55fb2.txt --stats-from seeds/",
    "stats": "example: corpus stats --out data/corpus --json",
    "compact": "example: corpus compact --out data/corpus",
    "export": "examples: corpus export --format jsonl -o data/records.jsonl; corpus export "
    "--columns doc_id,title,text | head",
    "verify": "example: corpus verify --out data/corpus --deep",
    "repair": "example: corpus repair --out data/corpus",
    "config": "examples: corpus config; CORPUS_SETTINGS_MIN_WORDS=50 corpus config --json",
    "reprocess": "example: corpus reprocess --out data/corpus --report data/reprocess.json",
    "crawl": "examples: corpus crawl --sources seeds/sources.toml --source 'The Diplomat' "
    "--contact you@example.org; corpus crawl https://example.org/news/ --feed "
    "https://example.org/feed/ --max-pages 50 --out data/corpus",
}


def common_options() -> argparse.ArgumentParser:
    """Options every subcommand takes (a parent parser)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="FILE",
        help="config file (default: $CORPUS_CONFIG, else ./corpus.toml if present)",
    )
    loudness = common.add_mutually_exclusive_group()
    loudness.add_argument(
        "-q", "--quiet", action="store_true", help="print nothing but errors (and --json)"
    )
    loudness.add_argument(
        "-v", "--verbose", action="count", default=0, help="log each stage (twice: debug)"
    )
    return common


def out_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", help="dataset directory (default: `dataset` of the config, data/corpus)"
    )


def wait_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait",
        type=float,
        metavar="SECONDS",
        help="wait this long for another run writing the dataset, then exit 3 (default: "
        "runs.lock_wait_seconds of the config, 600)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="corpus",
        description="Turn scraped news pages into a clean, deduplicated Parquet corpus.",
        epilog="Run `corpus COMMAND --help` for a command's options and an example.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = common_options()

    ingest = commands.add_parser(
        "ingest",
        help="clean, deduplicate and append page dumps (.txt) and HTML files to a dataset",
        description="Clean, deduplicate and append page dumps (.txt) and HTML (.html, .htm, "
        ".html.gz) to the Parquet dataset at --out. Directories are read recursively. "
        "Inputs already ingested with the same bytes are skipped.",
        epilog=EXAMPLES["ingest"],
        parents=[common],
    )
    ingest.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    out_option(ingest)
    ingest.add_argument("--batch-size", type=int, help="documents per cleaning batch")
    ingest.add_argument("--workers", type=int, help="cleaning processes (0: one per CPU)")
    ingest.add_argument(
        "--min-words",
        type=int,
        help="reject documents with fewer words left, except pages that show an article "
        "(declared type, prose under the headline): those down to min_article_words "
        "(corpus.toml)",
    )
    ingest.add_argument(
        "--languages",
        metavar="CODES",
        help="keep only documents in these languages: comma-separated ISO 639-1 codes, e.g. "
        "en,de (default: `[filters] languages` of the config; empty: all)",
    )
    ingest.add_argument(
        "--follow-symlinks",
        action="store_true",
        default=None,
        help="follow symbolic links out of the given folders (else they are rejected)",
    )
    wait_option(ingest)
    ingest.add_argument("--json", action="store_true", help="print the run summary as JSON")

    explain = commands.add_parser(
        "explain",
        help="show a file's lines marked kept or removed, with each removal's reason",
        description="Show every line of a page dump (or of the text extracted from HTML) marked "
        "kept or removed, with the reason code the audit table records. Colour on a terminal, "
        "plain when piped.",
        epilog=EXAMPLES["explain"],
        parents=[common],
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
    explain.add_argument("--json", action="store_true", help="the lines and verdicts as JSON")
    add_crawl_parser(commands, common)
    add_serve_parser(commands, common)

    stats = commands.add_parser(
        "stats",
        help="figures about a dataset: records, publishers, languages, duplicates, boilerplate",
        description="Records, words, per publisher and language, duplicate rate, share of input "
        "text removed as boilerplate, top removal reasons, rejects, files.",
        epilog=EXAMPLES["stats"],
        parents=[common],
    )
    out_option(stats)
    stats.add_argument("--top", type=int, default=10, help="entries per list (default: 10)")
    stats.add_argument("--json", action="store_true", help="print the figures as JSON")

    compact = commands.add_parser(
        "compact",
        help="merge a dataset's small per-run files into few large ones",
        description="Rewrite each table's (and partition's) files as one file, atomically; rows "
        "are copied unchanged. Takes the dataset's lock like a run.",
        epilog=EXAMPLES["compact"],
        parents=[common],
    )
    out_option(compact)
    compact.add_argument("--json", action="store_true", help="print what was done as JSON")

    add_verify_parsers(commands, common)
    add_export_parser(commands, common)
    add_reprocess_parser(commands, common)

    config = commands.add_parser(
        "config",
        help="show every setting in effect and where it came from",
        description="Every setting with its value and its origin: default, the config file, "
        "or a CORPUS_* environment variable. corpus.toml documents each one.",
        epilog=EXAMPLES["config"],
        parents=[common],
    )
    config.add_argument("--json", action="store_true", help="print the settings as JSON")
    return parser


def add_reprocess_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `reprocess` subcommand."""
    reprocess = commands.add_parser(
        "reprocess",
        help="run the current cleaner again over the inputs still on disk and the crawl archive",
        description="Run the current chain again over the input files still on disk and the "
        "crawl's archived responses, and replace the records as one commit (a record keeps its "
        "doc_id when its source is the same; records whose inputs are gone are kept). Prints "
        "what changed; a result equal to the dataset adds no commit.",
        epilog=EXAMPLES["reprocess"],
        parents=[common],
    )
    out_option(reprocess)
    wait_option(reprocess)
    reprocess.add_argument("--report", metavar="FILE", help="also write the report as JSON")
    reprocess.add_argument("--json", action="store_true", help="print the report as JSON")


def add_export_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `export` subcommand."""
    from crawler.store.export import FORMATS

    export = commands.add_parser(
        "export",
        help="write a consumer-ready copy of the records (JSON Lines or one Parquet file)",
        description="Write the dataset's records (the latest row of each) to one file or to "
        "standard output: JSON Lines (one UTF-8 JSON object per record, keys in column order, "
        "dates in ISO 8601) or one Parquet file. A file appears only when complete.",
        epilog=EXAMPLES["export"],
        parents=[common],
    )
    out_option(export)
    export.add_argument("--format", choices=tuple(FORMATS), default="jsonl", help="default: jsonl")
    export.add_argument(
        "--columns",
        metavar="A,B,...",
        help="only these record columns, in this order (default: all; see docs/dataset.md)",
    )
    export.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        default="-",
        help="the file to write, outside the dataset (default: -, standard output)",
    )
    export.add_argument(
        "--history",
        action="store_true",
        help="also the earlier revisions of changed articles (after the latest records; "
        "`revision` and `previous_doc_id` link them)",
    )


def add_verify_parsers(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `verify` and `repair` subcommands."""
    verify = commands.add_parser(
        "verify",
        help="check a dataset's files against its manifest, and its tables against each other",
        description="Check every committed file's size and sha256 against the manifest (--deep: "
        "also decompress every page), files the manifest does not list, and that the dedup "
        "index and side tables agree with the records. Prints each problem, file by file. "
        "Exit 0: clean; 1: damage found (fix it with `corpus repair`). Changes nothing.",
        epilog=EXAMPLES["verify"],
        parents=[common],
    )
    out_option(verify)
    verify.add_argument("--deep", action="store_true", help="read every page of every file")
    verify.add_argument("--json", action="store_true", help="print the findings as JSON")
    repair = commands.add_parser(
        "repair",
        help="quarantine damaged files, rebuild the manifest and indexes, list lost records",
        description="Move damaged files (and files no manifest lists) to _quarantine/<time>/ "
        "inside the dataset (kept, never deleted), rebuild _manifest.json and _index/ from what "
        "remains, and list the records lost with the inputs they came from: ingest those again "
        "to restore them. Takes the dataset's lock like a run.",
        epilog=EXAMPLES["repair"],
        parents=[common],
    )
    out_option(repair)
    wait_option(repair)
    repair.add_argument("--json", action="store_true", help="print what was done as JSON")


def cmd_verify(args: argparse.Namespace, config: CorpusConfig) -> int:
    from crawler.store.integrity import verify

    dataset = Dataset(args.out or config.dataset)
    if not dataset.root.is_dir():
        raise ConfigError(f"no dataset at {dataset.root}")
    verdict = verify(dataset, deep=args.deep)
    depth = "sizes, checksums, every page" if args.deep else "sizes, checksums"
    summary = f"{verdict.files_checked} files checked ({depth}): " + (
        "no damage" if verdict.clean else f"{len(verdict.problems)} problems"
    )
    data = {
        "clean": verdict.clean,
        "files_checked": verdict.files_checked,
        "problems": verdict.problems,
    }
    hint = [] if verdict.clean else [f"fix: corpus repair --out {args.out or config.dataset}"]
    _emit(args, data, lambda: "\n".join([*verdict.problems, summary, *hint]))
    return 0 if verdict.clean else 1


def cmd_repair(args: argparse.Namespace, config: CorpusConfig) -> int:
    from crawler.store.repair import repair

    dataset = Dataset(args.out or config.dataset)
    if not dataset.root.is_dir():
        raise ConfigError(f"no dataset at {dataset.root}")
    wait = config.runs.lock_wait_seconds if args.wait is None else args.wait
    lock = dataset.root / ".lock"
    if lock.is_dir() and not any(lock.iterdir()):  # a folder where the lock file goes
        lock.rmdir()
        _note(args, f"removed the empty folder {lock} (a run creates the lock file there)")
    with dataset.lock(wait, lambda line: _note(args, line)):
        report = repair(dataset, config.settings.dedup_params())
    _emit(args, report.to_dict(), lambda: _format_repair(report))
    return 0


def _format_repair(report: Any) -> str:
    lines = [f"quarantined {q['path']}: {q['reason']}" for q in report.quarantined]
    lines += [f"rebuilt {line}" for line in report.rebuilt]
    lines += [f"not rebuilt: {line}" for line in report.not_rebuilt]
    for lost in report.lost_records:
        lines.append(f"lost record {lost['doc_id']}, from: {', '.join(lost['inputs'])}")
    if report.forgotten_inputs:
        lines.append(
            f"{len(report.forgotten_inputs)} inputs to ingest again (listed in "
            f"{report.quarantine}/lost_inputs.txt): corpus ingest $(cat "
            f"{report.quarantine}/lost_inputs.txt) --out <dataset>"
        )
    if not lines:
        return "nothing to repair"
    before = "?" if report.records_before is None else report.records_before
    lines.append(f"records: {before} -> {report.records_after}")
    return "\n".join(lines)


def add_crawl_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `crawl` subcommand's arguments."""
    crawl = commands.add_parser(
        "crawl",
        help="crawl news sites (start pages, sitemaps, RSS/Atom feeds) into a dataset",
        description="Crawl start pages, sitemaps and feeds (or the sources of a TOML file) "
        "politely, run the article pages through the same chain as `ingest`, and append the "
        "new ones to the dataset at --out. Listing pages are followed, not stored. A stopped "
        "crawl resumes when the same command is run again.",
        epilog=EXAMPLES["crawl"],
        parents=[common],
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
    out_option(crawl)
    crawl.add_argument(
        "--contact", help="URL or e-mail for the User-Agent (default: crawl.contact of the config)"
    )
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
    crawl.add_argument("--workers", type=int, help="processes running the chain (0: per CPU)")
    crawl.add_argument("--batch-size", type=int, help="documents per staged batch")
    crawl.add_argument(
        "--min-words",
        type=int,
        help="reject documents with fewer words left, except pages that show an article "
        "(declared type, prose under the headline): those down to min_article_words "
        "(corpus.toml)",
    )
    crawl.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a Scrapy setting (VALUE read as JSON when it parses)",
    )
    wait_option(crawl)
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


def cmd_crawl(args: argparse.Namespace, config: CorpusConfig) -> int:
    from crawler.crawl.job import EXIT_STOPPED, CrawlInterrupted, job_from_options, run_crawl_job
    from crawler.crawl.outcome import nothing_fetched
    from crawler.crawl.report import format_crawl_report
    from flows.progress import progress_for

    crawl_options = config.crawl.job_options(
        max_pages=args.max_pages,
        max_depth=args.max_depth,
        workers=args.workers,
        contact=args.contact,
    )
    scrapy_settings = {"LOG_LEVEL": _scrapy_log_level(args)} | _scrapy_overrides(args.set)
    job = job_from_options(
        urls=args.urls,
        sitemaps=args.sitemap,
        feeds=args.feed,
        sources_file=args.sources,
        source_names=args.source,
        allowed_domains=args.allowed_domain,
        article_pattern=args.article_pattern,
        out=config.dataset_for(args.out),
        job_dir=args.job_dir,
        allow_private=args.allow_private,
        allowed_networks=tuple(args.allow_net),
        http_cache=args.http_cache,
        corpus_settings=_settings_overrides(config, args),
        lock_wait_seconds=config.runs.lock_wait_seconds if args.wait is None else args.wait,
        scrapy_settings=scrapy_settings,
        **crawl_options,
    )
    if not job.contact:
        _note(
            args,
            "no --contact given (or crawl.contact in the config); site owners cannot reach you",
        )
    try:
        with progress_for(enabled=not args.quiet) as progress:
            report = run_crawl_job(job, progress=progress)
    except CrawlInterrupted as stop:
        print(
            f"corpus: stopped; {stop.stored} pages stored; run the same command to resume",
            file=sys.stderr,
        )
        return EXIT_STOPPED
    _emit(args, report.to_dict(), lambda: format_crawl_report(report))
    if (why := nothing_fetched(report)) is not None:
        print(f"corpus: error: {why}", file=sys.stderr)
        return 1
    return 0


def _scrapy_log_level(args: argparse.Namespace) -> str:
    if args.quiet:
        return "ERROR"
    return {0: "WARNING", 1: "INFO"}.get(args.verbose, "DEBUG")


def _settings_overrides(config: CorpusConfig, args: argparse.Namespace) -> dict[str, Any]:
    """The config's run settings with this command's flags on top, as a plain dict."""
    from dataclasses import asdict

    flags = {
        "batch_size": getattr(args, "batch_size", None),
        "min_words": getattr(args, "min_words", None),
        "workers": getattr(args, "workers", None),
        "follow_symlinks": getattr(args, "follow_symlinks", None),
    }
    return asdict(config.settings.with_overrides(**flags))


def cmd_ingest(args: argparse.Namespace, config: CorpusConfig) -> int:
    from crawler.config import FilterSettings
    from crawler.report.summary import format_summary
    from crawler.run.ingest import run_ingest
    from flows.progress import progress_for

    codes = None if args.languages is None else args.languages.split(",")
    languages = None if codes is None else [c.strip() for c in codes if c.strip()]
    settings = config.settings.with_overrides(
        batch_size=args.batch_size,
        min_words=args.min_words,
        workers=args.workers,
        follow_symlinks=args.follow_symlinks,
        filters=None if languages is None else FilterSettings(languages),
    )
    wait = config.runs.lock_wait_seconds if args.wait is None else args.wait
    with progress_for(enabled=not args.quiet) as progress:
        summary = run_ingest(
            args.paths,
            config.dataset_for(args.out),
            settings,
            wait_seconds=wait,
            on_wait=lambda line: _note(args, line),
            progress=progress,
        )
    _emit(args, summary.to_dict(), lambda: format_summary(summary))
    return 0


def cmd_explain(args: argparse.Namespace, config: CorpusConfig) -> int:
    from dataclasses import asdict
    from pathlib import Path

    from crawler.errors import Drop
    from crawler.report.explain import explain, learn_stats, render

    settings = config.settings
    path = Path(args.file).resolve()  # a link given by name is followed
    if not path.is_file():
        raise ConfigError(f"no such file: {args.file}")
    stats = learn_stats([Path(p) for p in args.stats_from], settings) if args.stats_from else None
    try:
        explanation = explain(path, settings, stats)
    except Drop as drop:
        rejected = {"source_uri": args.file, "reason": str(drop.reason), "detail": drop.detail}
        line = f"{args.file}: rejected: {drop.reason}: {drop.detail}"
        _emit(args, {"rejected": rejected}, lambda: line)
        return 0
    colour = args.colour == "always" or (args.colour == "auto" and sys.stdout.isatty())
    found = explanation.found
    data = {
        "source_uri": explanation.source_uri,
        "kind": explanation.kind,
        "title": found.meta.title,
        "publisher": found.meta.publisher,
        "lines": [asdict(line) for line in explanation.lines],
    }
    _emit(args, data, lambda: render(explanation, colour))
    return 0


def _existing_dataset(out: str) -> Dataset:
    dataset = Dataset(out)
    if not (dataset.root / "_manifest.json").is_file():
        if found := dataset.problems():  # data files without their manifest
            raise DatasetDamagedError(
                f"dataset {dataset.root}: {found[0]}; {repair_hint(dataset.root)}"
            )
        raise ConfigError(f"no dataset at {out} (no _manifest.json)")
    return dataset


def cmd_stats(args: argparse.Namespace, config: CorpusConfig) -> int:
    from crawler.store.stats import dataset_stats, format_stats

    figures = dataset_stats(_existing_dataset(config.dataset_for(args.out)), args.top)
    _emit(args, figures, lambda: format_stats(figures))
    return 0


def cmd_compact(args: argparse.Namespace, config: CorpusConfig) -> int:
    from crawler.store.compact import compact

    dataset = _existing_dataset(config.dataset_for(args.out))
    with dataset.lock(config.runs.lock_wait_seconds, lambda line: _note(args, line)):
        done = compact(dataset)
    lines = [f"{table}: {before} files -> {after}" for table, (before, after) in done.items()]
    data = {table: {"files_before": b, "files_after": a} for table, (b, a) in done.items()}
    _emit(args, {"compacted": data}, lambda: "\n".join(lines) or "nothing to compact")
    return 0


def cmd_export(args: argparse.Namespace, config: CorpusConfig) -> int:
    import os

    from crawler.store.export import export_records

    dataset = _existing_dataset(config.dataset_for(args.out))
    columns = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else None
    out = None if args.output == "-" else Path(args.output)
    try:
        written = export_records(dataset, args.format, columns, out, args.history)
    except BrokenPipeError:  # `corpus export | head`: the reader has all it wanted
        # what is still buffered goes nowhere, rather than failing again at exit (Python docs)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    if out is not None and not args.quiet:
        print(f"exported {written} records to {out}", file=sys.stderr)
    return 0


def cmd_reprocess(args: argparse.Namespace, config: CorpusConfig) -> int:
    from crawler.report.changes import format_changes
    from crawler.run.reprocess import reprocess
    from flows.progress import progress_for

    dataset = _existing_dataset(config.dataset_for(args.out))
    wait = config.runs.lock_wait_seconds if args.wait is None else args.wait
    with progress_for(enabled=not args.quiet) as progress:
        report = reprocess(
            dataset.root,
            config.settings,
            wait_seconds=wait,
            on_wait=lambda line: _note(args, line),
            progress=progress,
        )
    if args.report:
        Path(args.report).write_text(json.dumps(report.to_dict(), indent=1) + "\n", "utf-8")
    _emit(args, report.to_dict(), lambda: format_changes(report))
    return 0


def cmd_config(args: argparse.Namespace, config: CorpusConfig) -> int:
    from crawler.report.summary import table

    items = flat_items(config)
    data = {
        "file": config.path,
        "settings": {key: {"value": value, "from": origin} for key, value, origin in items},
    }
    rows = [(key, json.dumps(value), origin) for key, value, origin in items]
    heading = f"config file: {config.path or 'none (defaults)'}"
    listing = table(("setting", "value", "from"), rows, max_width=200)
    _emit(args, data, lambda: heading + "\n" + listing)
    return 0


def _emit(args: argparse.Namespace, data: Any, text: Any) -> None:
    """--json: the data as JSON; --quiet: nothing; otherwise the text (built only if shown)."""
    if getattr(args, "json", False):
        print(json.dumps(data, indent=1, default=str))
    elif not args.quiet:
        print(text())


def _note(args: argparse.Namespace, line: str) -> None:
    """A one-line notice on stderr (suppressed by --quiet)."""
    if not args.quiet:
        print(f"corpus: note: {line}", file=sys.stderr, flush=True)


class _CliLogHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler `-v` installs on the library's loggers (one at a time)."""


def _configure_logging(verbose: int) -> None:
    """-v: the library's INFO lines on stderr; -vv: DEBUG."""
    for name in ("crawler", "flows"):
        logger = logging.getLogger(name)
        for handler in [h for h in logger.handlers if isinstance(h, _CliLogHandler)]:
            logger.removeHandler(handler)
        if verbose:
            handler = _CliLogHandler(sys.stderr)
            handler.setFormatter(
                logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
            )
            logger.addHandler(handler)
            logger.setLevel(logging.DEBUG if verbose > 1 else logging.INFO)


COMMANDS = {
    "ingest": cmd_ingest,
    "explain": cmd_explain,
    "crawl": cmd_crawl,
    "stats": cmd_stats,
    "compact": cmd_compact,
    "verify": cmd_verify,
    "repair": cmd_repair,
    "config": cmd_config,
    "export": cmd_export,
    "reprocess": cmd_reprocess,
    "serve": cmd_serve,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _configure_logging(args.verbose)
    try:
        config = load_config(args.config)
        return COMMANDS[args.command](args, config)
    except ConfigError as exc:
        print(f"corpus: error: {exc}", file=sys.stderr)
        return 2
    except DatasetLockedError as exc:
        print(f"corpus: error: {exc}", file=sys.stderr)
        return 3
    except DatasetDamagedError as exc:
        print(f"corpus: error: {exc}", file=sys.stderr)
        return 4
    except DatasetAccessError as exc:
        print(f"corpus: error: {exc}", file=sys.stderr)
        return 5
    except OSError as exc:
        if not is_write_error(exc):
            raise
        print(
            f"corpus: error: {access_error(exc, Path(getattr(args, 'out', None) or '.'))}",
            file=sys.stderr,
        )
        return 5


if __name__ == "__main__":
    sys.exit(main())
