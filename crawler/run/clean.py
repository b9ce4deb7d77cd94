"""The clean stage: inputs -> the chain -> staged documents (with MinHash signatures) and
rejects, one Parquet pair per batch. Every way in ends here: inputs from readers (`clean_batch`,
`crawler.readers.inputs`) and crawled pages (`clean_input` from the crawler's item pipeline)."""

from __future__ import annotations

import contextlib
import pickle
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from crawler.config import Settings
from crawler.dedup.minhash import MinHasher, shingle_set
from crawler.errors import Drop
from crawler.extract.boilerplate import LineStats
from crawler.extract.boilerplate.stats import LineCountsFile, write_counts
from crawler.extract.chain import process
from crawler.extract.limits import DocumentTimeout, time_limit
from crawler.extract.normalize import parse_date, replace_surrogates
from crawler.model import Document
from crawler.readers.files import RawInput
from crawler.readers.inputs import Input, reopen_inputs
from crawler.readers.inputs import input_hash as input_hash  # the worker pool's import
from crawler.reasons import Rejected
from crawler.run_types import BatchResult, RunContext
from crawler.store.staged import write_batch


def load_line_stats(path: str | None) -> LineStats | None:
    if path is None:
        return None
    stats = pickle.loads(Path(path).read_bytes())
    assert isinstance(stats, LineStats)
    return stats


def learn_line_stats(inputs: Iterable[Input]) -> LineStats:
    """Which lines recur across these page dumps, for the cleaner (the scan runs this on chunks
    of them in the worker pool); inputs that cannot be read are skipped (the clean stage
    rejects them with the reason)."""
    stats = LineStats()
    for item in inputs:
        with contextlib.suppress(Drop):
            stats.add(item.load().text)
    return stats


def learn_line_counts(inputs: Iterable[Input], path: str, partitions: int) -> LineCountsFile:
    """`learn_line_stats` of these dumps written to `path` (`stats.write_counts`): the scan's
    workers run this, so the run's main process receives a file name, never the counts."""
    return write_counts(learn_line_stats(inputs), path, partitions)


def clean_batch(
    ctx: RunContext, batch_no: int, keys: list[str], line_stats_path: str | None
) -> BatchResult:
    """Clean one batch of inputs (named by their keys: `Input.key`, a file's path); stage the
    documents and the rejects. The inputs come as the scan hashed them (`save_batches`); a
    batch that was not saved so (split up after a worker died) is read again."""
    stats = load_line_stats(line_stats_path)
    inputs = _saved_batch(ctx, batch_no, keys)
    if inputs is None:
        inputs = list(reopen_inputs(keys, ctx.settings))
    return stage_batch(ctx, batch_no, inputs, stats)


def save_batches(ctx: RunContext, batches: list[list[Input]]) -> list[list[str]]:
    """Keep each planned batch of inputs in the staging area for `clean_batch` (wherever it
    runs: worker processes, Prefect tasks, Dask workers on the same file system); the batches
    as keys, which is what travels."""
    return [save_batch(ctx, batch_no, batch) for batch_no, batch in enumerate(batches)]


def save_batch(ctx: RunContext, batch_no: int, batch: list[Input]) -> list[str]:
    """Keep one batch of inputs for `clean_batch` (also a batch split up after a worker died:
    its inputs are not read and hashed again); its keys."""
    keys = pickle.dumps([item.key for item in batch])
    _batch_inputs_path(ctx, batch_no).write_bytes(pickle.dumps(batch))
    # copies, not the inputs' own strings: made among the scan's inputs, those would keep the
    # inputs' allocator arenas (1 MiB each) in use through the run once the inputs are dropped
    return pickle.loads(keys)  # type: ignore[no-any-return]


def saved_inputs(ctx: RunContext, batch_no: int, keys: list[str]) -> dict[str, Input]:
    """The inputs kept for batch `batch_no` by key (empty if none were kept for these keys)."""
    return {item.key: item for item in _saved_batch(ctx, batch_no, keys) or []}


def _batch_inputs_path(ctx: RunContext, batch_no: int) -> Path:
    return Path(ctx.staging) / f"batch-{batch_no:05d}.inputs.pickle"


def _saved_batch(ctx: RunContext, batch_no: int, keys: list[str]) -> list[Input] | None:
    """The inputs `save_batches` kept for this batch, if it holds exactly these keys."""
    try:
        saved = pickle.loads(_batch_inputs_path(ctx, batch_no).read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError):
        return None
    if not isinstance(saved, list) or [getattr(i, "key", None) for i in saved] != keys:
        return None
    return [i for i in saved if isinstance(i, Input)]


PendingInput = Input  # the name the crawler's item pipeline and the benches use


def stage_batch(
    ctx: RunContext, batch_no: int, pending: Iterable[Input], stats: LineStats | None
) -> BatchResult:
    """Run the chain on each input; stage documents (with signatures) and rejects as Parquet.

    Every way in ends here: files (`clean_batch`) and crawled pages alike.
    """
    started = time.perf_counter()
    hasher = MinHasher(ctx.settings.num_perm)
    docs: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    counters: Counter[str] = Counter()
    for item in pending:
        row, reject = clean_input(item, ctx.settings, stats, hasher)
        if row is not None:
            counters["cleaned"] += 1
            docs.append(row)
        elif reject is not None:
            counters["rejected"] += 1
            rejects.append(reject)
    return write_staged(ctx, batch_no, docs, rejects, counters, time.perf_counter() - started)


