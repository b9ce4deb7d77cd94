"""Speed cost of the learned line model (issue 14 research), as ratios in one process.

    .venv/bin/python bench/learned_cleaner_speed.py [MODEL_JSON] [--text-dir DIR] [--repeat 3]

On the same dumps (default eval/dev/text, LineStats over them first), median of --repeat:

- base: `clean_text` alone (today's cleaner);
- research path: `cleaner_features.page_matrix` (which runs the cleaner, analyses the lines
  a second time and builds the feature rows) plus the model's prediction and decoding;
- integrated estimate: the research path minus its second line analysis (`_analyse`,
  navigation runs, body span, timed on their own): what a cleaner that builds the rows
  from its own line analysis would cost.

Prints docs/s of each and the ratios to the base.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import cleaner_features as cf  # noqa: E402
import line_models as lm  # noqa: E402

from crawler.boilerplate import LineStats, blocks, clean_text, cleaner  # noqa: E402


def load(path: Path) -> tuple[lm.Model, list[int]]:
    """A model exported by bench/train_cleaner.py (--model-out)."""
    spec: dict[str, Any] = json.loads(path.read_text("utf-8"))
    names = cf.feature_names()
    cols = [names.index(n) for n in spec["features"]]
    if spec["kind"] == "logreg":
        m: lm.Model = lm.LogReg(
            cols,
            np.array(spec["mean"]),
            np.array(spec["scale"]),
            np.array(spec["weights"]),
            float(spec["bias"]),
        )
    else:
        trees = [
            (
                np.array(t["feature"], dtype=np.float64),
                np.array(t["threshold"]),
                np.array(t["leaf"]),
            )
            for t in spec["trees"]
        ]
        m = lm.Trees(cols, float(spec["lr"]), float(spec["base"]), trees)
    return m, cols


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("model", nargs="?", default=str(ROOT / "bench" / "learned_cleaner.json"))
    ap.add_argument("--text-dir", default=str(ROOT / "eval" / "dev" / "text"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--decode", default="threshold")
    args = ap.parse_args()
    model, _ = load(Path(args.model))
    texts = [p.read_text("utf-8") for p in sorted(Path(args.text_dir).glob("*.txt"))]
    stats = LineStats()
    for t in texts:
        stats.add(t)
    base, learned, extra = [], [], []
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        for t in texts:
            clean_text(t, stats)
        base.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for t in texts:
            rows = cf.page_matrix(t, stats)
            if len(rows.texts):
                lm.decode(model.predict(rows.x), rows.kept, args.decode)
        learned.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for t in texts:
            lines = cleaner._analyse(t.split("\n"), stats)
            cleaner._body_span(lines, "dump", blocks.navigation_runs(lines))
        extra.append(time.perf_counter() - t0)
    b, r = sorted(base)[len(base) // 2], sorted(learned)[len(learned) // 2]
    r_int = r - sorted(extra)[len(extra) // 2]
    n = len(texts)
    print(f"{n} dumps, median of {len(base)}")
    print(f"today's clean_text:               {n / b:7.1f} docs/s  1.00x time")
    print(f"research path (2 analyses + model): {n / r:5.1f} docs/s  {r / b:.2f}x time")
    print(
        f"integrated estimate (1 analysis + features + model): {n / r_int:5.1f} docs/s  "
        f"{r_int / b:.2f}x time"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
