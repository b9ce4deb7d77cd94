"""Learn the weights of the dump headline vote (`boilerplate/headline_vote.py`) from the
hand-labelled headlines of one half of the sites, and score them on the other half.

    .venv/bin/python bench/train_headlines.py [--shared ../shared] [--write]

Pages: `eval/headlines/dragnet-train.json` (page id -> headline), dumps read in place from
`<shared>/eval/dragnet-train/text` (never copied). Each dump is cleaned as `corpus ingest`
does (LineStats over every dump of the folder: no labels involved); the vote's candidates and
features are captured from that run. A candidate is right when its text, outlet suffix
stripped, is the label. The model is a conditional logit (softmax over one page's
candidates, L2-penalised, full-batch gradient descent from zero: deterministic).

Halves are by site (`eval_headlines.site_key` / `half_of`): weights are fitted on half A
and scored on half B (held out), and the other way round for a two-fold figure over all
labelled sites. `--write` stores the half-A weights in `headline_weights.json`; half B
stays held out for `bench/eval_headlines.py`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import eval_headlines as eh  # noqa: E402
from cleaner_features import default_eval  # noqa: E402

from crawler.extract.boilerplate import LineStats, headline, headline_vote  # noqa: E402

Arr = npt.NDArray[np.float64]
L2 = 0.003  # by the 4-fold by-site CV inside half A: 0.001-0.1 gave .773 .780 .758 .735 .682
STEPS = 1_500
RATE = 1.0


class Page:
    """One labelled page's candidates: positions, feature matrix, which are right."""

    def __init__(self, pid: str, site: str, rows: dict[int, dict[str, float]], texts: list[str],
                 label: str | None) -> None:  # fmt: skip
        self.pid, self.site, self.half = pid, site, eh.half_of(site)
        self.keys = sorted(rows)
        self.x: Arr = np.array(
            [[rows[k][n] for n in headline_vote.FEATURES] for k in self.keys], dtype=np.float64
        ).reshape(len(self.keys), len(headline_vote.FEATURES))
        self.titles = [headline.split_outlet(texts[k])[0] for k in self.keys]
        self.right = np.array([t == label for t in self.titles], dtype=bool)


def fit(pages: Sequence[Page]) -> Arr:
    """Weights maximising the log-probability of the right candidates, L2-penalised."""
    train = [p for p in pages if p.right.any()]
    w = np.zeros(len(headline_vote.FEATURES))
    for _ in range(STEPS):
        grad = L2 * w
        for p in train:
            s = p.x @ w
            e = np.exp(s - s.max())
            prob = e / e.sum()
            pos = prob * p.right
            grad -= (p.x.T @ (pos / pos.sum() - prob)) / len(train)
        w -= RATE * grad
    return w


def accuracy(pages: Sequence[Page], w: Arr) -> tuple[float, int]:
    """Share of pages whose best candidate is right (ties: the first line), and the pages
    with a right candidate at all."""
    hit = 0
    for p in pages:
        if len(p.keys) and p.right[int(np.argmax(p.x @ w))]:
            hit += 1
    return hit / max(1, len(pages)), sum(bool(p.right.any()) for p in pages)


INNER_FOLDS = 4


def site_cv(pages: Sequence[Page]) -> float:
    """Accuracy of weights fitted on the other folds, folds by site (sha256 of the site)."""
    fold = {p.pid: hashlib.sha256(p.site.encode()).digest()[1] % INNER_FOLDS for p in pages}
    hit = 0.0
    for f in range(INNER_FOLDS):
        test = [p for p in pages if fold[p.pid] == f]
        w = fit([p for p in pages if fold[p.pid] != f])
        hit += accuracy(test, w)[0] * len(test)
    return hit / max(1, len(pages))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--shared", type=Path, default=default_eval().parent, help="../shared")
    ap.add_argument("--write", action="store_true", help="store the half-A weights")
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    root = args.shared / "eval" / "dragnet-train"
    labels: dict[str, str | None] = json.loads(eh.LABELS.read_text("utf-8"))
    stats = LineStats()
    for path in sorted((root / "text").glob("*.txt")):
        stats.add(path.read_text("utf-8", "replace"))
    pages = []
    for pid, label in labels.items():
        site = eh.site_key((root / "html" / f"{pid}.html").read_text("utf-8", "replace"))
        rows, texts = eh.capture(
            (root / "text" / f"{pid}.txt").read_text("utf-8", "replace"), stats
        )
        pages.append(Page(pid, site, rows, texts, label))
    by_half = {h: [p for p in pages if p.half == h] for h in "AB"}
    print(f"{len(pages)} pages; half A {len(by_half['A'])}, half B {len(by_half['B'])}")
    inner = site_cv(by_half["A"])
    print(f"half A, {INNER_FOLDS}-fold by site inside A (for choosing features): {inner:.3f}")
    weights = {}
    for train, test in (("A", "B"), ("B", "A")):
        w = fit(by_half[train])
        weights[train] = w
        fitted, _ = accuracy(by_half[train], w)
        held, reach = accuracy(by_half[test], w)
        print(
            f"fitted on {train}: {fitted:.3f} on {train} (fitted), {held:.3f} on {test} "
            f"(held out; {reach}/{len(by_half[test])} pages have the headline among candidates)"
        )
    print("weights fitted on half A:")
    for name, value in zip(headline_vote.FEATURES, weights["A"], strict=True):
        print(f"  {name:14s} {value:+.3f}")
    if args.write:
        spec = {
            "note": "bench/train_headlines.py: fitted on half A of eval/headlines (sites); "
            "half B held out",
            "weights": {
                n: round(float(v), 4)
                for n, v in zip(headline_vote.FEATURES, weights["A"], strict=True)
            },
        }
        headline_vote.WEIGHTS_PATH.write_text(json.dumps(spec, indent=1) + "\n", "utf-8")
        print(f"-> {headline_vote.WEIGHTS_PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
