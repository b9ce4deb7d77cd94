"""Where today's dump cleaner loses F1 on a set, bucketed (issue 14 research).

    .venv/bin/python bench/cleaner_losses.py [SET_DIR]    # default ../shared/eval/dragnet-train

Cleans every dump of SET_DIR/text (LineStats over the whole set, as one ingest), scores
each page with eval/score.py, and puts every page with F1 < 0.9 into the first bucket that
fits (in this order):

- empty: nothing kept;
- short: gold body under 100 words;
- most-kept: precision < 0.6 while recall > 0.8 (most of the page kept);
- site-repeat: more than half of the wrongly kept tokens are on lines found in >= 2 other
  pages of the same site group (a paragraph or list repeated on the site);
- teasers: more than half of the wrongly kept lines are short non-sentences (< 15 words,
  no final punctuation): headline / teaser lists;
- long-dropped: gold over 500 words and recall < 0.5;
- wrong-block: recall < 0.3 (another block was taken as the article);
- other.

Prints per bucket: pages, share of the total F1 loss (sum of 1 - F1), mean F1.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import cleaner_features as cf  # noqa: E402
import scoring  # noqa: E402

from crawler.extract.boilerplate import LineStats, clean_text  # noqa: E402

_WORD = re.compile(r"\w+")


def main() -> int:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else cf.default_eval() / "dragnet-train")
    gold = {i: g["text"] for i, g in json.loads((folder / "gold.json").read_text("utf-8")).items()}
    ids = sorted(gold)
    texts = cf.read_texts(folder / "text", ids)
    html = folder / "html"
    keys = {i: cf.site_key((html / f"{i}.html").read_text("utf-8", "replace"))[0] for i in ids}
    groups = cf.site_groups(keys, texts)
    stats = LineStats()
    for t in texts.values():
        stats.add(t)
    preds = {i: clean_text(texts[i], stats).text for i in ids}
    res = scoring.SCORE.evaluate(gold, preds)
    line_pages: dict[tuple[str, str], set[str]] = {}
    for i in ids:
        for s in {" ".join(x.lower().split()) for x in texts[i].split("\n") if x.strip()}:
            line_pages.setdefault((groups[i], s), set()).add(i)
    buckets: dict[str, list[float]] = {}
    for i in ids:
        d = res["per_doc"][i]
        f1 = d["f1"]
        if f1 >= 0.9:
            continue
        p, r = d["precision"], d["recall"] or 0.0
        gw = len(_WORD.findall(gold[i]))
        gold_sh = set(cf._shingles(_WORD.findall(gold[i])))
        wrong = [
            s
            for s in preds[i].split("\n")
            if s and not (set(cf._shingles(_WORD.findall(s))) & gold_sh)
        ]
        wrong_tok = sum(len(_WORD.findall(s)) for s in wrong)
        repeat_tok = sum(
            len(_WORD.findall(s))
            for s in wrong
            if len(line_pages.get((groups[i], " ".join(s.lower().split())), ())) >= 3
        )
        teaser = sum(1 for s in wrong if len(s.split()) < 15 and s.rstrip()[-1:] not in ".!?")
        if not preds[i].strip():
            b = "empty"
        elif gw < 100:
            b = "short"
        elif p is not None and p < 0.6 and r > 0.8:
            b = "most-kept"
        elif wrong_tok and repeat_tok > 0.5 * wrong_tok:
            b = "site-repeat"
        elif wrong and teaser > 0.5 * len(wrong) and p is not None and p < 0.8:
            b = "teasers"
        elif gw > 500 and r < 0.5:
            b = "long-dropped"
        elif r < 0.3:
            b = "wrong-block"
        else:
            b = "other"
        buckets.setdefault(b, []).append(f1)
    total = sum(1 - d["f1"] for d in res["per_doc"].values())
    print(
        f"{folder.name}: {len(ids)} pages, P {res['precision']:.3f} "
        f"R {res['recall']:.3f} F1 {res['f1']:.3f}; "
        f"pages with F1 < 0.9: {sum(map(len, buckets.values()))}; total loss {total:.1f}"
    )
    for b, v in sorted(buckets.items(), key=lambda kv: -sum(1 - x for x in kv[1])):
        loss = sum(1 - x for x in v)
        print(
            f"  {b:13s} pages {len(v):4d}  loss share {loss / total:.2f}  "
            f"mean F1 {sum(v) / len(v):.3f}"
        )
    sizes = Counter(scoring.band(len(_WORD.findall(g))) for g in gold.values())
    print("  gold length bands:", dict(sizes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
