"""Fingerprint of the text path's output, to prove a speed change left it identical.

    .venv/bin/python bench/clean_identity.py OUT.json [--sets DIR ...] [--code CHECKOUT]
    .venv/bin/python bench/clean_identity.py OUT.json --against BEFORE.json

Old code against new, in two runs (the old checkout needs no venv of its own):

    git archive main | tar -x -C /tmp/main-code
    .venv/bin/python bench/clean_identity.py /tmp/before.json --code /tmp/main-code
    .venv/bin/python bench/clean_identity.py /tmp/after.json --against /tmp/before.json

For every page dump of each set (default: eval/dev/text and ../shared/eval/dragnet-train/text,
read in place, never copied), with `LineStats` over the set first as an ingest learns them:
sha256 of the cleaned paragraphs, of the removed-lines audit (line number, text, reason), of the
metadata and captions, and the detected language of the cleaned text (`detect_language`). Writes
them to OUT.json; with --against, prints every page whose fingerprint differs and exits 1 if any.
--code: the cleaner of another checkout (its `crawler` package) instead of this one. Prints
whether the cleaner ran compiled (`make setup`'s mypyc build) or as plain Python
(CORPUS_PURE_PYTHON=1 forces the latter; both must give the same fingerprints).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE = Path(sys.argv[sys.argv.index("--code") + 1]) if "--code" in sys.argv[:-1] else ROOT
sys.path.insert(0, str(CODE.resolve()))

from crawler.extract.boilerplate import LineStats, clean_text, native  # noqa: E402
from crawler.extract.normalize import detect_language, normalize_text  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from cleaner_features import default_eval  # noqa: E402

DEFAULT_SETS = [ROOT / "eval" / "dev" / "text", default_eval() / "dragnet-train" / "text"]


def _sha(value: object) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False).encode()).hexdigest()[:20]


def fingerprints(folder: Path) -> dict[str, dict[str, str | None]]:
    """Per page of `folder`: hashes of what the cleaner returned, and the detected language."""
    texts = {p.name: p.read_text("utf-8", "replace") for p in sorted(folder.iterdir())}
    stats = LineStats()
    for text in texts.values():
        stats.add(text)
    out: dict[str, dict[str, str | None]] = {}
    for name, text in texts.items():
        r = clean_text(text, stats)
        removed = [(x.line_no, x.text, x.reason) for x in r.removed]
        out[f"{folder.parent.name}/{name}"] = {
            "text": _sha(r.paragraphs),
            "removed": _sha(removed),
            "meta": _sha([r.meta.title, r.meta.publisher, r.meta.authors, r.meta.date_text]),
            "captions": _sha(r.captions),
            "language": detect_language(normalize_text(r.paragraphs)),
        }
    return out


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("out", type=Path)
    ap.add_argument("--sets", type=Path, nargs="+", default=DEFAULT_SETS)
    ap.add_argument("--against", type=Path, help="an earlier OUT.json to compare with")
    ap.add_argument("--code", type=Path, help="the checkout whose cleaner to run (default: this)")
    args = ap.parse_args()
    state = "compiled" if native.ACTIVE else "plain Python"
    print(f"cleaner of {CODE.resolve()} ({state})")
    now: dict[str, dict[str, str | None]] = {}
    for folder in args.sets:
        now |= fingerprints(folder)
    args.out.write_text(json.dumps(now, indent=0, sort_keys=True), "utf-8")
    print(f"{len(now)} pages fingerprinted -> {args.out}")
    if args.against is None:
        return 0
    before = json.loads(args.against.read_text("utf-8"))
    diffs = 0
    for page in sorted(set(before) | set(now)):
        a, b = before.get(page), now.get(page)
        if a != b:
            diffs += 1
            fields = sorted(k for k in (a or {}) if (b or {}).get(k) != (a or {}).get(k))
            langs = f" language {a and a.get('language')} -> {b and b.get('language')}"
            print(f"DIFF {page}: {', '.join(fields)}" + (langs if "language" in fields else ""))
    print(f"{diffs} of {len(now)} pages differ from {args.against}")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
