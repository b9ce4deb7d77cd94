"""HTML main-content engines on a set, alone and combined (issue 14 research).

    .venv/bin/python bench/html_engines.py [SET_DIR] [--cache DIR]

SET_DIR (default ../shared/eval/dragnet-train) has html/ and gold.json. Engines: the
project's `extract_html`, `trafilatura.extract` (include_comments=False; favor_precision;
favor_recall) and readability-lxml (`Document.summary()`, one line per block element; a
dependency of the product since the HTML path's engine choice, `crawler/extract/html_combine.py`,
trained and measured by `bench/train_html_combine.py`). Combinations, fixed rules (nothing
fitted), kept for comparison:

- agree: the project's lines that share at least half of their 4-token shingles with
  readability's text (the project's output when none does);
- fallback: the project's output, or readability's when the project's is under a third of
  its length in tokens.

Predictions per engine are cached as JSON under --cache; prints P/R/F1 per engine.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import cleaner_features as cf  # noqa: E402
import scoring  # noqa: E402

_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "td", "div")


def readability_text(html: str) -> str:
    import lxml.html
    from readability import Document

    summary = Document(html).summary(html_partial=True)
    tree = lxml.html.fromstring(summary)
    out = []
    for el in tree.iter(*_BLOCKS):
        if el.tag == "div" and any(c.tag in _BLOCKS for c in el):
            text = " ".join((el.text or "").split())
        else:
            if any(a.tag in _BLOCKS and a.tag != "div" for a in el.iterancestors()):
                continue
            text = " ".join(el.text_content().split())
        if text:
            out.append(text)
    return "\n".join(out)


def engines() -> dict[str, Callable[[str], str]]:
    import trafilatura

    from crawler.extract.html import extract_html

    return {
        "project": lambda h: extract_html(h).text,
        "trafilatura": lambda h: trafilatura.extract(h, include_comments=False) or "",
        "trafilatura-precision": lambda h: (
            trafilatura.extract(h, include_comments=False, favor_precision=True) or ""
        ),
        "trafilatura-recall": lambda h: (
            trafilatura.extract(h, include_comments=False, favor_recall=True) or ""
        ),
        "readability": readability_text,
    }


def _sh(text: str) -> set[tuple[str, ...]]:
    return set(cf._shingles(cf.TOKEN.findall(text)))


def agree(main: str, other: str) -> str:
    ref = _sh(other)
    kept = [s for s in main.split("\n") if (sh := _sh(s)) and len(sh & ref) >= 0.5 * len(sh)]
    return "\n".join(kept) if kept else main


def fallback(main: str, other: str) -> str:
    a, b = len(cf.TOKEN.findall(main)), len(cf.TOKEN.findall(other))
    return other if a < b / 3 else main


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("set_dir", nargs="?", default=str(cf.default_eval() / "dragnet-train"))
    ap.add_argument("--cache", default="/tmp/html_engines_cache")
    ap.add_argument("--engines", default="project,trafilatura,trafilatura-precision,readability")
    args = ap.parse_args()
    folder = Path(args.set_dir)
    gold = {i: g["text"] for i, g in json.loads((folder / "gold.json").read_text("utf-8")).items()}
    ids = sorted(gold)
    cache = Path(args.cache) / folder.name
    cache.mkdir(parents=True, exist_ok=True)
    preds: dict[str, dict[str, str]] = {}
    for name, fn in engines().items():
        if name not in args.engines.split(","):
            continue
        path = cache / f"{name}.json"
        if not path.exists():
            out = {}
            for i in ids:
                html = (folder / "html" / f"{i}.html").read_text("utf-8", "replace")
                try:
                    out[i] = fn(html)
                except Exception:  # an engine failing on a page scores it empty
                    out[i] = ""
            path.write_text(json.dumps(out), "utf-8")
        preds[name] = json.loads(path.read_text("utf-8"))
    if "project" in preds and "readability" in preds:
        p, r = preds["project"], preds["readability"]
        preds["agree(project,readability)"] = {i: agree(p[i], r[i]) for i in ids}
        preds["fallback(project->readability)"] = {i: fallback(p[i], r[i]) for i in ids}
    for name, pr in preds.items():
        v = scoring.summarise(gold, pr)
        bands = " ".join(f"{b} {v[b]['F1']:.3f}" for b in ("<100", "100-500", ">500") if b in v)
        print(
            f"{folder.name:14s} {name:32s} P {v['P']:.3f} R {v['R']:.3f} F1 {v['F1']:.3f} "
            f"[{bands}] zero {v['zero']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
