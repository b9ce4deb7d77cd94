"""The run's vote on its paragraphs: counted in chunks, in any order, in any process, added up
on disk, it is the vote the run's pages give when counted all at once."""

from __future__ import annotations

import random
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from crawler.dedup.lines import paragraph_keys_of, token_lines
from crawler.dedup.votes import PARAGRAPH_WORDS, SpilledVotes, count_pages, count_run

WORDS = ["the", "a", "of", "to", "in", "and", "story", "city", "council", "vote", "river"]


def line(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)) + "."


def pages(n: int, seed: int = 3) -> list[tuple[str, str]]:
    """Pages sharing some paragraphs (kept here, removed there), with short lines too."""
    rng = random.Random(seed)
    common = [line(rng, 12) for _ in range(30)]
    out = []
    for _ in range(n):
        kept = [rng.choice(common) if rng.random() < 0.3 else line(rng, rng.choice((4, 12)))]
        kept += [line(rng, 11) for _ in range(rng.randint(0, 4))] + rng.sample(common, 2)
        removed = [*rng.sample(common, rng.randint(0, 3)), line(rng, 15)]
        out.append(("\n".join(kept), "\n".join(removed)))
    return out


def old_vote(run: list[tuple[str, str]]) -> dict[int, tuple[int, int]]:
    """The vote as the finish counted it before (every page's distinct kept keys, and its
    removed keys that it did not keep; the keys on two pages or more)."""
    counts: dict[int, list[int]] = {}
    for text, removed in run:
        at, keys = paragraph_keys_of(token_lines(f"{text}\n{removed}"), PARAGRAPH_WORDS)
        inside = at < text.count("\n") + 1
        kept = set(keys[inside].tolist())
        for key in kept:
            counts.setdefault(key, [0, 0])[0] += 1
        for key in set(keys[~inside].tolist()) - kept:
            counts.setdefault(key, [0, 0])[1] += 1
    return {k: (a, b) for k, (a, b) in counts.items() if a + b >= 2}


def as_dict(keys: np.ndarray, counts: np.ndarray) -> dict[int, tuple[int, int]]:
    assert np.all(np.diff(keys.astype(np.float64)) >= 0) and np.unique(keys).size == keys.size
    return {int(k): (int(a), int(b)) for k, a, b in zip(keys, counts[0], counts[1], strict=True)}


def test_the_vote_of_a_run_counts_each_page_once_per_paragraph() -> None:
    run = pages(300)
    expected = old_vote(run)
    assert expected and any(b for _, b in expected.values())  # removed votes too
    assert as_dict(*count_run(run, chunk=7)) == expected


@pytest.mark.parametrize("partitions", [1, 2, 64])
def test_chunks_added_on_disk_in_any_order_give_the_same_vote(
    tmp_path: Path, partitions: int
) -> None:
    run = pages(300, seed=partitions)
    chunks = [count_pages(run[n : n + 17]) for n in range(0, len(run), 17)]
    random.Random(1).shuffle(chunks)
    with SpilledVotes(tmp_path, partitions) as votes:
        for chunk in chunks:
            votes.add(chunk)
        keys, counts = votes.result()
    assert as_dict(keys, counts) == old_vote(run)
    assert not list(tmp_path.iterdir())  # its files are gone


def test_spilled_votes_hold_no_paragraph_between_chunks(tmp_path: Path) -> None:
    """Most paragraphs of a run occur once: the counts of 10 chunks of 20,000 distinct keys
    each are on disk, not in memory, until the end (the finish held them all before)."""
    rng = np.random.default_rng(5)
    chunks = []
    for _ in range(10):
        records = np.zeros(20_000, dtype=count_pages([]).dtype)
        records["key"] = np.sort(rng.integers(0, 2**63, 20_000, dtype=np.uint64))
        records["kept"] = 1
        chunks.append(records)
    with SpilledVotes(tmp_path) as votes:
        tracemalloc.start()
        try:
            for chunk in chunks:
                votes.add(chunk)
            held, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        keys, _ = votes.result()
    assert held < 1_000_000  # the files' buffers; 200,000 counted keys are 3.2 MB
    assert keys.size == 0  # each on one page only
