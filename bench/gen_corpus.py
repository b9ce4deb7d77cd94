"""Generate N seed-like page dumps with a known duplicate structure (for the scale benchmark).

    .venv/bin/python bench/gen_corpus.py OUT_DIR N [--dup-rate 0.3] [--seed 7]

Each dump is a synthetic news article wrapped in chrome like the seeds' (title lines, byline
with a relative date, related-story blocks, app promos, comment widgets, footers). A share of the
dumps are reposts of an earlier article, as aggregators make them: an exact copy under other
chrome, the first paragraph missing, truncated, lightly edited, or with extra related-story spam.
`OUT_DIR/truth.jsonl` maps every file to its article (cluster) id, so dedup can be scored
pairwise against the truth.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

DETS = ["the", "a", "this", "that", "its", "their", "our", "every", "one", "another"]
PREPS = ["in", "on", "at", "from", "with", "after", "before", "during", "under", "against"]
CONJ = ["and", "but", "while", "because", "although", "as", "since", "so"]
VERBS = [
    "said",
    "told",
    "announced",
    "warned",
    "argued",
    "reported",
    "confirmed",
    "denied",
    "approved",
    "rejected",
    "signed",
    "launched",
    "opened",
    "closed",
    "raised",
    "cut",
    "increased",
    "reduced",
    "blocked",
    "backed",
    "criticized",
    "praised",
    "delayed",
    "promised",
    "expected",
    "planned",
    "considered",
    "discussed",
    "reviewed",
    "visited",
    "met",
    "called",
]
ADJS = [
    "new",
    "old",
    "local",
    "national",
    "regional",
    "foreign",
    "public",
    "private",
    "senior",
    "former",
    "major",
    "minor",
    "economic",
    "political",
    "military",
    "financial",
    "legal",
    "social",
    "annual",
    "recent",
    "early",
    "late",
    "key",
    "strong",
    "weak",
    "large",
    "small",
    "long",
    "short",
    "high",
    "low",
    "open",
    "final",
    "official",
    "independent",
]
OUTLETS = ["The Daily Ledger", "Northern Post", "Global Wire", "City Herald", "The Observer Times"]
APPS = ["Download the App", "Get Started Now: Download the App", "app-storeplay-store"]


def vocabulary(rng: random.Random, size: int = 4000) -> list[str]:
    """Pronounceable made-up nouns, so distinct articles share few shingles."""
    consonants, vowels = "bcdfghklmnprstvz", "aeiou"
    words: set[str] = set()
    while len(words) < size:
        n = rng.randint(2, 4)
        words.add("".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(n)))
    return sorted(words)


class Writer:
    """Makes sentences, paragraphs and headlines from a fixed vocabulary."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.nouns = vocabulary(rng)

    def noun_phrase(self) -> str:
        r = self.rng
        return f"{r.choice(DETS)} {r.choice(ADJS)} {r.choice(self.nouns)}"

    def sentence(self) -> str:
        r = self.rng
        parts = [self.noun_phrase(), r.choice(VERBS), self.noun_phrase()]
        for _ in range(r.randint(1, 3)):
            parts += [r.choice(PREPS), self.noun_phrase()]
        if r.random() < 0.5:
            parts += [r.choice(CONJ), self.noun_phrase(), r.choice(VERBS), self.noun_phrase()]
        text = " ".join(parts)
        return text[0].upper() + text[1:] + "."

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 4)))

    def headline(self) -> str:
        r = self.rng
        words = [r.choice(self.nouns).title(), r.choice(VERBS).title(), r.choice(ADJS).title()]
        return " ".join(words + [r.choice(self.nouns).title() for _ in range(r.randint(1, 3))])


def related_block(w: Writer, n: int) -> list[str]:
    lines = ["Related Articles", ""]
    for _ in range(n):
        h, outlet = w.headline(), w.rng.choice(OUTLETS)
        hours = w.rng.randint(1, 23)
        lines += [h, h, "", outlet, "", f"time{hours} hours ago", "", f"  • {outlet}", "", h, ""]
        lines += [w.paragraph()[:200], ""]
    return lines


def dump(w: Writer, title: str, outlet: str, paragraphs: list[str], spam: int) -> str:
    r = w.rng
    lines = ["logo", title, "", title, "", f"{outlet}{r.choice(['a day ago', '2 hours ago'])}"]
    lines += paragraphs
    lines += ["Try Our AI Features", "", "Comments", "", "No comments yet...", ""]
    lines += related_block(w, spam)
    lines += [
        r.choice(APPS),
        "",
        "Ready to dive in? Download our app today.",
        "app-storeplay-store",
    ]
    return "\n".join(lines) + "\n"


def repost(w: Writer, paragraphs: list[str]) -> tuple[list[str], str]:
    """A copy of an article as an aggregator would repost it, and how it was changed."""
    r, kind = w.rng, w.rng.choice(["exact", "no_first", "truncated", "edited", "spam"])
    if kind == "no_first":
        return paragraphs[1:], kind
    if kind == "truncated":
        return paragraphs[: max(2, int(len(paragraphs) * 0.7))], kind
    if kind == "edited":
        edited = list(paragraphs)
        for _ in range(3):
            i = r.randrange(len(edited))
            words = edited[i].split()
            words[r.randrange(len(words))] = r.choice(w.nouns)
            edited[i] = " ".join(words)
        return edited, kind
    return list(paragraphs), kind


def generate(out: Path, n: int, dup_rate: float, seed: int) -> None:
    rng = random.Random(seed)
    w = Writer(rng)
    out.mkdir(parents=True, exist_ok=True)
    originals: list[tuple[str, list[str], str]] = []
    with open(out / "truth.jsonl", "w", encoding="utf-8") as truth:
        for i in range(n):
            name = f"{i:07d}.txt"
            if originals and rng.random() < dup_rate:
                cluster = rng.randrange(len(originals))
                title, paragraphs, outlet = originals[cluster]
                paragraphs, kind = repost(w, paragraphs)
                spam = rng.randint(2, 5)
            else:
                cluster, kind = len(originals), "original"
                title, outlet = w.headline(), rng.choice(OUTLETS)
                paragraphs = [w.paragraph() for _ in range(rng.randint(6, 14))]
                originals.append((title, paragraphs, outlet))
                spam = rng.randint(1, 3)
            sub = out / name[:4]
            sub.mkdir(exist_ok=True)
            (sub / name).write_text(dump(w, title, outlet, paragraphs, spam), "utf-8")
            truth.write(
                json.dumps({"file": f"{name[:4]}/{name}", "cluster": cluster, "kind": kind})
            )
            truth.write("\n")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path)
    parser.add_argument("n", type=int)
    parser.add_argument("--dup-rate", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    generate(args.out, args.n, args.dup_rate, args.seed)


if __name__ == "__main__":
    main()
