"""Learn when the HTML path takes readability-lxml's article instead of trafilatura's (with
the project's cleaning), with site-grouped cross-validated figures per set (issue 14).

    make train-html-combine    # = the command below, writing the shipped parameters
    .venv/bin/python bench/train_html_combine.py [EVAL_DIR] [--folds 5] [--cache DIR]
        [--model-out crawler/extract/combine_model.json]

EVAL_DIR (default ../shared/eval) holds `dragnet-train/{text,html,gold.json}` (AGPL-3.0) and
`dev/{html,gold.json}` (MIT). Both engines' lines of every page come from the product
(`crawler.extract.html.engine_lines`, cached as JSON under --cache, outside the repository);
`crawler.extract.html_combine.page_row` gives the page's figures. The label of a page is which
engine's article scores the higher F1 against the gold body (eval/score.py), weighted by the
difference; the model is small gradient-boosted trees (`--kind logreg`: the regression
shipped before). `--buckets` prints where the chosen article still loses, per page bucket.
Pages are grouped by site as `bench/train_cleaner.py` does (canonical / og:url /
base / link host, merged across shared templates); dev pages join the fold of their site when
dragnet-train has it. For each fold a logistic regression is fitted on the other folds of both
sets and chooses on the held-out pages: every "combined (CV)" figure is on pages the model was
not fitted to. `--model-out` writes the model fitted on all pages, with its CV figures; the
parameters are derived from Dragnet's training split (AGPL-3.0) and eval/dev (MIT).
Deterministic.
"""

from __future__ import annotations

import argparse
import json
import logging
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
import scoring  # noqa: E402
import train_cleaner as tc  # noqa: E402

from crawler.extract import html_combine as hc  # noqa: E402
from crawler.extract.html import engine_lines  # noqa: E402
from crawler.extract.normalize import detect_language  # noqa: E402

THRESHOLD = 0.5  # readability's article when the model says it is the better more likely than not
KIND = "gbdt"
"""Trees beat the logistic regression under site-grouped CV (dragnet-train 0.921 vs 0.917,
dev 0.981 vs 0.980; three tree settings all gave 0.920-0.921): docs/html-extraction.md."""
N_TREES, DEPTH, LEARNING_RATE = 60, 3, 0.1  # every row for every tree (subsample 1.0)


def engines(folder: Path, ids: list[str], cache: Path) -> dict[str, tuple[list[str], list[str]]]:
    """Page id -> (trafilatura's lines, readability's lines), computed once and cached."""
    path = cache / f"{folder.name}-engines.json"
    if path.exists():
        return {i: (a, b) for i, (a, b) in json.loads(path.read_text("utf-8")).items()}
    logging.disable(logging.WARNING)
    out = {}
    for i in ids:
        html = (folder / "html" / f"{i}.html").read_text("utf-8", "replace")
        out[i] = engine_lines(html)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out), "utf-8")
    return out


def fit(rows: Any, gain: Any, kind: str = KIND) -> lm.Model:
    """Readability's page F1 minus trafilatura's -> label (readability better) and weight
    (by how much: a page where both are equal teaches nothing)."""
    y = (gain > 0).astype(np.float64)
    w = np.abs(gain) + 1e-3
    w = w * (len(w) / w.sum())
    cols = list(range(rows.shape[1]))
    if kind == "gbdt":
        return lm.fit_gbdt(rows, y, cols, w, N_TREES, DEPTH, LEARNING_RATE, subsample=1.0)
    return lm.fit_logreg(rows, y, cols, w)


def export(model: lm.Model) -> dict[str, Any]:
    spec = model.export(list(hc.FEATURES))
    if isinstance(model, lm.Trees):
        # split values exactly: they are quantiles of the figures, i.e. figures of real pages,
        # and a value rounded below a page's figure would send that page down the other branch
        for tree, (_, thr, _) in zip(spec["trees"], model.trees, strict=True):
            tree["threshold"] = [float(t) for t in thr]
    return spec


