"""Training ingests where one article recurs across pages (issue 14): research code for
`bench/train_cleaner.py`, deterministic; nothing in the product imports it.

The labelled sets have no story syndicated within its own ingest, so a model trained on
them reads "this prose recurs in other pages of the ingest" as site chrome and drops a wire
story that every page of a small ingest carries. The pages built here put that case in
the training data, from the labelled pages of one fold only (read from ../shared at
training time; nothing is written into the repository):

- `framed`: an article's content lines (its labelled lines) put in place of the content
  lines of k other pages of the fold, of other site groups (k = 3..5): the same story in
  k different sites' chromes; their chromes also recur in the ingest, through the other
  pages of their sites;
- `duplicate`: one real page repeated k times (chrome and article alike recur);
- `bare`: an article's content lines alone (an already extracted story), k times.

Each synthetic ingest is one fold's real pages plus its synthetic pages (one LineStats),
so a line's recurrence counts both the fold's site chrome and the syndicated copies.
Labels are the donor article's: `cleaner_features.line_labels` against its gold body.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from crawler.extract.boilerplate.stats import LineStats

Labeller = Callable[[Sequence[str], str], npt.NDArray[np.float64]]


@dataclass(frozen=True)
class Synthetic:
    """One synthetic page: its dump text, the gold body it is scored against, its kind."""

    text: str
    gold: str
    kind: str


def _content(text: str, gold: str, labels: Labeller) -> tuple[list[str], int, int] | None:
    """The page's non-blank lines and the span from its first to its last content line."""
    lines = [s for s in text.split("\n") if s.strip()]
    y = labels([s.strip() for s in lines], gold)
    pos = [k for k, v in enumerate(y) if v == 1.0]
    if not pos:
        return None
    return lines, pos[0], pos[-1] + 1


def fold_pages(
    ids: Sequence[str],
    texts: dict[str, str],
    golds: dict[str, str],
    groups: dict[str, str],
    labels: Labeller,
    seed: int,
    n_framed: int = 24,
    n_duplicate: int = 8,
    n_bare: int = 8,
) -> list[list[Synthetic]]:
    """Synthetic ingests (lists of pages: copies of one story) from one fold's pages."""
    rng = random.Random(seed)
    spans = {i: _content(texts[i], golds[i], labels) for i in sorted(ids)}
    usable = [i for i, s in spans.items() if s is not None]
    out: list[list[Synthetic]] = []
    for donor in rng.sample(usable, min(n_framed, len(usable))):
        lines, a, b = spans[donor] or ([], 0, 0)
        y = labels([s.strip() for s in lines], golds[donor])
        story = [s for k, s in enumerate(lines[a:b]) if y[a + k] == 1.0]
        others = [i for i in usable if groups[i] != groups[donor]]
        hosts: list[str] = []
        k = rng.randint(3, 5)
        for h in rng.sample(others, len(others)):
            if all(groups[h] != groups[g] for g in hosts):
                hosts.append(h)
            if len(hosts) == k:
                break
        copies = []
        for h in hosts:
            hl, ha, hb = spans[h] or ([], 0, 0)
            copies.append(Synthetic("\n".join(hl[:ha] + story + hl[hb:]), golds[donor], "framed"))
        out.append(copies)
    for page in rng.sample(usable, min(n_duplicate, len(usable))):
        out.append([Synthetic(texts[page], golds[page], "duplicate")] * rng.randint(3, 5))
    for donor in rng.sample(usable, min(n_bare, len(usable))):
        lines, a, b = spans[donor] or ([], 0, 0)
        y = labels([s.strip() for s in lines], golds[donor])
        story = [s for k, s in enumerate(lines[a:b]) if y[a + k] == 1.0]
        if rng.random() < 0.5:  # a short wire item: its first few paragraphs
            story = story[: rng.randint(2, 6)]
        bare = "\n".join(story)
        out.append([Synthetic(bare, bare, "bare")] * rng.randint(3, 5))
    return out


def ingest_stats(base: LineStats, pages: Sequence[Synthetic]) -> LineStats:
    """The fold's line counts plus one synthetic ingest's pages."""
    stats = LineStats()
    stats.merge(base)
    for p in pages:
        stats.add(p.text)
    return stats
