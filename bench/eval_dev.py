"""Score the whole ingest path on the dev set: page dumps and HTML, through `run_ingest`
(the code `corpus ingest` runs), with the benchmark's metric (eval/score.py).

    .venv/bin/python bench/eval_dev.py [--per-doc] [--json]

Prints P/R/F1 per input path, per-language F1, docs/s of the whole ingest (read, clean, dedup,
write) and, in the same process on the same pages, docs/s of plain trafilatura as a baseline.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "eval"
sys.path.insert(0, str(ROOT))

from crawler.config import Settings  # noqa: E402
from crawler.run.ingest import run_ingest  # noqa: E402


def scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("eval_score", EVAL / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def evaluate(kind: str, out: Path) -> dict[str, Any]:
    """Ingest eval/dev/<kind> into `out` and score it."""
    score = scorer()
    gold = json.loads((EVAL / "dev" / "gold.json").read_text("utf-8"))
    files = sorted((EVAL / "dev" / kind).iterdir())
    started = time.perf_counter()
    summary = run_ingest([str(EVAL / "dev" / kind)], out, Settings())
    seconds = time.perf_counter() - started
    texts, _titles, _stats = score.load_parquet(str(out), set(gold), "**/*.parquet")
    result: dict[str, Any] = score.evaluate({i: g["text"] for i, g in gold.items()}, texts)
    result.update(
        kind=kind,
        docs=len(files),
        seconds=round(seconds, 2),
        docs_per_s=round(len(files) / seconds, 1),
        rejected=summary.rejected,
        merged=summary.merged_exact + summary.merged_near,
    )
    return result


def by_language(result: dict[str, Any], languages: dict[str, str]) -> dict[str, tuple[int, float]]:
    groups: dict[str, list[float]] = {}
    for doc_id, scores in result["per_doc"].items():
        groups.setdefault(languages.get(doc_id, "?"), []).append(scores["f1"])
    return {lang: (len(v), sum(v) / len(v)) for lang, v in sorted(groups.items())}


def languages_of(out: Path) -> dict[str, str]:
    import pyarrow.dataset as pads

    rows = pads.dataset(out / "records", format="parquet").to_table(["source_uri", "language"])
    uris, langs = rows["source_uri"].to_pylist(), rows["language"].to_pylist()
    return {Path(u).name.split(".")[0]: lang or "?" for u, lang in zip(uris, langs, strict=True)}


def trafilatura_baseline() -> float:
    """docs/s of `trafilatura.extract(html, include_comments=False)` on the dev HTML."""
    import trafilatura

    pages = [p.read_text("utf-8") for p in sorted((EVAL / "dev" / "html").iterdir())]
    started = time.perf_counter()
    for html in pages:
        trafilatura.extract(html, include_comments=False)
    return len(pages) / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-doc", action="store_true", help="print every page's scores")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        # warm-up: load models and imports once so the timings below are steady-state
        run_ingest([str(ROOT / "seeds")], Path(tmp) / "warm-up", Settings())
        for kind in ("text", "html"):
            out = Path(tmp) / kind
            result = evaluate(kind, out)
            result["by_language"] = by_language(result, languages_of(out))
            report[kind] = result
    report["trafilatura_docs_per_s"] = round(trafilatura_baseline(), 1)
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    for kind in ("text", "html"):
        r = report[kind]
        print(
            f"{kind:5s} P {r['precision']:.3f}  R {r['recall']:.3f}  F1 {r['f1']:.3f}  "
            f"{r['docs']} docs in {r['seconds']} s = {r['docs_per_s']} docs/s (whole ingest)  "
            f"rejected {r['rejected']}  merged {r['merged']}"
        )
        langs = "  ".join(f"{k}: {f:.3f} (n={n})" for k, (n, f) in r["by_language"].items())
        print(f"      F1 by language: {langs}")
        if args.per_doc:
            worst = sorted(r["per_doc"].items(), key=lambda kv: kv[1]["f1"])
            for doc_id, s in worst:
                p = "  -  " if s["precision"] is None else f"{s['precision']:.3f}"
                print(f"      {doc_id[:16]}  P {p}  R {s['recall'] or 0:.3f}  F1 {s['f1']:.3f}")
    ratio = report["html"]["docs_per_s"] / report["trafilatura_docs_per_s"]
    print(
        f"trafilatura.extract alone on the same HTML: {report['trafilatura_docs_per_s']} docs/s "
        f"(our whole HTML ingest runs at {ratio:.2f}x that)"
    )
    print(f"peak RSS {report['peak_rss_mb']} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