def buckets(gold: dict[str, str], chosen: dict[str, str], fa: Any, fb: Any, fc: Any) -> None:
    """Where the chosen article loses, per page bucket: what the bucket's pages cost the
    averaged P and R (sum over them of 1 - P and 1 - R, divided by all pages). Buckets, first
    that applies: empty; wrong engine (the other engine's page F1 higher by > 0.05); both
    engines and the choice under 0.9 recall; both and the choice under 0.9 precision; the
    choice under 0.9 recall; under 0.9 precision; ok."""
    out: dict[str, list[str]] = {}
    for i in gold:
        c, a, b = fc[i], fa[i], fb[i]
        p, r = c["precision"] or 1.0, c["recall"] or 0.0
        if not chosen[i]:
            name = "empty"
        elif max(a["f1"], b["f1"]) - c["f1"] > 0.05:
            name = "wrong engine"
        elif (a["recall"] or 0) < 0.9 and (b["recall"] or 0) < 0.9 and r < 0.9:
            name = "both miss text (R)"
        elif (a["precision"] or 1) < 0.9 and (b["precision"] or 1) < 0.9 and p < 0.9:
            name = "both keep chrome (P)"
        elif r < 0.9:
            name = "chosen misses text"
        elif p < 0.9:
            name = "chosen keeps chrome"
        else:
            name = "ok (P, R >= 0.9)"
        out.setdefault(name, []).append(i)
    n = len(gold)
    print(f"    {'bucket':22s} pages  1-P cost  1-R cost  <100 words")
    for name, members in sorted(out.items(), key=lambda kv: -len(kv[1])):
        pl = sum(1 - (fc[i]["precision"] or 1) for i in members) / n
        rl = sum(1 - (fc[i]["recall"] or 0) for i in members) / n
        short = sum(len(cf.TOKEN.findall(gold[i])) < 100 for i in members)
        print(f"    {name:22s} {len(members):5d}  {pl:.4f}    {rl:.4f}    {short}")


