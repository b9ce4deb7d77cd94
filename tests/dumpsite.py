"""Page dumps of one made-up site, written by the tests that need a small corpus they can edit
(reprocess, revisions)."""

from __future__ import annotations

import random
from pathlib import Path

WORDS = [
    "harbour",
    "council",
    "budget",
    "school",
    "river",
    "bridge",
    "election",
    "market",
    "station",
    "library",
]
HEADLINE = "Council approves plan number {} for the harbour district"


def paragraph(seed: int) -> str:
    pick = random.Random(seed).choice
    return " ".join(pick(WORDS) + ("." if i % 12 == 11 else "") for i in range(120)).capitalize()


def write_site(folder: Path, pages: int = 4) -> list[Path]:
    """Page dumps of one site: a headline and three paragraphs each. With line statistics the
    cleaner tells the headline (it has the site's shape) from the text; without, it keeps it."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(pages):
        lines = [
            HEADLINE.format(n),
            paragraph(10 * n + 1),
            paragraph(10 * n + 2),
            paragraph(10 * n + 3),
        ]
        path = folder / f"page-{n}.txt"
        path.write_text("\n".join(lines) + "\n", "utf-8")
        paths.append(path)
    return paths
