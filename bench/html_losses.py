"""Where the HTML path still loses F1 on unseen sites, and four ways of winning it back that
were measured (issue 14, "HTML beyond one engine"). Research code: nothing in the product
imports it.

    .venv/bin/python bench/html_losses.py [EVAL_DIR] [--folds 5] [--cache DIR] [--examples N]

EVAL_DIR (default ../shared/eval) holds `dragnet-train/{text,html,gold.json}` (AGPL-3.0, read
in place) and `dev/{html,gold.json}`. Both engines' lines come from the cache that
`bench/train_html_combine.py` fills (`crawler.extract.html.engine_lines`); the engine choice is
the shipped one (gradient-boosted trees over `html_combine.page_row`), fitted per fold of the
site-grouped CV and applied to the held-out pages, so every figure is on pages no model here
was fitted to.

1. Recall: every gold line (of dragnet-train) that the chosen article misses (under half of its
   4-token shingles in it), by where its text is: the page's headline (first gold line, equal
   to the <title> or an <h1>), a byline or date line (`boilerplate.headline.byline_or_date`:
   the product reads those into the record's metadata), the other engine's article, the
   page's text dump (the page holds it, neither engine took it) or nowhere (a different
   rendering); and by the line's
   position in the gold (first, last, in between). Cost = the line's share of its page's gold
   tokens, summed and divided by the pages: the points of averaged recall it costs.
2. Precision: every chosen line that is not gold text, by position in the article (first,
   last three, in between) and whether it recurs on another page of its site group (a line
   of that page's text dump): points of averaged precision.
3. Variants, each under the same CV: (a) the choice with four more page figures from the HTML
   (`crawler.extract.evidence`: share of the lead paragraphs under the headline in each
   engine's article, a declared article type, how many leads); (b) lines of the other
   engine's article inserted where they sit between two lines both engines have (a union
   decided by agreement around the line); (c) a learned line filter over the chosen article:
   gradient-boosted trees over the dump cleaner's own line rows (`cf.page_matrix`: shape,
   chrome reasons, block context, the rules' decision) plus position, agreement with the
   other engine, the line's token share, labels from the gold shingles, dropping lines under
   a probability threshold; (d) readability's article, when chosen, through the project's
   line cleaning (`clean_text(mode="extracted")`), as trafilatura's is.

The "diagnostic" line scores the page's declared title (`html_meta.page_meta`) followed by the
chosen text: Dragnet's gold keeps the headline in the body on most pages, the product puts it
in the record's `title` (eval/dev's gold has no headline). It is not a product figure.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import cleaner_features as cf  # noqa: E402
import line_models as lm  # noqa: E402
import scoring  # noqa: E402
import train_html_combine as thc  # noqa: E402
import train_html_refine as trh  # noqa: E402

from crawler.extract import html_combine as hc  # noqa: E402
from crawler.extract.boilerplate import clean_text  # noqa: E402
from crawler.extract.boilerplate.headline import byline_or_date  # noqa: E402
from crawler.extract.evidence import page_evidence  # noqa: E402
from crawler.extract.html import _parse  # noqa: E402
from crawler.extract.html_meta import page_meta  # noqa: E402

Arr = npt.NDArray[np.float64]
_NON_WORD = re.compile(r"[\W_]+")


def _key(text: str) -> str:
    return " ".join(hc.TOKEN.findall(text.casefold()))


def _evidence(folder: Path, ids: list[str]) -> dict[str, tuple[list[str], list[str], bool, str]]:
    """Page id -> (lead paragraphs, headings, declares an article, declared title), as the
    product reads them."""
    out: dict[str, tuple[list[str], list[str], bool, str]] = {}
    for i in ids:
        tree = _parse((folder / "html" / f"{i}.html").read_text("utf-8", "replace"))
        if tree is None:
            out[i] = ([], [], False, "")
            continue
        ev, title = page_evidence(tree), page_meta(tree).meta.title or ""
        out[i] = (list(ev.leads), list(ev.headings), ev.declared_article, title)
    return out


def _lead_share(leads: list[str], lines: list[str]) -> float:
    if not leads:
        return -1.0
    have = set().union(*(hc._shingles(x) for x in lines)) if lines else set()
    return hc._share(set().union(*(hc._shingles(x) for x in leads)), have)


def _interior(chosen: list[str], other: list[str]) -> list[str]:
    """`chosen` with the lines of `other` that sit between two lines both have."""
    have = {_key(x) for x in chosen}
    keys = [_key(x) for x in other]
    anchors = [j for j, k in enumerate(keys) if k and k in have]
    out = list(chosen)
    for a0, a1 in itertools.pairwise(anchors):
        gap = [other[j] for j in range(a0 + 1, a1) if keys[j] and keys[j] not in have]
        if gap:
            pos = next(k for k, x in enumerate(out) if _key(x) == keys[a0]) + 1
            out[pos:pos] = gap
            have |= {_key(x) for x in gap}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("eval_dir", nargs="?", default=str(cf.default_eval()))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--cache", default="/tmp/html_combine_cache")
    ap.add_argument("--examples", type=int, default=0, help="largest losses shown per kind")
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    ev, cache = Path(args.eval_dir), Path(args.cache)
    t0 = time.perf_counter()
    golds, fold, groups = trh.load_sets(ev, args.folds)
    ids = {s: sorted(g) for s, g in golds.items()}
    lines = {s: thc.engines(ev / s, ids[s], cache) for s in golds}
    every = [(s, i) for s in golds for i in ids[s]]
    order = [i for _, i in every]
    gold = {i: golds[s][i] for s, i in every}
    a = {i: lines[s][i][0] for s, i in every}
    b = {i: lines[s][i][1] for s, i in every}
    a_text = {i: "\n".join(a[i]) for i in order}
    b_text = {i: "\n".join(b[i]) for i in order}
    evid = {i: e for s in golds for i, e in _evidence(ev / s, ids[s]).items()}
    ran = {i: hc.wants_second(a[i]) and bool(b[i]) for i in order}
    f_arr = np.array([fold[i] for i in order])

    def per_doc(preds: dict[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for s in golds:
            out.update(scoring.page_f1(golds[s], {i: preds[i] for i in ids[s]})["per_doc"])
        return out

    fa, fb = per_doc(a_text), per_doc(b_text)
    gain = np.array([fb[i]["f1"] - fa[i]["f1"] for i in order])

    def choose(rows: Arr) -> dict[str, str]:
        prob: dict[str, float] = {}
        for f in range(args.folds):
            model = thc.fit(rows[f_arr != f], gain[f_arr != f])
            held = [i for i, k in zip(order, f_arr, strict=True) if k == f]
            prob.update(zip(held, model.predict(rows[f_arr == f]).tolist(), strict=True))
        return {i: b_text[i] if ran[i] and prob[i] > thc.THRESHOLD else a_text[i] for i in order}

    def show(name: str, preds: dict[str, str]) -> None:
        out = []
        for s in golds:
            v = scoring.summarise(golds[s], {i: preds[i] for i in ids[s]})
            out.append(f"{s} P {v['P']:.3f} R {v['R']:.3f} F1 {v['F1']:.4f} zero {v['zero']}")
        print(f"  {name:44s} " + " | ".join(out))

    rows = np.stack([hc.page_row(a[i], b[i]) for i in order])
    chosen = choose(rows)
    print(f"pages ready in {time.perf_counter() - t0:.0f}s")
    show("shipped choice (CV)", chosen)
    titled = {i: f"{evid[i][3]}\n{chosen[i]}" if chosen[i] else "" for i in order}
    show("diagnostic: declared title + the same text", titled)

    # -- 1. recall: where the gold text the chosen article misses is --------------------------
    dn = ids["dragnet-train"]
    n = len(dn)
    dump = cf.read_texts(ev / "dragnet-train" / "text", dn)
    missed: dict[tuple[str, str], float] = defaultdict(float)
    examples: dict[str, list[tuple[float, str, str]]] = defaultdict(list)
    for i in dn:
        gl = [x for x in gold[i].split("\n") if x.strip()]
        total = sum(len(hc.TOKEN.findall(x)) for x in gl) or 1.0
        have = hc._shingles(chosen[i])
        other = hc._shingles(b_text[i] if chosen[i] == a_text[i] else a_text[i])
        page = hc._shingles(dump[i])
        heads = {_NON_WORD.sub("", h.casefold()) for h in evid[i][1]}
        for k, x in enumerate(gl):
            sh = hc._shingles(x)
            if not sh or hc._share(sh, have) >= 0.5:
                continue
            folded = _NON_WORD.sub("", x.casefold())
            if k == 0 and folded and any(folded in h for h in heads):
                kind = "headline"
            elif byline_or_date(x.strip()):
                kind = "byline or date line"
            elif hc._share(sh, other) >= 0.5:
                kind = "other engine's article"
            elif hc._share(sh, page) >= 0.5:
                kind = "page dump only"
            else:
                kind = "nowhere"
            pos = "first" if k == 0 else "last" if k == len(gl) - 1 else "between"
            cost = len(hc.TOKEN.findall(x)) / total / n
            missed[(kind, pos)] += cost
            examples[kind].append((cost * n, i, x[:110]))
    print(f"1. recall lost on dragnet-train ({n} pages): points of averaged recall")
    by_kind: dict[str, float] = defaultdict(float)
    for (kind, _), v in missed.items():
        by_kind[kind] += v
    for kind, v in sorted(by_kind.items(), key=lambda kv: -kv[1]):
        pos = ", ".join(f"{p} {missed[(kind, p)]:.4f}" for p in ("first", "between", "last"))
        print(f"  {kind:24s} {v:.4f}  ({pos})")

    # -- 2. precision: which chosen lines are not gold text ----------------------------------
    members: dict[str, list[str]] = defaultdict(list)
    for i in dn:
        members[groups[i]].append(i)
    extra: dict[str, float] = defaultdict(float)
    for i in dn:
        cl = [x for x in chosen[i].split("\n") if x.strip()]
        total = sum(len(hc.TOKEN.findall(x)) for x in cl) or 1.0
        gsh = hc._shingles(gold[i])
        site = {_key(x) for j in members[groups[i]] if j != i for x in dump[j].split("\n")}
        for k, x in enumerate(cl):
            sh = hc._shingles(x)
            if not sh or hc._share(sh, gsh) >= 0.5:
                continue
            pos = "first" if k == 0 else "last three" if k >= len(cl) - 3 else "between"
            kind = ("recurs on the site, " if _key(x) in site else "") + pos
            cost = len(hc.TOKEN.findall(x)) / total / n
            extra[kind] += cost
            examples["chrome: " + kind].append((cost * n, i, x[:110]))
    print("2. precision lost on dragnet-train: points of averaged precision")
    for kind, v in sorted(extra.items(), key=lambda kv: -kv[1]):
        print(f"  {kind:34s} {v:.4f}")
    for kind, found in examples.items():
        if args.examples:
            print(f"  largest, {kind}:")
            for cost, i, x in sorted(found, reverse=True)[: args.examples]:
                print(f"    {cost:.3f} {i[:8]} {x}")

    # -- 3. variants, same CV --------------------------------------------------------------
    print("3. variants (site-grouped CV)")
    leads = np.array(
        [
            [
                _lead_share(evid[i][0], a[i]),
                _lead_share(evid[i][0], b[i]),
                float(evid[i][2]),
                float(len(evid[i][0])),
            ]
            for i in order
        ]
    )
    show("(a) choice + HTML lead/article figures", choose(np.hstack([rows, leads])))

    def chose_b(i: str) -> bool:
        return chosen[i] != a_text[i]

    merged = {
        i: "\n".join(_interior(b[i], a[i]) if chose_b(i) else _interior(a[i], b[i]))
        if ran[i]
        else chosen[i]
        for i in order
    }
    show("(b) other engine's lines between agreed lines", merged)
    cleaned_b = {
        i: "\n".join(clean_text(b_text[i], mode="extracted").paragraphs) or chosen[i]
        if chose_b(i)
        else chosen[i]
        for i in order
    }
    show("(d) readability's article cleaned as trafilatura's", cleaned_b)
    line_filter(order, chosen, a, b, ran, gold, fold, args.folds, show, chose_b)
    print(f"done in {time.perf_counter() - t0:.0f}s")
    return 0


def line_filter(
    order: list[str],
    chosen: dict[str, str],
    a: dict[str, list[str]],
    b: dict[str, list[str]],
    ran: dict[str, bool],
    gold: dict[str, str],
    fold: dict[str, int],
    folds: int,
    show: Callable[[str, dict[str, str]], None],
    chose_b: Callable[[str], bool],
) -> None:
    """Variant (c): the learned line filter over the chosen article, per threshold."""
    xs: list[Arr] = []
    ys: list[Arr] = []
    ws: list[Arr] = []
    spans: dict[str, tuple[list[str], int]] = {}
    at = 0
    for i in order:
        if not chosen[i].strip():
            continue
        page = cf.page_matrix(chosen[i], None)
        m = len(page.texts)
        if not m:
            continue
        other = (a[i] if chose_b(i) else b[i]) if ran[i] else []
        agreed = {_key(x) for x in other}
        toks = np.array([len(hc.TOKEN.findall(t)) for t in page.texts], dtype=np.float64)
        total = toks.sum() or 1.0
        figures = np.stack(
            [
                np.arange(m) / max(m - 1, 1),
                np.array([float(_key(t) in agreed) if other else -1.0 for t in page.texts]),
                np.full(m, float(chose_b(i))),
                np.full(m, np.log1p(total)),
                toks / total,
                np.cumsum(toks) / total,
            ],
            axis=1,
        )
        xs.append(np.hstack([page.x, figures]))
        ys.append(cf.line_labels(page.texts, gold[i]))
        ws.append(toks / total)
        spans[i] = (page.texts, at)
        at += m
    x, y, w = np.vstack(xs), np.concatenate(ys), np.concatenate(ws)
    page_fold = np.concatenate([np.full(len(spans[i][0]), fold[i]) for i in spans])
    labelled = ~np.isnan(y)
    prob = np.zeros(len(x))
    for f in range(folds):
        fit = (page_fold != f) & labelled
        model = lm.fit_gbdt(
            x[fit], y[fit], list(range(x.shape[1])), w[fit] * (fit.sum() / w[fit].sum()),
            80, 3, 0.1, subsample=1.0,
        )  # fmt: skip
        prob[page_fold == f] = model.predict(x[page_fold == f])
    for threshold in (0.2, 0.3, 0.4, 0.5):
        out = dict(chosen)
        for i, (texts, start) in spans.items():
            p = prob[start : start + len(texts)]
            kept = [t for t, q in zip(texts, p, strict=True) if q >= threshold]
            out[i] = "\n".join(kept) if kept else chosen[i]
        show(f"(c) line filter, dump cleaner rows, drop p < {threshold}", out)


if __name__ == "__main__":
    sys.exit(main())
