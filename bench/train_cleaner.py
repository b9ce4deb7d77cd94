"""Learn the dump cleaner's line decisions from dragnet-train and eval/dev and report
site-grouped cross-validated figures per set (issue 14). Deterministic.

    make train-cleaner        # = the command below, writing the shipped parameters
    .venv/bin/python bench/train_cleaner.py [EVAL_DIR] [--folds 5] [--cache DIR]
        [--models logreg,gbdt] [--features all,no-today] [--decodes threshold,hybrid]
        [--model-out crawler/extract/boilerplate/cleaner_model.json --export KIND/FEATURES/DECODE]

EVAL_DIR (default ../shared/eval) holds `dragnet-train/{text,html,gold.json}` and
`dev/{text,html,gold.json}`. dragnet-train pages are grouped by site (cleaner_features.py:
canonical / og:url / base / link host, merged across shared templates) and split into
folds by group; each fold is cleaned as one ingest (LineStats over that fold's pages
only). Dev pages join the fold of their site when dragnet-train has it, else their own
site groups are spread over the folds; dev is cleaned as one ingest, as `make eval` does
(recurrence needs no labels). For every fold a model is fitted on the other folds of both
sets and scores the held-out pages of both with the project's metric (eval/score.py):
every figure printed for a model is on pages it was not fitted to. `--model-out` writes
the model of `--export`, fitted on all pages, with its CV figures.

The training data are Dragnet's (AGPL-3.0) and eval/dev (MIT): the exported parameters
are derived from them. Features are cached under --cache (outside the repository).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import cleaner_features as cf  # noqa: E402
import line_models as lm  # noqa: E402
import syndicated_ingests as si  # noqa: E402
from scoring import page_f1, summarise  # noqa: E402

from crawler.extract.boilerplate import learned  # noqa: E402
from crawler.extract.boilerplate.stats import LineStats  # noqa: E402
from crawler.extract.normalize import detect_language  # noqa: E402

Arr = npt.NDArray[np.float64]


TITLE_COL = cf.feature_names().index("title_line")
SYNTH_VERSION = "framed24-duplicate8-bare8-v1"  # in the synthetic cache's file name
HELD_COLS = [cf.feature_names().index(f"reason={r}") for r in ("byline", "dateline")]


def token_words(text: str) -> float:
    return float(len(cf.TOKEN.findall(text)))


WORDS: Callable[[str], float] = learned.text_words
"""How `shortN` counts a page's kept words (`--word-count tokens`: the metric's `\\w+`)."""
TITLE_AS_TODAY = False
"""The line today's cleaner takes as the headline is left out of the labels and never
kept: the product stores it in `title` (dev's gold has no headline; dragnet's gold has it
on 62% of pages). `--title-policy label` learns it like any line instead."""


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


def extract_synthetic(
    texts: dict[str, str],
    golds: dict[str, str],
    folds: Sequence[Sequence[str]],
    groups: dict[str, str],
) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """Rows and labels of the synthetic pages of every fold (`syndicated_ingests.py`: one
    story recurring across the pages of an ingest), and each page's fold. A synthetic
    ingest's line counts are its fold's real pages plus its own pages; identical copies
    are featurised once."""
    pages: dict[str, dict[str, Any]] = {}
    fold_of: dict[str, int] = {}
    for f, ids in enumerate(folds):
        base = LineStats()
        for i in ids:
            base.add(texts[i])
        ingests = si.fold_pages(ids, texts, golds, groups, cf.line_labels, seed=f)
        for n, ingest in enumerate(ingests):
            stats = si.ingest_stats(base, ingest)
            seen: set[str] = set()
            for c, page in enumerate(ingest):
                if page.text in seen:
                    continue
                seen.add(page.text)
                rows = cf.page_matrix(page.text, stats)
                key = f"synth{f}-{n:02d}-{c}-{page.kind}"
                pages[key] = {
                    "texts": rows.texts,
                    "x": rows.x.astype(np.float32),
                    "kept": rows.kept,
                    "y": cf.line_labels(rows.texts, page.gold),
                    "gold": page.gold,
                }
                fold_of[key] = f
    return pages, fold_of


def cached(path: Path, make: Callable[[], Any]) -> Any:
    if path.exists():
        return pickle.loads(path.read_bytes())
    value = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(value))
    return value


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


def page_decode(prob: Arr, page: dict[str, Any], decode: str) -> npt.NDArray[np.bool_]:
    """`line_models.decode`, plus `shortN` / `shortNh`: the model's threshold decision on a
    page where the rules keep fewer than N words (`WORDS`), elsewhere the rules'
    decision (`shortN`) or the hybrid one (`shortNh`). `@LO:HI` sets the hybrid band
    (default 0.1,0.9: the rules' decision unless p < LO or p > HI). A `+held` suffix never
    keeps the lines the rules take as bylines or datelines (they go to the metadata)."""
    if decode == "rules":
        return np.array(page["kept"], dtype=bool)
    if decode.endswith("+held"):
        keep = page_decode(prob, page, decode.removesuffix("+held"))
        held: npt.NDArray[np.bool_] = page["x"][:, HELD_COLS].sum(axis=1) > 0
        return keep & ~held
    lo, hi = 0.1, 0.9
    if "@" in decode:
        decode, band = decode.split("@")
        lo, hi = (float(v) for v in band.split(":"))
    rules: npt.NDArray[np.bool_] = page["kept"]
    hybrid: npt.NDArray[np.bool_] = (rules & (prob > lo)) | (prob > hi)
    if decode == "hybrid":
        return hybrid
    if not decode.startswith("short"):
        return lm.decode(prob, rules, decode)
    limit = int(decode.removeprefix("short").removesuffix("h"))
    words = sum(WORDS(t) for t, k in zip(page["texts"], rules, strict=True) if k)
    if words < limit:
        out: npt.NDArray[np.bool_] = prob > 0.5
        return out
    return hybrid if decode.endswith("h") else rules.copy()


def predict_pages(
    probs: dict[str, Arr], pages: dict[str, dict[str, Any]], ids: Sequence[str], decode: str
) -> dict[str, str]:
    """Each page's kept text under `decode`, from its lines' probabilities `probs[i]`."""
    out = {}
    for i in ids:
        p = pages[i]
        if len(p["texts"]) == 0:
            out[i] = ""
            continue
        keep = page_decode(probs[i], p, decode)
        if TITLE_AS_TODAY:
            keep &= p["x"][:, TITLE_COL] == 0
        out[i] = "\n".join(t for t, k in zip(p["texts"], keep, strict=True) if k)
    return out


def agg_f1(per_doc: dict[str, dict[str, Any]], ids: Sequence[str]) -> float:
    """eval/score.py's F1 of the pages `ids` from its per-page precision and recall."""
    ps = [per_doc[i]["precision"] for i in ids if per_doc[i]["precision"] is not None]
    rs = [per_doc[i]["recall"] for i in ids if per_doc[i]["recall"] is not None]
    p = sum(ps) / len(ps) if ps else 0.0
    r = sum(rs) / len(rs) if rs else 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


def select_decode(
    per_doc: dict[str, dict[str, dict[str, Any]]],
    rules: dict[str, dict[str, Any]],
    dn_ids: Sequence[str],
    dev_ids: Sequence[str],
) -> str:
    """The candidate decoding with the best F1 over `dn_ids` + `dev_ids` among those whose
    F1 on `dev_ids` is not below the rules' there (`per_doc[decode]`: eval/score.py's
    per-page scores); "rules" when none is."""
    floor = agg_f1(rules, dev_ids)
    both = list(dn_ids) + list(dev_ids)
    best, best_f1 = "rules", agg_f1(rules, both)
    for d, docs in per_doc.items():
        f1 = agg_f1(docs, both)
        if agg_f1(docs, dev_ids) >= floor and f1 > best_f1:
            best, best_f1 = d, f1
    return best


def digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:12]


