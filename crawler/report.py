"""Plain-text rendering of a run summary (the CLI prints it; the flow logs it)."""

from __future__ import annotations

from collections.abc import Sequence

from crawler.run_types import RunSummary


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], max_width: int = 60) -> str:
    """A fixed-width text table; cells longer than max_width are cut with an ellipsis."""

    def cell(value: object) -> str:
        text = "" if value is None else str(value)
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    cells = [[cell(h) for h in headers]] + [[cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_summary(summary: RunSummary) -> str:
    """The run in a few lines: counts, the records added, and one line per rejected input."""
    out = [
        f"run {summary.run_id} -> {summary.dataset}",
        f"inputs {summary.inputs}  unchanged {summary.unchanged}  processed {summary.processed}  "
        f"added {summary.added}  merged {summary.merged_exact} exact + {summary.merged_near} near  "
        f"rejected {summary.rejected}  records in dataset {summary.total_records}",
    ]
    if summary.records:
        rows = [
            (
                r["doc_id"][:12],
                r["title"] or "-",
                r["publisher"] or "-",
                r["language"] or "-",
                r["word_count"],
                ", ".join(r["sources"]),
            )
            for r in summary.records
        ]
        out += ["", table(("doc_id", "title", "publisher", "lang", "words", "sources"), rows)]
    if summary.rejects:
        out += ["", "rejected inputs:"]
        out += [f"  {r['source_uri']}: {r['reason']}: {r['detail']}" for r in summary.rejects]
    if summary.removal_reasons:
        reasons = ", ".join(f"{k} {v}" for k, v in summary.removal_reasons.items())
        out += ["", f"removed lines by reason: {reasons}"]
    return "\n".join(out)