def report(name: str, gold: dict[str, str], preds: dict[str, str]) -> dict[str, Any]:
    v = scoring.summarise(gold, preds)
    bands = " ".join(f"{b} {v[b]['F1']:.3f} ({v[b]['n']})" for b in ("<100", "100-500", ">500"))
    print(f"  {name:22s} P {v['P']:.3f} R {v['R']:.3f} F1 {v['F1']:.3f} [{bands}] zero {v['zero']}")
    return v


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("eval_dir", nargs="?", default=str(cf.default_eval()))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--cache", default="/tmp/html_combine_cache")
    ap.add_argument("--model-out", default=None)
    ap.add_argument("--kind", choices=("gbdt", "logreg"), default=KIND)
    ap.add_argument("--buckets", action="store_true", help="print the loss per page bucket")
    args = ap.parse_args()
    ev, cache = Path(args.eval_dir), Path(args.cache)
    t0 = time.perf_counter()

    dn, dev = ev / "dragnet-train", ev / "dev"
    golds = {
        s: {i: g["text"] for i, g in json.loads((d / "gold.json").read_text("utf-8")).items()}
        for s, d in (("dragnet-train", dn), ("dev", dev))
    }
    ids = {s: sorted(g) for s, g in golds.items()}
    keys = {
        i: cf.site_key((dn / "html" / f"{i}.html").read_text("utf-8", "replace"))[0]
        for i in ids["dragnet-train"]
    }
    groups = cf.site_groups(keys, cf.read_texts(dn / "text", ids["dragnet-train"]))
    fold = cf.assign_folds(groups, args.folds)
    dev_keys = {
        i: cf.site_key((dev / "html" / f"{i}.html").read_text("utf-8", "replace"))[0]
        for i in ids["dev"]
    }
    fold.update(tc.dev_folds(dev_keys, keys, fold, args.folds))

    lines = {s: engines(d, ids[s], cache) for s, d in (("dragnet-train", dn), ("dev", dev))}
    every = [(s, i) for s in golds for i in ids[s]]  # page ids are unique across the sets
    a_text = {i: "\n".join(lines[s][i][0]) for s, i in every}
    b_text = {i: "\n".join(lines[s][i][1]) for s, i in every}
    gain = {}
    for s in golds:
        fa = scoring.page_f1(golds[s], {i: a_text[i] for i in ids[s]})["per_doc"]
        fb = scoring.page_f1(golds[s], {i: b_text[i] for i in ids[s]})["per_doc"]
        gain.update({i: fb[i]["f1"] - fa[i]["f1"] for i in ids[s]})
    order = [i for _, i in every]
    rows = np.stack([hc.page_row(*lines[s][i]) for s, i in every])
    g_arr = np.array([gain[i] for i in order])
    f_arr = np.array([fold[i] for i in order])
    print(f"pages ready in {time.perf_counter() - t0:.0f}s; {len(set(groups.values()))} groups")

    prob: dict[str, float] = {}
    for f in range(args.folds):
        model = fit(rows[f_arr != f], g_arr[f_arr != f], args.kind)
        held = [i for i, k in zip(order, f_arr, strict=True) if k == f]
        prob.update(zip(held, model.predict(rows[f_arr == f]).tolist(), strict=True))
    # as the product decides: readability only for a short trafilatura article, when the model
    # prefers it (`crawler.extract.html_combine.wants_second` / `prefer_second`)
    short = {i: hc.wants_second(lines[s][i][0]) for s, i in every}
    cv = {
        i: b_text[i] if short[i] and b_text[i] and prob[i] > THRESHOLD else a_text[i] for i in order
    }
    ungated = {i: b_text[i] if b_text[i] and prob[i] > THRESHOLD else a_text[i] for i in order}

    figures: dict[str, Any] = {}
    for s in golds:
        print(f"{s} ({len(ids[s])} pages), {args.folds}-fold site-grouped CV:")
        g = golds[s]
        figures[s] = {
            "trafilatura+cleaning": report("trafilatura+cleaning", g, {i: a_text[i] for i in g}),
            "readability-lxml": report("readability-lxml", g, {i: b_text[i] for i in g}),
            "combined (CV)": report("combined (CV)", g, {i: cv[i] for i in g}),
            "combined, every page (CV)": report(
                "combined, every page (CV)", g, {i: ungated[i] for i in g}
            ),
        }
        print(
            f"  readability run on {sum(short[i] for i in g)} pages (trafilatura's article under "
            f"{hc.SECOND_BELOW_TOKENS} tokens), chosen on {sum(cv[i] != a_text[i] for i in g)}"
        )
        if args.buckets:
            fa = scoring.page_f1(g, {i: a_text[i] for i in g})["per_doc"]
            fb = scoring.page_f1(g, {i: b_text[i] for i in g})["per_doc"]
            fc = scoring.page_f1(g, {i: cv[i] for i in g})["per_doc"]
            print("  combined (CV), loss per page bucket:")
            buckets(g, {i: cv[i] for i in g}, fa, fb, fc)
    print("dev per language (combined, CV | trafilatura+cleaning):")
    by_lang: dict[str, list[str]] = {}
    for i in ids["dev"]:
        by_lang.setdefault(detect_language(golds["dev"][i], None) or "?", []).append(i)
    for lang, members in sorted(by_lang.items()):
        g = {i: golds["dev"][i] for i in members}
        comb = scoring.page_f1(g, {i: cv[i] for i in members})["f1"]
        alone = scoring.page_f1(g, {i: a_text[i] for i in members})["f1"]
        print(f"  {lang:4s} {len(members):3d} pages  {comb:.3f} | {alone:.3f}")

    if args.model_out:
        spec = {
            "about": "HTML engine choice (crawler/extract/html_combine.py), trained by "
            "bench/train_html_combine.py on Dragnet's training split (AGPL-3.0) and eval/dev "
            "(MIT); the parameters are derived from those pages.",
            **export(fit(rows, g_arr, args.kind)),
            "threshold": THRESHOLD,
            "cv_f1": {s: round(v["combined (CV)"]["F1"], 4) for s, v in figures.items()},
        }
        Path(args.model_out).write_text(json.dumps(spec, indent=1) + "\n", "utf-8")
        print(f"wrote {args.model_out}")
    print(f"done in {time.perf_counter() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