def clean_input(
    item: Input, settings: Settings, stats: LineStats | None, hasher: MinHasher
) -> tuple[dict[str, Any], None] | tuple[None, dict[str, Any]]:
    """Run the chain on one input: (staged row, None), or (None, reject row) with the reason.

    Every way in ends here: `stage_batch` for files, the crawler's item pipeline for pages.
    Reading and cleaning one input get at most `settings.max_doc_seconds` (`limits.time_limit`).
    """
    try:
        with time_limit(settings.max_doc_seconds):
            doc = process(item.load(), settings, stats)
    except Drop as drop:
        reason, detail = drop.reason, drop.detail
    except DocumentTimeout:
        reason, detail = Rejected.TIMEOUT, f"not done after {settings.max_doc_seconds:g} s"
    except Exception as exc:  # a bug on one input must not end the run: report it
        reason, detail = Rejected.EXTRACT_ERROR, f"unexpected {type(exc).__name__}: {exc}"
    else:
        return staged_row(doc, item.input_hash, hasher, settings.shingle_size), None
    return None, reject_row(item.source_uri, reason, detail, item.size_bytes, item.input_hash)


CRASHED_DETAIL = "the cleaning process died on it (out of memory or a crash in a C library)"


def reject_row(
    source_uri: str, reason: str, detail: str, size_bytes: int | None, input_hash: str | None
) -> dict[str, Any]:
    """A staged reject (STAGED_REJECTS_SCHEMA) for an input that gave no document."""
    return {
        "source_uri": source_uri,
        "reason": str(reason),
        "detail": _one_line(detail),
        "size_bytes": size_bytes,
        "input_hash": input_hash,
    }


def _one_line(detail: str) -> str:
    """A reject's detail as one storable line of at most 500 characters (details can quote
    file names and exception messages)."""
    return replace_surrogates(" ".join(detail.split()))[:500]


def write_staged(
    ctx: RunContext,
    batch_no: int,
    docs: list[dict[str, Any]],
    rejects: list[dict[str, Any]],
    counters: dict[str, int],
    seconds: float,
) -> BatchResult:
    """Write one batch of staged rows and reject rows (from `clean_input`) as Parquet. The
    names do not end in .parquet, so no reader's glob over the dataset folder picks them up."""
    prefix = Path(ctx.staging) / f"batch-{batch_no:05d}"
    docs_path, rejects_path = f"{prefix}.docs.parquet.staged", f"{prefix}.rejects.parquet.staged"
    write_batch(docs, rejects, docs_path, rejects_path)
    return BatchResult(docs_path, rejects_path, dict(counters), seconds)


def staged_row(
    doc: Document, input_hash: str, hasher: MinHasher, shingle_size: int
) -> dict[str, Any]:
    """A cleaned document as a staging row, with its MinHash signature."""
    row = doc.to_row()
    row["input_hash"] = input_hash
    sig = hasher.signature(shingle_set(doc.text, shingle_size))
    row["signature"] = sig.astype("<u4").tobytes()
    return row


# A page dump as the chain meets them (site chrome, a headline, a byline with a date, curly
# quotes, paragraphs of words): what `warm_up` runs through it.
_WARM_UP_DUMP = """Skip to content
Log In
Today’s Paper
World|Ferry Service Resumes After the Storm
Subscribe
Advertisement
Ferry Service Resumes After the Storm
The harbour reopened on Tuesday, three days after the storm closed it.
By Jane Doe and Li Wen
November 19, 2019 6:00 PM ET
The first ferry left the harbour at dawn on Tuesday, carrying commuters who had waited three days \
for the service to resume after the storm damaged two of the piers and flooded the terminal.
“We are glad to be moving again,” said one passenger, who crosses the bay every morning to \
work at the hospital. The port authority said repairs to the second pier would take a month.
Officials said the storm was the strongest to hit the coast in a decade — its winds tore roofs \
from houses along the shore, and thousands of homes were without power for most of the weekend.
Advertisement
Share this article
"""


def warm_up() -> None:
    """Pay a text worker's first-use costs in this process now: the first document through the
    chain and its signature (lazy imports such as numpy.random, regular expressions compiled on
    first use, `strptime`'s locale tables and formats). The worker pool's forkserver calls this
    once (`crawler.run.warm_text`), so that every worker it forks starts with them paid rather
    than each paying them on its first batch. Only caches are filled (the cleaner's line memos
    among them, which a worker fills with every batch anyway). Never raises."""
    with contextlib.suppress(Exception):
        settings = Settings()
        raw = RawInput("file:///warm-up.txt", "text", _WARM_UP_DUMP, len(_WARM_UP_DUMP))
        with time_limit(settings.max_doc_seconds):
            doc = process(raw, settings, LineStats())
        staged_row(doc, "0" * 64, MinHasher(settings.num_perm), settings.shingle_size)
        for phrase in _WARM_UP_DATES:
            parse_date(phrase)


# one date in each of `parse_date`'s ways of reading one (ISO, RFC 2822, strptime, dateutil)
_WARM_UP_DATES = (
    "2019-11-19T18:00:00Z",
    "Tue, 19 Nov 2019 18:00:00 GMT",
    "2019/11/19",
    "19 November 2019",
    "19.11.2019",
    "Nov. 19, 2019 6:00 PM ET",
)
