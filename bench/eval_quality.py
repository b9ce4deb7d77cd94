"""Quality of what `corpus ingest` keeps, per set, in one run (issue 14; `make eval`).

    .venv/bin/python bench/eval_quality.py [--shared ../shared] [--sets dev,dragnet-train,neardup]
        [--paths text,html] [--limit N] [--work DIR] [--json]

Sets (a set whose folder is missing is skipped with a note: a clone without ../shared gets dev):
- dev: `eval/dev` (63 pages, in the repo), page dumps and HTML;
- dragnet-train: `<shared>/eval/dragnet-train` (965 pages of other sites, AGPL-3.0: read there,
  never copied), page dumps and HTML;
- neardup: every `<shared>/eval/neardup/*` repost set: the pairwise P/R/F1 of the dedup
  decisions (`bench/neardup_eval.py`'s metric and code), variants merged with their original,
  negatives (another article in the same frame) kept apart.

Per body set and input path: P/R/F1 with the benchmark's metric (`eval/score.py`; a page that
gave no record scores 0, a merged page is judged on the record it went into), F1 per gold length
band (< 100 / 100-500 / > 500 words) and per language (the project's `detect_language` of the
gold body), pages at F1 0, rejected and merged pages, and docs/s of the whole ingest (read,
clean, dedup, write; start-up included, so small sets read slow).

**These are in-sample figures.** The dump cleaner's line model, the HTML engine combiner and the
headline vote's weights were fitted on dev and dragnet-train pages. The site-grouped
cross-validated figures, the honest ones, are printed by `make train-cleaner` (dumps,
docs/learned-cleaner.md) and `make train-html-combine` (HTML, docs/html-extraction.md);
headlines by `bench/eval_headlines.py` (site half B held out).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scoring import BANDS, SCORE, by_group, summarise  # noqa: E402

from crawler.config import Settings  # noqa: E402
from crawler.extract.normalize import detect_language  # noqa: E402
from crawler.run.ingest import run_ingest  # noqa: E402

BODY_SETS = ("dev", "dragnet-train")
SUFFIX = {"text": ".txt", "html": ".html"}


def set_folder(name: str, shared: Path) -> Path:
    return ROOT / "eval" / "dev" if name == "dev" else shared / "eval" / name


def inputs(folder: Path, path: str, limit: int | None, scratch: Path) -> tuple[Path, list[str]]:
    """The folder to ingest and its page ids: the first `limit` pages (by id) copied into
    `scratch` when a limit is given (the readers refuse symbolic links)."""
    files = sorted(p for p in (folder / path).iterdir() if p.suffix == SUFFIX[path])
    if limit is None:
        return folder / path, [p.stem for p in files]
    scratch.mkdir(parents=True)
    for p in files[:limit]:
        shutil.copyfile(p, scratch / p.name)
    return scratch, [p.stem for p in files[:limit]]


def body_scores(
    folder: Path,
    path: str,
    gold: dict[str, str],
    langs: dict[str, str],
    limit: int | None,
    work: Path,
) -> dict[str, Any]:
    """Ingest one input path of a labelled set and score its records."""
    source, ids = inputs(folder, path, limit, work / f"{path}-inputs")
    golds = {i: gold[i] for i in ids if i in gold}
    out = work / f"{path}-out"
    started = time.perf_counter()
    summary = run_ingest([str(source)], out, Settings())
    seconds = time.perf_counter() - started
    texts, _titles, _stats = SCORE.load_parquet(str(out), set(golds), "records/**/*.parquet")
    result = summarise(golds, texts)
    result["languages"] = by_group(golds, texts, langs)
    result.update(
        seconds=round(seconds, 2),
        docs_per_s=round(len(ids) / seconds, 1),
        rejected=summary.rejected,
        merged=summary.merged_exact + summary.merged_near,
    )
    return result


def neardup_scores(root: Path, work: Path) -> dict[str, Any]:
    """The dedup decisions on one repost set, as bench/neardup_eval.py makes them."""
    import neardup_eval as nd

    truth = json.loads((root / "truth.json").read_text("utf-8"))
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))
    key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:12]
    frame = nd.clean_set(root / "docs", work / f"neardup-{root.name}-{key}.parquet")
    pred = nd.predict(frame, Settings())
    p, r, f1 = nd.pairwise(pred, truth)
    classes = nd.per_class(pred, truth, manifest)
    return {
        "files": len(truth),
        "documents": len(frame),
        "P": p,
        "R": r,
        "F1": f1,
        "variants": classes.get("all variants", [0, 0]),
        "negatives_apart": classes.get("negative: kept apart", [0, 0]),
    }


def print_body(name: str, path: str, r: dict[str, Any]) -> None:
    bands = "  ".join(f"{b} {r[b]['F1']:.3f} (n={r[b]['n']})" for b in BANDS if b in r)
    print(
        f"{name:>13} {path:<4}  P {r['P']:.3f}  R {r['R']:.3f}  F1 {r['F1']:.3f}  "
        f"zeros {r['zero']}  rejected {r['rejected']}  merged {r['merged']}  "
        f"{r['n']} pages, {r['docs_per_s']} docs/s"
    )
    print(f"{'':>19}bands: {bands}")
    langs = "  ".join(f"{k} {v['F1']:.3f} (n={v['n']})" for k, v in r["languages"].items())
    print(f"{'':>19}languages: {langs}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--sets", default="dev,dragnet-train,neardup")
    parser.add_argument("--paths", default="text,html")
    parser.add_argument("--limit", type=int, help="the first N pages of each body set (by id)")
    parser.add_argument("--work", type=Path, help="keep the outputs here (default: a temp dir)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    sets = [s for s in args.sets.split(",") if s]
    paths = [p for p in args.paths.split(",") if p]
    unknown = [s for s in sets if s not in (*BODY_SETS, "neardup")]
    unknown += [p for p in paths if p not in SUFFIX]
    if unknown:
        parser.error(f"unknown set or path: {', '.join(unknown)}")
    report: dict[str, Any] = {"in_sample": True, "skipped": []}
    with tempfile.TemporaryDirectory(prefix="corpus-eval-") as tmp:
        work = args.work or Path(tmp)
        for name in [s for s in sets if s in BODY_SETS]:
            folder = set_folder(name, args.shared)
            if not (folder / "gold.json").is_file():
                report["skipped"].append(f"{name}: no {folder / 'gold.json'}")
                continue
            gold = {i: g["text"] for i, g in json.loads((folder / "gold.json").read_text()).items()}
            langs = {i: detect_language(t) or "?" for i, t in gold.items()}
            for path in paths:
                r = body_scores(folder, path, gold, langs, args.limit, work / name)
                report.setdefault(name, {})[path] = r
        if "neardup" in sets:
            roots = sorted((args.shared / "eval" / "neardup").glob("*/truth.json"))
            if not roots:
                report["skipped"].append(f"neardup: no {args.shared / 'eval' / 'neardup'}/*")
            for truth in roots:
                report[f"neardup/{truth.parent.name}"] = neardup_scores(truth.parent, work)
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print("in-sample figures (the learned parts were fitted on these pages; CV: see --help)")
    for name in BODY_SETS:
        for path, r in report.get(name, {}).items():
            print_body(name, path, r)
    for name, v in report.items():
        if name.startswith("neardup/"):
            (vm, vn), (na, nn) = v["variants"], v["negatives_apart"]
            apart = f"  negatives kept apart {na}/{nn}" if nn else ""
            print(
                f"{name}: {v['files']} files, {v['documents']} documents  pairwise P {v['P']:.3f}"
                f"  R {v['R']:.3f}  F1 {v['F1']:.3f}  variants merged {vm}/{vn}{apart}"
            )
    for note in report["skipped"]:
        print(f"skipped {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