def dev_folds(
    dev_keys: dict[str, str], dn_keys: dict[str, str], dn_fold: dict[str, int], k: int
) -> dict[str, int]:
    """Dev page -> fold: a dev page of a site dragnet-train also has goes to that site's
    fold; the other dev pages are grouped by site and spread over the folds."""
    fold_of_key = {dn_keys[i]: f for i, f in dn_fold.items() if dn_keys[i]}
    out = {i: fold_of_key[key] for i, key in dev_keys.items() if key in fold_of_key}
    rest = {i: (key or i) for i, key in dev_keys.items() if i not in out}
    out.update(cf.assign_folds(rest, k))
    return out


def fit_on(
    kind: str,
    sets: Sequence[tuple[dict[str, dict[str, Any]], Sequence[str], float]],
    cols: list[int],
    params: dict[str, float] | None = None,
) -> lm.Model:
    """Fit on the labelled lines of several sets: (pages, ids, weight of each page)."""
    xs, ys, ws = [], [], []
    for pages, ids, weight in sets:
        if not ids:
            continue
        x, y, w = stack(pages, ids)
        xs.append(x)
        ys.append(y)
        ws.append(w * weight)
    x, y, w = np.concatenate(xs)[:, cols], np.concatenate(ys), np.concatenate(ws)
    return lm.fit(kind, x, y, cols, w, params)


