"""Site-recurring paragraphs: extraction F1 before/after taking them out, per threshold.

    .venv/bin/python bench/site_lines_eval.py --pred OUT \
        --gold ../shared/eval/dragnet-train/gold.json

OUT is what `corpus ingest` wrote with the code before site lines (commit 5a3d17e): the
records' text as the cleaner kept it. The records are counted per site
(`crawler.dedup.site_lines`, one run, no history) and, for each (pages, words) setting, the
recurring paragraphs are taken out and the benchmark's metric (../shared/eval/score.py) is
printed: overall, by how many pages the page's site has in the set, and the sites that changed
most. Pages without a URL have no site and do not change.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow.dataset as pads

from crawler.dedup.site_lines import SiteCounts, recurring, site_of, site_paragraphs

ID = re.compile(r"[0-9a-f]{64}")


def load_score(gold: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("score", gold.parent.parent / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def band(n: int) -> str:
    return "1 page" if n == 1 else "2 pages" if n == 2 else "3-5 pages" if n <= 5 else "6+ pages"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pred", type=Path, required=True)
    parser.add_argument("--gold", type=Path, required=True)
    parser.add_argument("--settings", default="2:8,3:8,4:8,3:5,3:12", help="pages:words,...")
    args = parser.parse_args()
    score = load_score(args.gold)
    gold = {k: v["text"] or "" for k, v in __import__("json").loads(args.gold.read_text()).items()}
    files = sorted(str(p) for p in (args.pred / "records").rglob("*.parquet"))
    table = pads.dataset(files, format="parquet").to_table(columns=["text", "url", "source_uri"])
    rows: dict[str, dict[str, Any]] = {}
    for row in table.to_pylist():
        ids = ID.findall(row["source_uri"] or "")
        if ids and ids[0] in gold:
            rows[ids[0]] = row
    sites = {i: site_of(r) or "" for i, r in rows.items()}
    per_site = Counter(s for s in sites.values() if s)
    print(
        f"{len(rows)} records of {len(gold)} pages; {sum(1 for s in sites.values() if s)} with"
        f" a site, {sum(n for n in per_site.values() if n >= 2)} on a site with >= 2 pages"
    )
    before = {i: r["text"] for i, r in rows.items()}
    base = score.evaluate(gold, before)
    print(f"before: P {base['precision']:.3f} R {base['recall']:.3f} F1 {base['f1']:.3f}")
    for setting in args.settings.split(","):
        pages, words = map(int, setting.split(":"))
        counts = SiteCounts()
        for i, row in rows.items():
            if sites[i]:
                counts.add(sites[i], (k for _, k in site_paragraphs(row["text"], words)))
        after, changed = dict(before), 0
        for i, row in rows.items():
            site = sites[i]
            drop = set(recurring(row["text"], site, counts, pages, words)) if site else set()
            if drop:
                changed += 1
                after[i] = "\n".join(x for x in row["text"].split("\n") if x not in drop)
        res = score.evaluate(gold, after)
        print(f"\n== pages >= {pages}, paragraphs >= {words} words: {changed} records changed")
        print(f"   P {res['precision']:.3f} R {res['recall']:.3f} F1 {res['f1']:.3f}")
        groups: dict[str, list[str]] = defaultdict(list)
        for i in gold:
            groups["no site" if not sites.get(i) else band(per_site[sites[i]])].append(i)
        for name, ids in sorted(groups.items()):
            b = score.evaluate(
                {i: gold[i] for i in ids}, {i: before[i] for i in ids if i in before}
            )
            a = score.evaluate({i: gold[i] for i in ids}, {i: after[i] for i in ids if i in after})
            print(f"   {name:<10} {len(ids):>4} pages  F1 {b['f1']:.3f} -> {a['f1']:.3f}")
        delta: Counter[str] = Counter()
        for i in rows:
            if after[i] != before[i]:
                delta[sites[i] or ""] += res["per_doc"][i]["f1"] - base["per_doc"][i]["f1"]
        worst = sorted(delta.items(), key=lambda kv: kv[1])[:5]
        best = sorted(delta.items(), key=lambda kv: -kv[1])[:5]
        print("   sites gaining most:", ", ".join(f"{s} {d:+.2f}" for s, d in best))
        print("   sites losing most: ", ", ".join(f"{s} {d:+.2f}" for s, d in worst))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
