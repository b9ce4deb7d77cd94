"""The four derived features `features.make` computes when a line is made equal the lazy
properties `LineFeatures` had before (kept here as the reference)."""

from __future__ import annotations

import re
from itertools import chain
from pathlib import Path

from crawler.extract.boilerplate import learned, lines
from crawler.extract.boilerplate.features import LineFeatures, model_values

ROOT = Path(__file__).resolve().parents[4]
_COUNT_SUFFIX = re.compile(r"^\D*[(\[]\d+[)\]]$")


def _is_cjk(f: LineFeatures) -> bool:
    return f.cjk >= max(4, f.chars // 3)


def _prose_like(f: LineFeatures) -> bool:
    if _is_cjk(f):
        return f.cjk >= 20 and (f.end_punct or "、" in f.text)
    if f.units >= 10 and (f.end_punct or f.inner_sentences > 0):
        return f.stop_ratio >= 0.08 or f.units >= 25
    return f.units >= 20 and f.stop_ratio >= 0.15


def _data_like(f: LineFeatures) -> bool:
    if f.date_like or (f.text.endswith((")", "]")) and _COUNT_SUFFIX.search(f.text)):
        return False
    return f.bulleted or (f.digit_ratio > 0 and (f.alpha_words > 0 or f.chars <= 12))


def _headline_like(f: LineFeatures) -> bool:
    if (f.end_punct and f.text[-1:] not in "?!？！") or f.end_colon:
        return False
    if _is_cjk(f):
        return 6 <= f.cjk <= 60
    return 3 <= f.words <= 20


SAMPLES = [
    "Category (15)",
    "Leeds 3 1 0 2 — 9",
    "85%",
    "1 tsp cinnamon",
    "• Apples",
    "Is this a headline?",
    "Read more:",
    "東京都で新しい条例が成立した。市民の生活に大きな影響があると見られている、と専門家は語る。",
    "東京都で新しい条例が成立",
    "Updated 3 hours ago",
    "A long sentence of running text that has enough words to be prose, and it ends here.",
    "x",
]


def _lines() -> list[str]:
    found = list(SAMPLES)
    for folder in (
        ROOT.parent / "shared" / "eval" / "dev" / "text",
        ROOT / "eval" / "dev" / "text",
    ):
        if folder.is_dir():
            for path in sorted(folder.iterdir())[:30]:
                found += path.read_text("utf-8", "replace").splitlines()
            break
    return found


def test_the_derived_features_equal_the_old_lazy_properties() -> None:
    checked = 0
    for raw in _lines():
        text = lines.normalize(raw)
        if not text:
            continue
        f = lines.features_of_normalized(text)
        assert f.is_cjk == _is_cjk(f), text
        assert f.prose_like == _prose_like(f), text
        assert f.data_like == _data_like(f), text
        assert f.headline_like == _headline_like(f), text
        checked += 1
    assert checked >= len(SAMPLES) - 1


def test_model_values_are_the_model_raw_features_in_order() -> None:
    """`features.model_values` (the line model's hot path) equals `learned._RAW_FEATURES`
    (the reference's attribute getter) line after line, value for value and type for type."""
    made = [lines.features_of_normalized(t) for t in map(lines.normalize, _lines()) if t]
    got = model_values(made)
    want = list(chain.from_iterable(map(learned._RAW_FEATURES, made)))
    assert got == want
    assert [type(v) for v in got] == [type(v) for v in want]
