"""Research (issue 14): would dropping lines of the HTML path's chosen article that small
trees over line figures (`bench/html_refine.py`) take for chrome help? Measured under
site-grouped CV, it did not (docs/html-extraction.md): nothing of it ships.

    .venv/bin/python bench/train_html_refine.py [EVAL_DIR] [--folds 5] [--cache DIR]
        [--threshold 0.5]

EVAL_DIR (default ../shared/eval) holds `dragnet-train/{text,html,gold.json}` (AGPL-3.0) and
`dev/{html,gold.json}` (MIT). Both engines' lines come from the product
(`crawler.extract.html.engine_lines`, cached by `bench/train_html_combine.py` under --cache).
Pages are grouped by site and folded as `bench/train_html_combine.py` does. For each fold, the
engine choice (`html_combine`) is fitted on the other folds and applied to every page, as the
product decides (readability only for a short trafilatura article); the refinement trees are
then fitted on the other folds' chosen lines (label: `cleaner_features.line_labels` against
the gold body; weight: the line's share of its page's tokens, as the metric weighs it) and
drop lines of the held-out pages: every "refined (CV)" figure is on pages neither model was
fitted to. Deterministic.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import cleaner_features as cf  # noqa: E402
import html_refine as hr  # noqa: E402
import line_models as lm  # noqa: E402
import scoring  # noqa: E402
import train_cleaner as tc  # noqa: E402
import train_html_combine as thc  # noqa: E402

from crawler.extract import html_combine as hc  # noqa: E402

N_TREES, DEPTH, LEARNING_RATE, SUBSAMPLE = 80, 3, 0.2, 0.5
THRESHOLD = 0.5


def load_sets(
    ev: Path, folds: int
) -> tuple[dict[str, dict[str, str]], dict[str, int], dict[str, str]]:
    """Gold bodies per set, the fold of every page (site-grouped, as the combiner's) and the
    site group of every dragnet-train page."""
    dn, dev = ev / "dragnet-train", ev / "dev"
    golds = {
        s: {i: g["text"] for i, g in json.loads((d / "gold.json").read_text("utf-8")).items()}
        for s, d in (("dragnet-train", dn), ("dev", dev))
    }
    keys = {
        i: cf.site_key((dn / "html" / f"{i}.html").read_text("utf-8", "replace"))[0]
        for i in sorted(golds["dragnet-train"])
    }
    groups = cf.site_groups(keys, cf.read_texts(dn / "text", sorted(golds["dragnet-train"])))
    fold = cf.assign_folds(groups, folds)
    dev_keys = {
        i: cf.site_key((dev / "html" / f"{i}.html").read_text("utf-8", "replace"))[0]
        for i in sorted(golds["dev"])
    }
    fold.update(tc.dev_folds(dev_keys, keys, fold, folds))
    return golds, fold, groups


def _views(
    a: list[str], b: list[str], prefer: bool, kept_b: set[str]
) -> tuple[list[str], list[str] | None, bool, set[str] | None]:
    """(chosen lines, other engine's lines or None, chose readability, cleaner-kept or None) as
    the product sees them: readability runs only for a short trafilatura article."""
    if not hc.wants_second(a):
        return a, None, False, None
    if prefer and b:
        return b, a, True, kept_b
    return a, b, False, None


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("eval_dir", nargs="?", default=str(cf.default_eval()))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--cache", default="/tmp/html_combine_cache")
    ap.add_argument("--threshold", type=float, default=THRESHOLD)
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    ev, cache = Path(args.eval_dir), Path(args.cache)
    t0 = time.perf_counter()
    golds, fold, _ = load_sets(ev, args.folds)
    ids = {s: sorted(g) for s, g in golds.items()}
    lines = {s: thc.engines(ev / s, ids[s], cache) for s in golds}
    every = [(s, i) for s in golds for i in ids[s]]
    order = [i for _, i in every]
    gold = {i: golds[s][i] for s, i in every}
    a = {i: lines[s][i][0] for s, i in every}
    b = {i: lines[s][i][1] for s, i in every}
    kept_b = {i: hc.cleaner_kept(b[i]) if hc.wants_second(a[i]) else set() for i in order}
    crow = np.stack([hc.page_row(a[i], b[i]) for i in order])

    def per_doc(preds: dict[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for s in golds:
            out.update(scoring.page_f1(golds[s], {i: preds[i] for i in ids[s]})["per_doc"])
        return out

    fa = per_doc({i: "\n".join(a[i]) for i in order})
    fb = per_doc({i: "\n".join(b[i]) for i in order})
    gain = np.array([fb[i]["f1"] - fa[i]["f1"] for i in order])
    f_arr = np.array([fold[i] for i in order])
    print(f"pages ready in {time.perf_counter() - t0:.0f}s")

    def refine_data(
        members: list[str], prefer: dict[str, bool]
    ) -> tuple[list[np.ndarray[Any, Any]], list[list[str]]]:
        xs, texts = [], []
        for i in members:
            chosen, other, second, kept = _views(a[i], b[i], prefer[i], kept_b[i])
            xs.append(hr.line_rows(chosen, other, second, kept))
            texts.append(chosen)
        return xs, texts

    def fit_refine(members: list[str], prefer: dict[str, bool]) -> lm.Trees:
        xs, texts = refine_data(members, prefer)
        ys, ws = [], []
        for i, t in zip(members, texts, strict=True):
            ys.append(cf.line_labels(t, gold[i]))
            n = np.array([len(cf.TOKEN.findall(x)) for x in t], dtype=np.float64)
            ws.append(n / (n.sum() or 1.0))
        x, y, w = np.vstack(xs), np.concatenate(ys), np.concatenate(ws)
        ok = ~np.isnan(y)
        w = w[ok] * (ok.sum() / w[ok].sum())
        return lm.fit_gbdt(
            x[ok],
            y[ok],
            list(range(x.shape[1])),
            w,
            N_TREES,
            DEPTH,
            LEARNING_RATE,
            subsample=SUBSAMPLE,
        )

    chosen_cv: dict[str, list[str]] = {}
    prob_cv: dict[str, np.ndarray[Any, Any]] = {}
    for f in range(args.folds):
        choice = thc.fit(crow[f_arr != f], gain[f_arr != f])
        pr = choice.predict(crow)
        prefer = {i: bool(p > thc.THRESHOLD) for i, p in zip(order, pr, strict=True)}
        train = [i for i, k in zip(order, f_arr, strict=True) if k != f]
        held = [i for i, k in zip(order, f_arr, strict=True) if k == f]
        model = fit_refine(train, prefer)
        xs, texts = refine_data(held, prefer)
        for i, x, t in zip(held, xs, texts, strict=True):
            chosen_cv[i] = t
            prob_cv[i] = model.predict(x) if len(t) else np.zeros(0)
        print(f"  fold {f} done ({time.perf_counter() - t0:.0f}s)", flush=True)

    def refined(threshold: float) -> dict[str, str]:
        return {
            i: "\n".join(
                x
                for x, k in zip(chosen_cv[i], hr.keep_mask(prob_cv[i], threshold), strict=True)
                if k
            )
            if chosen_cv[i]
            else ""
            for i in order
        }

    figures: dict[str, Any] = {}
    chosen_text = {i: "\n".join(chosen_cv[i]) for i in order}
    for s in golds:
        g = golds[s]
        print(f"{s} ({len(g)} pages), {args.folds}-fold site-grouped CV:")
        figures[s] = {
            "trafilatura+cleaning": thc.report(
                "trafilatura+cleaning", g, {i: "\n".join(a[i]) for i in g}
            ),
            "readability-lxml": thc.report("readability-lxml", g, {i: "\n".join(b[i]) for i in g}),
            "chosen (CV)": thc.report("chosen (CV)", g, {i: chosen_text[i] for i in g}),
        }
        for cut in (0.3, 0.4, 0.5, 0.6):
            r = refined(cut)
            mark = "*" if cut == args.threshold else " "
            v = thc.report(f"refined t={cut}{mark} (CV)", g, {i: r[i] for i in g})
            if cut == args.threshold:
                figures[s]["refined (CV)"] = v
    kept = refined(args.threshold)
    dropped = Counter(s for s, i in every if kept[i] != chosen_text[i])
    print(f"pages with lines dropped: {dict(dropped)}")

    print(f"done in {time.perf_counter() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
