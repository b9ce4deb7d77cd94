"""The dump cleaner with a learned line model (bench/train_cleaner.py --model-out) against
the rules alone on a set of dumps, per language and per length band (issue 14).

    .venv/bin/python bench/learned_cleaner_dev.py [MODEL_JSON] [SET_DIR]

MODEL_JSON defaults to the shipped crawler/extract/boilerplate/cleaner_model.json; SET_DIR (default
eval/dev) has text/ and gold.json; the set is cleaned as one ingest (LineStats over its
pages), through `clean_text(..., learned=...)`, the product's path. The language of a page
is the project's `detect_language` of its gold body. The figures are honest only on a set
the model was not fitted to: the shipped model was fitted on eval/dev and dragnet-train,
whose honest figures are train_cleaner.py's cross-validated ones.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import cleaner_features as cf  # noqa: E402
import scoring  # noqa: E402
from learned_cleaner_speed import load  # noqa: E402

from crawler.extract.boilerplate import LineStats, clean_text  # noqa: E402
from crawler.extract.boilerplate.learned import MODEL_PATH  # noqa: E402
from crawler.extract.normalize import detect_language  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("model", nargs="?", default=str(MODEL_PATH))
    ap.add_argument("set_dir", nargs="?", default=str(ROOT / "eval" / "dev"))
    args = ap.parse_args()
    folder = Path(args.set_dir)
    gold = {i: g["text"] for i, g in json.loads((folder / "gold.json").read_text("utf-8")).items()}
    ids = sorted(gold)
    texts = cf.read_texts(folder / "text", ids)
    model = load(Path(args.model))
    stats = LineStats()
    for t in texts.values():
        stats.add(t)
    today, learned = {}, {}
    for i in ids:
        today[i] = clean_text(texts[i], stats, learned=False).text
        learned[i] = clean_text(texts[i], stats, learned=model).text
    langs = {i: detect_language(gold[i]) or "?" for i in ids}
    for name, preds in (("today", today), (f"model/{model.kind}", learned)):
        v = scoring.summarise(gold, preds)
        bands = " ".join(
            f"{b} {v[b]['F1']:.3f} (n={v[b]['n']})" for b in ("<100", "100-500", ">500") if b in v
        )
        per_lang = []
        for lang in sorted(set(langs.values())):
            sub = {i: gold[i] for i in ids if langs[i] == lang}
            r = scoring.page_f1(sub, {i: preds[i] for i in sub})
            per_lang.append(f"{lang} {r['f1']:.3f} (n={len(sub)})")
        print(f"{folder.name} {name:18s} P {v['P']:.3f} R {v['R']:.3f} F1 {v['F1']:.3f}")
        print(f"    bands: {bands}")
        print(f"    languages: {'  '.join(per_lang)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
