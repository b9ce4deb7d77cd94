"""A run's report: the same sections rendered as plain text (the CLI) or Markdown (the Prefect
artifact), so the terminal and the Prefect UI say the same thing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from crawler.run_types import RunSummary

TOP_REASONS = 10  # removal reasons listed in a report
STAGES = ("scan", "clean", "dedup", "write_and_commit", "clean_work")  # in the order they run


@dataclass
class Section:
    """A titled part of a report: lines of text, then an optional table."""

    title: str
    lines: list[str] = field(default_factory=list)
    headers: Sequence[str] = ()
    rows: list[Sequence[object]] = field(default_factory=list)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], max_width: int = 60) -> str:
    """A fixed-width text table; cells longer than max_width are cut with an ellipsis."""
    cells = [[_cut(h, max_width) for h in headers]] + [
        [_cut(v, max_width) for v in r] for r in rows
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cut(value: object, max_width: int) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= max_width else text[: max_width - 1] + "…"


def _counts(values: Mapping[str, object], limit: int | None = None) -> str:
    items = list(values.items())[:limit]
    return ", ".join(f"{k} {v}" for k, v in items) or "none"


def summary_sections(summary: RunSummary) -> list[Section]:
    """Counts, records added, rejects by reason, removal reasons, review list, stage times."""
    merged = summary.merged_exact + summary.merged_near
    sections = [
        Section(
            f"run {summary.run_id} -> {summary.dataset}",
            [
                f"inputs {summary.inputs}  unchanged {summary.unchanged}  "
                f"processed {summary.processed}  added {summary.added}  "
                f"merged {summary.merged_exact} exact + {summary.merged_near} near  "
                f"rejected {summary.rejected}  records in dataset {summary.total_records}"
            ],
        )
    ]
    if summary.records:
        shown = len(summary.records)
        note = [f"first {shown} of {summary.added}"] if shown < summary.added else []
        sections.append(
            Section(
                f"records added ({summary.added})",
                note,
                ("doc_id", "title", "publisher", "lang", "words", "sources"),
                [
                    (
                        r["doc_id"][:12],
                        r["title"] or "-",
                        r["publisher"] or "-",
                        r["language"] or "-",
                        r["word_count"],
                        ", ".join(r["sources"]),
                    )
                    for r in summary.records
                ],
            )
        )
    if merged:
        sections.append(
            Section(
                f"duplicates merged ({merged})",
                [f"exact {summary.merged_exact}, near {summary.merged_near}"],
            )
        )
    if summary.rejected:
        shown = len(summary.rejects)
        more = f" (first {shown} listed)" if shown < summary.rejected else ""
        sections.append(
            Section(
                f"rejected inputs ({summary.rejected})",
                [f"by reason: {_counts(summary.rejects_by_reason)}{more}"],
                ("input", "reason", "detail"),
                [(r["source_uri"], r["reason"], r["detail"]) for r in summary.rejects],
            )
        )
    if summary.removal_reasons:
        sections.append(
            Section(
                "removed lines by reason",
                [_counts(summary.removal_reasons, TOP_REASONS)],
            )
        )
    if summary.review:
        sections.append(
            Section(
                "lowest confidence, for review",
                ["confidence = share of input kept x length (up to 300 words)"],
                ("doc_id", "title", "source", "words", "removed", "confidence", "flags"),
                [
                    (
                        r["doc_id"][:12],
                        r["title"] or "-",
                        r["source"],
                        r["word_count"],
                        f"{r['removed_ratio']:.0%}",
                        f"{r['confidence']:.2f}",
                        "; ".join(r["flags"]) or "-",
                    )
                    for r in summary.review
                ],
            )
        )
    if summary.seconds:
        order = {stage: n for n, stage in enumerate(STAGES)}
        stages = dict(sorted(summary.seconds.items(), key=lambda kv: order.get(kv[0], len(order))))
        sections.append(
            Section(
                "time per stage (s)",
                [_counts(stages), "clean_work: cleaning time summed over worker processes"],
            )
        )
    return sections


def render_text(sections: Sequence[Section]) -> str:
    """Plain text: the first section's title is the report's first line."""
    out: list[str] = []
    for n, section in enumerate(sections):
        if n:
            out.append("")
            out.append(f"{section.title}:")
        else:
            out.append(section.title)
        out += section.lines
        if section.headers:
            out.append(table(section.headers, section.rows))
    return "\n".join(out)


def render_markdown(sections: Sequence[Section], heading: str | None = None) -> str:
    """Markdown for a Prefect artifact: a heading per section, tables as pipe tables."""
    out = [f"# {heading}", ""] if heading else []
    for section in sections:
        out += [f"## {_md(section.title)}", ""]
        out += [_md(line) + "  " for line in section.lines]
        if section.lines:
            out.append("")
        if section.headers:
            out.append("| " + " | ".join(_md(h) for h in section.headers) + " |")
            out.append("|" + "---|" * len(section.headers))
            out += ["| " + " | ".join(_md(_cut(v, 80)) for v in r) + " |" for r in section.rows]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def _md(text: str) -> str:
    """Escape what would break a Markdown table cell or start markup."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("*", "\\*")


def format_summary(summary: RunSummary) -> str:
    """The run summary as the CLI prints it."""
    return render_text(summary_sections(summary))
