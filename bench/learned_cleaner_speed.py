"""Speed cost of the learned line model in the dump cleaner (issue 14, issue 15), as a ratio
in one process.

    .venv/bin/python bench/learned_cleaner_speed.py [MODEL_JSON] [--text-dir DIR] [--repeat 5]

On the same dumps (default eval/dev/text, LineStats over them first), alternating the two
paths in each round, median of --repeat rounds:

- rules: `clean_text(text, stats, learned=False)` (the cleaner without the model);
- learned: `clean_text(text, stats, learned=model)` (the rules' analysis, feature rows,
  prediction, decisions): MODEL_JSON, default the shipped
  crawler/extract/boilerplate/cleaner_model.json.

Prints docs per CPU-second of each (process time: the machine is shared) and the time
ratio learned / rules.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.extract.boilerplate import LineStats, clean_text  # noqa: E402
from crawler.extract.boilerplate.learned import MODEL_PATH, LineModel, model_from_spec  # noqa: E402


def load(path: Path) -> LineModel:
    """A model exported by bench/train_cleaner.py (--model-out)."""
    return model_from_spec(json.loads(path.read_text("utf-8")))


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("model", nargs="?", default=str(MODEL_PATH))
    ap.add_argument("--text-dir", default=str(ROOT / "eval" / "dev" / "text"))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    model = load(Path(args.model))
    texts = [p.read_text("utf-8") for p in sorted(Path(args.text_dir).glob("*.txt"))]
    stats = LineStats()
    for t in texts:
        stats.add(t)
    rules, learned = [], []
    for _ in range(max(1, args.repeat)):
        t0 = time.process_time()
        for t in texts:
            clean_text(t, stats, learned=False)
        rules.append(time.process_time() - t0)
        t0 = time.process_time()
        for t in texts:
            clean_text(t, stats, learned=model)
        learned.append(time.process_time() - t0)
    b, r = sorted(rules)[len(rules) // 2], sorted(learned)[len(learned) // 2]
    n = len(texts)
    print(f"{n} dumps from {args.text_dir}, median of {len(rules)} alternating rounds")
    print(f"rules only (learned=False):  {n / b:7.1f} docs/CPU-s  1.00x time")
    print(f"with the model ({model.kind}):    {n / r:7.1f} docs/CPU-s  {r / b:.2f}x time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
