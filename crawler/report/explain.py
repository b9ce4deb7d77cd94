"""Why each line of an input was kept or removed: the data behind `corpus explain`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from crawler.config import Settings
from crawler.extract.boilerplate import LineStats
from crawler.extract.chain import extract
from crawler.extract.extracted import Extracted
from crawler.readers.files import read_input

KEPT = "kept"


@dataclass(frozen=True)
class ExplainedLine:
    line_no: int
    text: str
    verdict: str  # KEPT, or the removal reason


@dataclass(frozen=True)
class Explanation:
    source_uri: str
    kind: str
    lines: list[ExplainedLine]
    found: Extracted


def learn_stats(paths: Iterable[Path], settings: Settings) -> LineStats:
    """Line statistics of other page dumps, as an ingest of them together would learn them."""
    from crawler.errors import Drop
    from crawler.readers.files import discover

    stats = LineStats()
    for path in discover(paths):
        if path.suffix.lower() == ".txt":
            try:
                stats.add(read_input(path, settings.max_input_bytes).text)
            except Drop:
                continue
    return stats


def explain(path: Path, settings: Settings, stats: LineStats | None = None) -> Explanation:
    """Every non-blank line the cleaner looked at, with its verdict. For a page dump these are the
    dump's lines; for HTML, the lines of the extractor's output (the rest of the page was never
    article candidate text). Raises Drop if the file cannot be read or is over a limit."""
    raw = read_input(path, settings.max_input_bytes)
    found = extract(raw, settings, stats)
    removed = {r.line_no: r for r in found.removed}
    lines: list[ExplainedLine] = []
    if raw.kind == "text":
        for no, text in enumerate(raw.text.split("\n")):
            if text.strip():
                verdict = removed[no].reason if no in removed else KEPT
                lines.append(ExplainedLine(no, text.strip(), verdict))
    else:  # rebuild the extractor's output: removed lines at their numbers, kept ones in order
        kept = iter(found.paragraphs)
        for no in range(len(found.paragraphs) + len(found.removed)):
            if no in removed:
                lines.append(ExplainedLine(no, removed[no].text, removed[no].reason))
            else:
                lines.append(ExplainedLine(no, next(kept, ""), KEPT))
    return Explanation(raw.source_uri, raw.kind, lines, found)


def render(explanation: Explanation, colour: bool) -> str:
    """Lines marked kept/removed with reasons; ANSI colours when `colour`."""
    found = explanation.found
    width = max((len(line.verdict) for line in explanation.lines), default=4)
    head = [
        f"# {explanation.source_uri} ({explanation.kind})",
        f"# title: {found.meta.title or '-'} | publisher: {found.meta.publisher or '-'} | "
        f"date: {found.meta.date_text or found.meta.published_at or '-'}",
    ]
    kept = sum(line.verdict == KEPT for line in explanation.lines)
    head.append(f"# {kept} lines kept, {len(explanation.lines) - kept} removed")
    out = []
    for line in explanation.lines:
        row = f"{line.line_no + 1:5d}  {line.verdict:<{width}}  {line.text}"
        if colour:
            row = f"\033[32m{row}\033[0m" if line.verdict == KEPT else f"\033[2;31m{row}\033[0m"
        out.append(row)
    return "\n".join(head + out)
