"""Which records of a run a person should look at first: the lowest-confidence ones.

Confidence is a plain heuristic in [0, 1], the product of two shares, so a reader can check it:
how much of the input survived cleaning (1 - removed_ratio) and how close the text is to a
normal article length (word_count / FULL_LENGTH_WORDS, capped at 1). A page the cleaner cut to
a few lines, or one where nearly everything was chrome, scores low. Flags say why in words.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

FULL_LENGTH_WORDS = 300  # shorter texts lose confidence in proportion
MOSTLY_REMOVED = 0.8  # flag when this share of the input was removed
REVIEW_ROWS = 10  # documents listed for review per run


def confidence(removed_ratio: float, word_count: int) -> float:
    kept = max(0.0, 1.0 - removed_ratio)
    length = min(1.0, word_count / FULL_LENGTH_WORDS)
    return round(kept * length, 3)


def review_flags(record: dict[str, Any]) -> list[str]:
    """Why a record may be wrong, in words (empty when nothing stands out)."""
    flags = []
    if record["removed_ratio"] >= MOSTLY_REMOVED:
        flags.append(f"{record['removed_ratio']:.0%} of input removed")
    if record["word_count"] < FULL_LENGTH_WORDS // 2:
        flags.append(f"short ({record['word_count']} words)")
    if not record.get("title"):
        flags.append("no title")
    if not record.get("language"):
        flags.append("language unknown")
    return flags


@dataclass
class ReviewQueue:
    """Keeps the `size` lowest-confidence records seen, in bounded memory."""

    size: int = REVIEW_ROWS
    _heap: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)

    def offer(self, record: dict[str, Any], source: str) -> None:
        score = confidence(record["removed_ratio"], record["word_count"])
        row = {
            "doc_id": record["doc_id"],
            "title": record.get("title"),
            "source": source,
            "word_count": record["word_count"],
            "removed_ratio": round(float(record["removed_ratio"]), 3),
            "confidence": score,
            "flags": review_flags(record),
        }
        # a max-heap on confidence (negated), ties broken by doc_id for a stable choice
        item = (-score, record["doc_id"], row)
        if len(self._heap) < self.size:
            heapq.heappush(self._heap, item)
        elif item > self._heap[0]:
            heapq.heapreplace(self._heap, item)

    def rows(self) -> list[dict[str, Any]]:
        """Lowest confidence first."""
        return [row for _, _, row in sorted(self._heap, key=lambda i: (-i[0], i[1]))]
