"""What a reprocess changed: records added, removed, whose text changed (and by how much),
duplicate groups that appeared or split, and records kept because their inputs vanished.

Pure functions over the old and new record rows (doc_id, text, word_count, sources, title); the
reprocess (crawler/run/reprocess.py) computes it before deciding whether to commit.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

LISTED = 50  # entries listed one by one per kind (the counts are always complete)


@dataclass
class ChangeReport:
    """The difference between a dataset's records before and after a reprocess."""

    inputs: int = 0  # inputs run through the chain again
    vanished: int = 0  # records kept as they were: none of their inputs is on disk any more
    added: int = 0
    removed: int = 0
    changed: int = 0
    unchanged: int = 0
    merges_appeared: int = 0
    merges_split: int = 0
    sources_changed: int = 0  # records whose merged sources changed (a merge moved, appeared)
    committed: bool = False
    run_id: str = ""
    added_ids: list[str] = field(default_factory=list)
    removed_ids: list[str] = field(default_factory=list)
    text_changes: list[dict[str, Any]] = field(default_factory=list)  # largest change first
    appeared: list[dict[str, Any]] = field(default_factory=list)
    split: list[dict[str, Any]] = field(default_factory=list)
    vanished_sources: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def similarity(before: str, after: str) -> float:
    """Share of words the two texts have in common, in order (difflib's ratio over words)."""
    return round(difflib.SequenceMatcher(None, before.split(), after.split()).ratio(), 4)


def compare(
    old: Sequence[Mapping[str, Any]],
    new: Sequence[Mapping[str, Any]],
    carried: set[str],
) -> ChangeReport:
    """Compare old and new record rows (each with doc_id, text, word_count, sources, title);
    `carried`: doc_ids kept unchanged because their inputs vanished."""
    report = ChangeReport()
    before = {r["doc_id"]: r for r in old}
    after = {r["doc_id"]: r for r in new}
    report.vanished = len(carried)
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    report.added, report.removed = len(added), len(removed)
    report.added_ids, report.removed_ids = added[:LISTED], removed[:LISTED]
    changes = []
    for doc_id in sorted(set(before) & set(after) - carried):
        was, now = before[doc_id], after[doc_id]
        report.sources_changed += sorted(was["sources"]) != sorted(now["sources"])
        if was["text"] == now["text"]:
            report.unchanged += 1
            continue
        changes.append(
            {
                "doc_id": doc_id,
                "title": now.get("title"),
                "words_before": int(was["word_count"]),
                "words_after": int(now["word_count"]),
                "similarity": similarity(was["text"], now["text"]),
            }
        )
    report.changed = len(changes)
    report.text_changes = sorted(changes, key=lambda c: (c["similarity"], c["doc_id"]))[:LISTED]
    appeared, split = _groups(old, new, carried)
    report.merges_appeared, report.merges_split = len(appeared), len(split)
    report.appeared, report.split = appeared[:LISTED], split[:LISTED]
    return report


def _groups(
    old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]], carried: set[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """New records that gather the sources of several old ones (a merge appeared), and old
    records whose sources are now spread over several new ones (a merge split)."""
    old_of = {s: r["doc_id"] for r in old if r["doc_id"] not in carried for s in r["sources"]}
    new_of = {s: r["doc_id"] for r in new for s in r["sources"]}
    olds_in_new: dict[str, set[str]] = defaultdict(set)
    news_of_old: dict[str, set[str]] = defaultdict(set)
    for source, old_id in old_of.items():
        if (new_id := new_of.get(source)) is not None:
            olds_in_new[new_id].add(old_id)
            news_of_old[old_id].add(new_id)
    appeared = [
        {"doc_id": d, "from": sorted(o)} for d, o in sorted(olds_in_new.items()) if len(o) > 1
    ]
    split = [{"doc_id": d, "into": sorted(n)} for d, n in sorted(news_of_old.items()) if len(n) > 1]
    return appeared, split


def format_changes(report: ChangeReport) -> str:
    """The report as a few lines of text (what `corpus reprocess` prints)."""
    head = (
        f"reprocessed {report.inputs} inputs: {report.added} records added, {report.removed} "
        f"removed, {report.changed} with changed text, {report.unchanged} unchanged; "
        f"merges: {report.merges_appeared} appeared, {report.merges_split} split, "
        f"{report.sources_changed} records with other merged sources"
    )
    lines = [head]
    for change in report.text_changes:
        lines.append(
            f"  changed {change['doc_id']}: {change['words_before']} -> {change['words_after']} "
            f"words, {change['similarity']:.0%} of the words in common ({change['title']})"
        )
    lines += [f"  added {d}" for d in report.added_ids]
    lines += [f"  removed {d}" for d in report.removed_ids]
    lines += [f"  merged {a['doc_id']} <- {', '.join(a['from'])}" for a in report.appeared]
    lines += [f"  split {s['doc_id']} -> {', '.join(s['into'])}" for s in report.split]
    if report.vanished:
        lines.append(
            f"kept {report.vanished} records as they were: their inputs are no longer on disk"
        )
        lines += [f"  {s}" for s in report.vanished_sources]
    if report.committed:
        lines.append(f"committed as run {report.run_id}")
    else:
        lines.append("nothing changed: no commit")
    return "\n".join(lines)
