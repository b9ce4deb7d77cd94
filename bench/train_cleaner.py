"""Learn the dump cleaner's line decisions from dragnet-train (+ eval/dev) and report
site-grouped cross-validated figures (issue 14). Deterministic; research only: nothing in
the product reads the model yet.

    .venv/bin/python bench/train_cleaner.py [EVAL_DIR] [--folds 5] [--cache DIR]
        [--model-out bench/learned_cleaner.json] [--json]

EVAL_DIR (default ../shared/eval) holds `dragnet-train/{text,html,gold.json}` and
`dev/{text,gold.json}`. Pages are grouped by site (bench/cleaner_features.py:
canonical / og:url / base / link host, merged across shared templates) and split into
folds by group; each fold is cleaned as one ingest (LineStats over that fold's pages only),
so line recurrence never crosses folds either. For every fold a model is fitted on the
other folds and scored on it with the project's metric (eval/score.py); dev is scored by
the model fitted on all of dragnet-train. The final model (all dragnet-train pages) is
written as plain weights/thresholds: `--model-out`.

The training data are AGPL-3.0 (Dragnet): the exported parameters are derived from them.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import pickle
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import cleaner_features as cf  # noqa: E402
import line_models as lm  # noqa: E402

from crawler.boilerplate.stats import LineStats  # noqa: E402

Arr = npt.NDArray[np.float64]


TITLE_COL = cf.feature_names().index("title_line")
TITLE_AS_TODAY = False
"""The line today's cleaner takes as the headline is left out of the labels and never
kept: the product stores it in `title` (dev's gold has no headline; dragnet's gold has it
on 62% of pages). `--title-policy label` learns it like any line instead."""


def scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("eval_score", ROOT / "eval" / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCORE = scorer()


def extract(
    texts: dict[str, str], golds: dict[str, str], ingests: Sequence[Sequence[str]]
) -> dict[str, dict[str, Any]]:
    """Feature rows and labels of every page; each ingest gets its own LineStats."""
    pages: dict[str, dict[str, Any]] = {}
    for ids in ingests:
        stats = LineStats()
        for i in ids:
            stats.add(texts[i])
        for i in ids:
            rows = cf.page_matrix(texts[i], stats)
            pages[i] = {
                "texts": rows.texts,
                "x": rows.x.astype(np.float32),
                "kept": rows.kept,
                "y": cf.line_labels(rows.texts, golds[i]),
            }
    return pages


def cached(path: Path, make: Callable[[], Any]) -> Any:
    if path.exists():
        return pickle.loads(path.read_bytes())
    value = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(value))
    return value


def page_f1(golds: dict[str, str], preds: dict[str, str]) -> dict[str, Any]:
    res: dict[str, Any] = SCORE.evaluate(golds, preds)
    return res


def band(words: int) -> str:
    return "<100" if words < 100 else "100-500" if words <= 500 else ">500"


def summarise(golds: dict[str, str], preds: dict[str, str]) -> dict[str, Any]:
    """P/R/F1 overall and per gold length band (words = metric tokens of the gold body)."""
    res = page_f1(golds, preds)
    out = {"n": len(golds), "P": res["precision"], "R": res["recall"], "F1": res["f1"]}
    bands: dict[str, dict[str, str]] = {}
    for i, g in golds.items():
        bands.setdefault(band(len(SCORE.TOKEN.findall(g))), {})[i] = g
    for b in ("<100", "100-500", ">500"):
        if b in bands:
            r = page_f1(bands[b], {i: preds.get(i, "") for i in bands[b]})
            out[b] = {"n": len(bands[b]), "F1": r["f1"]}
    out["zero"] = sum(1 for d in res["per_doc"].values() if d["f1"] == 0)
    return out


def stack(pages: dict[str, dict[str, Any]], ids: Sequence[str]) -> tuple[Arr, Arr, Arr]:
    """Rows, labels and weights of the labelled lines of `ids`. A line's weight is its
    share of its page's tokens (the metric weighs every page alike, and a page's tokens
    alike), scaled to a mean of 1."""
    xs, ys, ws = [], [], []
    for i in ids:
        y = pages[i]["y"]
        ok = ~np.isnan(y)
        if TITLE_AS_TODAY:  # the headline goes to the title column: not learned, not kept
            ok &= pages[i]["x"][:, TITLE_COL] == 0
        tok = np.array([len(cf.TOKEN.findall(t)) for t in pages[i]["texts"]], dtype=np.float64)[ok]
        xs.append(pages[i]["x"][ok])
        ys.append(y[ok])
        ws.append(tok / max(1.0, tok.sum()))
    w = np.concatenate(ws)
    return np.concatenate(xs).astype(np.float64), np.concatenate(ys), w * (len(w) / w.sum())


def predict_pages(
    model: lm.Model, pages: dict[str, dict[str, Any]], ids: Sequence[str], decode: str
) -> dict[str, str]:
    out = {}
    for i in ids:
        p = pages[i]
        if len(p["texts"]) == 0:
            out[i] = ""
            continue
        prob = model.predict(p["x"].astype(np.float64))
        keep = lm.decode(prob, p["kept"], decode)
        if TITLE_AS_TODAY:
            keep &= p["x"][:, TITLE_COL] == 0
        out[i] = "\n".join(t for t, k in zip(p["texts"], keep, strict=True) if k)
    return out


def digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:12]


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("eval_dir", nargs="?", default=str(cf.default_eval()))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument(
        "--cache", default="/tmp/train_cleaner_cache", help="feature cache (outside the repo)"
    )
    ap.add_argument("--model-out", default="")
    ap.add_argument("--export", default="gbdt", help="which model kind --model-out writes")
    ap.add_argument("--export-features", default="all+weighted")
    ap.add_argument("--models", default="logreg,gbdt")
    ap.add_argument("--decodes", default="threshold,hybrid")
    ap.add_argument(
        "--features",
        default="all+weighted",
        help="variants: all / no-today (without today's decision), +weighted",
    )
    ap.add_argument("--title-policy", default="label", choices=["today", "label"])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    global TITLE_AS_TODAY
    TITLE_AS_TODAY = args.title_policy == "today"
    ev = Path(args.eval_dir)
    cache = Path(args.cache)
    t0 = time.perf_counter()

    dn = ev / "dragnet-train"
    dn_gold = {i: g["text"] for i, g in json.loads((dn / "gold.json").read_text("utf-8")).items()}
    dn_ids = sorted(dn_gold)
    dn_texts = cf.read_texts(dn / "text", dn_ids)
    keys = {}
    sources: dict[str, int] = {}
    for i in dn_ids:
        k, src = cf.site_key((dn / "html" / f"{i}.html").read_text("utf-8", "replace"))
        keys[i] = k
        sources[src] = sources.get(src, 0) + 1
    groups = cf.site_groups(keys, dn_texts)
    fold = cf.assign_folds(groups, args.folds)
    folds = [[i for i in dn_ids if fold[i] == f] for f in range(args.folds)]
    split_id = digest(fold)
    report: dict[str, Any] = {
        "site_keys": {
            "sources": sources,
            "sites": len(set(keys.values())),
            "groups": len(set(groups.values())),
            "fold_sizes": [len(f) for f in folds],
            "split": split_id,
        },
    }
    dn_pages = cached(cache / f"dragnet-{split_id}.pkl", lambda: extract(dn_texts, dn_gold, folds))
    dev = ev / "dev"
    dev_gold = {i: g["text"] for i, g in json.loads((dev / "gold.json").read_text("utf-8")).items()}
    dev_ids = sorted(dev_gold)
    dev_texts = cf.read_texts(dev / "text", dev_ids)
    dev_pages = cached(cache / "dev.pkl", lambda: extract(dev_texts, dev_gold, [dev_ids]))
    report["extract_s"] = round(time.perf_counter() - t0, 1)

    def oracle(pages: dict[str, dict[str, Any]], ids: Sequence[str]) -> dict[str, str]:
        return {
            i: "\n".join(t for t, y in zip(pages[i]["texts"], pages[i]["y"], strict=True) if y == 1)
            for i in ids
        }

    def today(pages: dict[str, dict[str, Any]], ids: Sequence[str]) -> dict[str, str]:
        return {
            i: "\n".join(t for t, k in zip(pages[i]["texts"], pages[i]["kept"], strict=True) if k)
            for i in ids
        }

    results: dict[str, Any] = {}
    results["oracle(labels)"] = {
        "dragnet": summarise(dn_gold, oracle(dn_pages, dn_ids)),
        "dev": summarise(dev_gold, oracle(dev_pages, dev_ids)),
    }
    results["today"] = {
        "dragnet": summarise(dn_gold, today(dn_pages, dn_ids)),
        "dev": summarise(dev_gold, today(dev_pages, dev_ids)),
    }
    names = cf.feature_names()
    for kind in args.models.split(","):
        if kind == "today":
            continue
        for feats in args.features.split(","):
            cols = lm.columns(names, drop_today="no-today" in feats)
            weighted = "weighted" in feats
            cv_preds: dict[str, dict[str, str]] = {d: {} for d in args.decodes.split(",")}
            for f in range(args.folds):
                train = [i for i in dn_ids if fold[i] != f]
                x, y, w = stack(dn_pages, train)
                model = lm.fit(kind, x[:, cols], y, cols, w if weighted else None)
                for d in cv_preds:
                    cv_preds[d].update(predict_pages(model, dn_pages, folds[f], d))
            x, y, w = stack(dn_pages, dn_ids)
            final = lm.fit(kind, x[:, cols], y, cols, w if weighted else None)
            for d, preds in cv_preds.items():
                name = f"{kind}/{feats}/{d}"
                results[name] = {
                    "dragnet": summarise(dn_gold, preds),
                    "dev": summarise(dev_gold, predict_pages(final, dev_pages, dev_ids, d)),
                }
                print(
                    name,
                    json.dumps({k: round(v["F1"], 3) for k, v in results[name].items()}),
                    flush=True,
                )
            if args.model_out and kind == args.export and feats == args.export_features:
                Path(args.model_out).write_text(
                    json.dumps(final.export(names), indent=1) + "\n", "utf-8"
                )
    report["results"] = results
    report["seconds"] = round(time.perf_counter() - t0, 1)
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(json.dumps(report["site_keys"]))
    for name, r in results.items():
        cells = []
        for s in ("dragnet", "dev"):
            v = r[s]
            bands = " ".join(f"{b} {v[b]['F1']:.3f}" for b in ("<100", "100-500", ">500") if b in v)
            cells.append(
                f"{s} P {v['P']:.3f} R {v['R']:.3f} F1 {v['F1']:.3f} [{bands}] zero {v['zero']}"
            )
        print(f"{name:28s} " + " | ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