def with_stack(
    pages: dict[str, dict[str, Any]], ids: Sequence[str], first: Callable[[str], lm.Model]
) -> dict[str, dict[str, Any]]:
    """The pages `ids` with the first stage's probabilities in context appended to their
    rows (`learned.stack_rows`); `first(i)` is the first-stage model that scores page i."""
    out = {}
    for i in ids:
        p = pages[i]
        x = p["x"].astype(np.float64)
        extra = learned.stack_rows(x, first(i).predict(x)) if len(x) else np.zeros((0, N_STACK))
        out[i] = {**p, "x": np.concatenate([x, extra], axis=1).astype(np.float32)}
    return out


N_STACK = len(learned.stack_names())


def export(
    model: lm.Model,
    decode: str,
    args: argparse.Namespace,
    cv: dict[str, Any],
    first: lm.Model | None = None,
) -> dict[str, Any]:
    """The parameters file the product reads (crawler/extract/boilerplate/learned.py)."""
    spec = model.export(cf.feature_names() + (learned.stack_names() if first else []))
    if first is not None:
        spec["first"] = first.export(cf.feature_names())
    name = decode
    if decode.endswith("+held"):
        spec["held"] = ["title", "byline", "dateline"]
        decode = decode.removesuffix("+held")
    p_band = [0.1, 0.9]
    if "@" in decode:
        decode, lohi = decode.split("@")
        p_band = [float(v) for v in lohi.split(":")]
    spec["threshold"] = 0.5
    if decode == "hybrid" or (decode.startswith("short") and decode.endswith("h")):
        spec["decode"], spec["band"] = "hybrid", p_band
    if decode.startswith("short"):
        spec["decode"] = "short"
        spec["short_words"] = int(decode.removeprefix("short").removesuffix("h"))
    spec["trained_on"] = (
        "dragnet-train (Dragnet's training split, AGPL-3.0) and eval/dev (MIT), fitted by "
        f"bench/train_cleaner.py (model {type(model).__name__} {args.params}, first stage "
        f"{args.stack or 'none'}, "
        f"decode {name}, dev weight {args.dev_weight}, title policy {args.title_policy})"
    )
    spec["cv_f1"] = {s: round(v["F1"], 4) for s, v in cv.items()}
    spec["cv_f1_under_100_words"] = {s: round(v["<100"]["F1"], 4) for s, v in cv.items()}
    return spec


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("eval_dir", nargs="?", default=str(cf.default_eval()))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument(
        "--cache", default="/tmp/train_cleaner_cache", help="feature cache (outside the repo)"
    )
    ap.add_argument("--model-out", default="", help="write the model fitted on all pages")
    ap.add_argument(
        "--export", default="gbdt/all/hybrid@0.1:0.95+held", help="KIND/FEATURES/DECODE"
    )
    ap.add_argument("--models", default="gbdt")
    ap.add_argument("--decodes", default="hybrid@0.1:0.95+held")
    ap.add_argument(
        "--features", default="all", help="variants: all / no-today (without today's decision)"
    )
    ap.add_argument("--title-policy", default="today", choices=["today", "label"])
    ap.add_argument("--train-on", default="both", choices=["both", "dragnet"])
    ap.add_argument("--dev-weight", type=float, default=1.0, help="weight of a dev page")
    ap.add_argument(
        "--synthetic",
        type=float,
        default=0.5,
        help="weight of a synthetic page (syndicated_ingests.py: a story recurring across "
        "an ingest's pages; 0: none)",
    )
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--select",
        default="",
        help="candidate decodings: for each fold, the one chosen on the other folds' pages "
        "(best union F1 with dev F1 not below the rules') decodes it (row KIND/FEATURES/selected); "
        "the export's `selected` is the one chosen on all folds",
    )
    ap.add_argument(
        "--stack",
        default="",
        help="first-stage model kind (logreg / gbdt): its out-of-fold line probabilities "
        "in context are features of the second stage (nested within each training split)",
    )
    ap.add_argument("--params", default="", help="fit parameters, e.g. n_trees=120,depth=4")
    ap.add_argument("--word-count", default="cjk", choices=["cjk", "tokens"])
    ap.add_argument(
        "--probs",
        default="",
        help="file of the CV line probabilities ({model} = kind-features): written after "
        "the folds are fitted, read instead of fitting when it exists (other decodings)",
    )
    args = ap.parse_args()
    global TITLE_AS_TODAY, WORDS
    TITLE_AS_TODAY = args.title_policy == "today"
    if args.word_count == "tokens":
        WORDS = token_words
    params = {k: float(v) for k, v in (kv.split("=") for kv in args.params.split(",") if kv)}
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
    # the feature list is in the file names: a cache of other columns is never read
    feats_id = digest(cf.feature_names())
    dn_pages = cached(
        cache / f"dragnet-{split_id}-{feats_id}.pkl", lambda: extract(dn_texts, dn_gold, folds)
    )
    syn_pages, syn_fold = cached(
        cache / f"synthetic-{split_id}-{feats_id}-{digest(SYNTH_VERSION)}.pkl",
        lambda: extract_synthetic(dn_texts, dn_gold, folds, groups),
    )
    syn_ids = sorted(syn_pages)
    syn_gold = {i: syn_pages[i]["gold"] for i in syn_ids}
    dev = ev / "dev"
    dev_gold = {i: g["text"] for i, g in json.loads((dev / "gold.json").read_text("utf-8")).items()}
    dev_ids = sorted(dev_gold)
    dev_texts = cf.read_texts(dev / "text", dev_ids)
    # dev is cleaned as one ingest, as `make eval` does: recurrence is label-free evidence
    dev_pages = cached(
        cache / f"dev-{feats_id}.pkl", lambda: extract(dev_texts, dev_gold, [dev_ids])
    )
    dev_keys = {
        i: cf.site_key((dev / "html" / f"{i}.html").read_text("utf-8", "replace"))[0]
        for i in dev_ids
    }
    dfold = dev_folds(dev_keys, keys, fold, args.folds)
    report: dict[str, Any] = {
        "site_keys": {
            "sources": sources,
            "sites": len(set(keys.values())),
            "groups": len(set(groups.values())),
            "fold_sizes": [len(f) for f in folds],
            "dev_fold_sizes": [sum(1 for v in dfold.values() if v == f) for f in range(args.folds)],
            "dev_sites_shared_with_dragnet": sum(
                1 for k in dev_keys.values() if k in set(keys.values())
            ),
            "split": split_id,
        },
        "extract_s": round(time.perf_counter() - t0, 1),
    }

    def joined(pages: dict[str, dict[str, Any]], ids: Sequence[str], which: str) -> dict[str, str]:
        return {
            i: "\n".join(
                t for t, k in zip(pages[i]["texts"], pages[i][which], strict=True) if k == 1
            )
            for i in ids
        }

    langs = {i: detect_language(g) or "?" for i, g in dev_gold.items()}

    def per_set(
        dn_preds: dict[str, str], dev_preds: dict[str, str], syn_preds: dict[str, str]
    ) -> dict[str, Any]:
        both_gold = {**dn_gold, **dev_gold}
        out = {
            "dragnet": summarise(dn_gold, dn_preds),
            "dev": summarise(dev_gold, dev_preds),
            "union": summarise(both_gold, {**dn_preds, **dev_preds}),
            "synthetic": summarise(syn_gold, syn_preds),
        }
        out["synthetic"]["kind"] = {
            kind: page_f1(sub, {i: syn_preds.get(i, "") for i in sub})["f1"]
            for kind in ("framed", "duplicate", "bare")
            for sub in [{i: g for i, g in syn_gold.items() if i.endswith(kind)}]
            if sub
        }
        out["dev"]["lang"] = {
            lang: page_f1(sub, {i: dev_preds.get(i, "") for i in sub})["f1"]
            for lang in sorted(set(langs.values()))
            for sub in [{i: g for i, g in dev_gold.items() if langs[i] == lang}]
        }
        return out

    results: dict[str, Any] = {
        "oracle(labels)": per_set(
            joined(dn_pages, dn_ids, "y"),
            joined(dev_pages, dev_ids, "y"),
            joined(syn_pages, syn_ids, "y"),
        ),
        "today": per_set(
            joined(dn_pages, dn_ids, "kept"),
            joined(dev_pages, dev_ids, "kept"),
            joined(syn_pages, syn_ids, "kept"),
        ),
    }
    names = cf.feature_names()
    dev_w = args.dev_weight if args.train_on == "both" else 0.0

    def fit_excluding(
        kind: str,
        out: frozenset[int],
        cols: list[int],
        dn: dict[str, dict[str, Any]],
        dv: dict[str, dict[str, Any]],
        fit_params: dict[str, float] | None,
    ) -> lm.Model:
        """A model fitted on every page whose fold is not in `out`."""
        train_dev = [i for i in dev_ids if dfold[i] not in out] if dev_w > 0 else []
        train_dn = [i for i in dn_ids if fold[i] not in out]
        train_syn = [i for i in syn_ids if syn_fold[i] not in out] if args.synthetic > 0 else []
        return fit_on(
            kind,
            [(dn, train_dn, 1.0), (dv, train_dev, dev_w), (syn_pages, train_syn, args.synthetic)],
            cols,
            fit_params,
        )

    firsts: dict[frozenset[int], lm.Model] = {}

    def first_stage(out: frozenset[int]) -> lm.Model:
        """First-stage models, by excluded folds (cached: {f, g} serves f's inner fold g
        and g's inner fold f)."""
        if out not in firsts:
            firsts[out] = fit_excluding(
                args.stack, out, list(range(len(cf.feature_names()))), dn_pages, dev_pages, None
            )
            print(f"  first stage without folds {sorted(out)} fitted", flush=True)
        return firsts[out]

    def stacked(test: int | None) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        """Rows with first-stage context for the split that holds out fold `test` (None:
        no fold, the final model): a page of fold `test` is scored by the model fitted
        without `test`; a training page of fold g by the one fitted without `test` and g
        (out of fold, so the second stage learns from honest first-stage errors)."""
        held = frozenset() if test is None else frozenset({test})

        def model_for(g: int) -> lm.Model:
            return first_stage(held | {g})

        return (
            with_stack(dn_pages, dn_ids, lambda i: model_for(fold[i])),
            with_stack(dev_pages, dev_ids, lambda i: model_for(dfold[i])),
        )

    if args.stack:
        if args.synthetic > 0:
            raise SystemExit(
                "--stack needs --synthetic 0 (no first-stage rows for synthetic pages)"
            )
        names = names + learned.stack_names()

    def nested_selection(probs: dict[str, dict[str, Arr]], cands: Sequence[str]) -> dict[str, str]:
        """Fold (as a string) -> the candidate chosen on the other folds' dragnet and dev
        pages (never on the fold it decodes), and "all" -> the one chosen on every page."""
        per_doc = {}
        for d in cands:
            dn_p = predict_pages(probs["dragnet"], dn_pages, dn_ids, d)
            dev_p = predict_pages(probs["dev"], dev_pages, dev_ids, d)
            per_doc[d] = page_f1({**dn_gold, **dev_gold}, {**dn_p, **dev_p})["per_doc"]
        rules_doc = page_f1(
            {**dn_gold, **dev_gold},
            {**joined(dn_pages, dn_ids, "kept"), **joined(dev_pages, dev_ids, "kept")},
        )["per_doc"]
        out = {}
        for f in [*range(args.folds), None]:
            dn_train = [i for i in dn_ids if fold[i] != f]
            dev_train = [i for i in dev_ids if dfold[i] != f]
            out["all" if f is None else str(f)] = select_decode(
                per_doc, rules_doc, dn_train, dev_train
            )
        return out

    for kind in args.models.split(","):
        for feats in args.features.split(","):
            cols = lm.columns(names, drop_today="no-today" in feats)
            final: lm.Model | None = None
            cv_dn: dict[str, dict[str, str]] = {d: {} for d in args.decodes.split(",")}
            cv_dev: dict[str, dict[str, str]] = {d: {} for d in args.decodes.split(",")}
            saved = Path(args.probs.replace("{model}", f"{kind}-{feats}")) if args.probs else None
            if saved is not None and saved.exists():  # decode again, no refit
                probs = pickle.loads(saved.read_bytes())
            else:
                probs = {"dragnet": {}, "dev": {}, "synthetic": {}}
                for f in range(args.folds):
                    dn_view, dev_view = stacked(f) if args.stack else (dn_pages, dev_pages)
                    model = fit_excluding(kind, frozenset({f}), cols, dn_view, dev_view, params)
                    for i in folds[f]:
                        probs["dragnet"][i] = model.predict(dn_view[i]["x"].astype(np.float64))
                    for i in dev_ids:
                        if dfold[i] == f:
                            probs["dev"][i] = model.predict(dev_view[i]["x"].astype(np.float64))
                    for i in syn_ids:
                        if syn_fold[i] == f:
                            probs["synthetic"][i] = model.predict(
                                syn_pages[i]["x"].astype(np.float64)
                            )
                    print(f"  fold {f} done {time.perf_counter() - t0:.0f} s", flush=True)
                if saved is not None:
                    saved.write_bytes(pickle.dumps(probs))
            cv_syn: dict[str, dict[str, str]] = {}
            for d in cv_dn:
                cv_dn[d] = predict_pages(probs["dragnet"], dn_pages, dn_ids, d)
                cv_dev[d] = predict_pages(probs["dev"], dev_pages, dev_ids, d)
                cv_syn[d] = predict_pages(probs["synthetic"], syn_pages, syn_ids, d)
            if args.select:
                chosen = nested_selection(probs, args.select.split(","))
                for d in set(chosen.values()) - set(cv_dn):
                    cv_dn[d] = predict_pages(probs["dragnet"], dn_pages, dn_ids, d)
                    cv_dev[d] = predict_pages(probs["dev"], dev_pages, dev_ids, d)
                    cv_syn[d] = predict_pages(probs["synthetic"], syn_pages, syn_ids, d)
                sel = chosen.pop("all")
                print(f"selected per fold {chosen}, on all folds {sel}", flush=True)
                report.setdefault("selected", {})[f"{kind}/{feats}"] = {**chosen, "all": sel}
                pick = {i: cv_dn[chosen[str(fold[i])]][i] for i in dn_ids}
                cv_dn["selected"] = pick
                cv_dev["selected"] = {i: cv_dev[chosen[str(dfold[i])]][i] for i in dev_ids}
                cv_syn["selected"] = {i: cv_syn[chosen[str(syn_fold[i])]][i] for i in syn_ids}
            for d in cv_dn:
                name = f"{kind}/{feats}/{d}"
                results[name] = per_set(cv_dn[d], cv_dev[d], cv_syn[d])
                print(
                    name,
                    json.dumps({k: round(v["F1"], 4) for k, v in results[name].items()}),
                    flush=True,
                )
                if args.model_out and (name == args.export or args.export == f"{kind}/{feats}/*"):
                    if final is None:
                        dn_view, dev_view = stacked(None) if args.stack else (dn_pages, dev_pages)
                        final = fit_excluding(kind, frozenset(), cols, dn_view, dev_view, params)
                    first = first_stage(frozenset()) if args.stack else None
                    out = Path(args.model_out.replace("{decode}", d))
                    spec = export(final, sel if d == "selected" else d, args, results[name], first)
                    out.write_text(json.dumps(spec, indent=1) + "\n", "utf-8")
    report["results"] = results
    report["seconds"] = round(time.perf_counter() - t0, 1)
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(json.dumps(report["site_keys"]))
    for name, r in results.items():
        print(name)
        for s in ("dragnet", "dev", "union", "synthetic"):
            v = r[s]
            bands = " ".join(f"{b} {v[b]['F1']:.3f}" for b in ("<100", "100-500", ">500") if b in v)
            prf = f"P {v['P']:.3f} R {v['R']:.3f} F1 {v['F1']:.3f}"
            print(f"    {s:8s} {prf} [{bands}] zero {v['zero']}")
            for extra in ("lang", "kind"):
                if extra in v:
                    print("             " + " ".join(f"{k} {f:.3f}" for k, f in v[extra].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
