"""Fingerprint of the HTML path's output, to prove a speed change left it identical.

    .venv/bin/python bench/html_identity.py OUT.json [--sets DIR ...]
    .venv/bin/python bench/html_identity.py OUT.json --against BEFORE.json

For every HTML page of each set (default: eval/dev/html and ../shared/eval/dragnet-train/html,
read in place, never copied), run through the chain as an ingest runs it (`read_input`, then
`crawler.extract.chain.extract` with the default settings): sha256 of the paragraphs, of the
removed-lines audit, of the captions and of the page's article evidence, and the metadata
itself (title, publisher, authors, date, language, URL), or the reject reason. Writes them to
OUT.json; with --against, prints every page whose fingerprint differs (the metadata fields that
changed, old -> new) and exits 1 if any.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.config import Settings  # noqa: E402
from crawler.errors import Drop  # noqa: E402
from crawler.extract.chain import extract  # noqa: E402
from crawler.readers.files import read_input  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from clean_identity import _sha  # noqa: E402
from cleaner_features import default_eval  # noqa: E402

DEFAULT_SETS = [ROOT / "eval" / "dev" / "html", default_eval() / "dragnet-train" / "html"]


def fingerprint(path: Path, settings: Settings) -> dict[str, object]:
    """What the chain's extract stage gives for one page, hashed where long."""
    try:
        found = extract(read_input(path, settings.max_input_bytes), settings)
    except Drop as drop:
        return {"rejected": str(drop.reason)}
    m = found.meta
    return {
        "text": _sha(found.paragraphs),
        "removed": _sha([(r.line_no, r.text, r.reason) for r in found.removed]),
        "captions": _sha(found.captions),
        "title": m.title,
        "publisher": m.publisher,
        "authors": m.authors,
        "published_at": m.published_at.isoformat() if m.published_at else None,
        "date_text": m.date_text,
        "language": m.language,
        "url": m.url,
        "evidence": _sha(
            [
                str(found.evidence.declared_article),
                *found.evidence.headings,
                "|",
                *found.evidence.leads,
            ]
        )
        if found.evidence
        else None,
    }


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("out", type=Path)
    ap.add_argument("--sets", type=Path, nargs="+", default=DEFAULT_SETS)
    ap.add_argument("--against", type=Path, help="an earlier OUT.json to compare with")
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    settings = Settings()
    now = {
        f"{folder.parent.name}/{path.name}": fingerprint(path, settings)
        for folder in args.sets
        for path in sorted(folder.glob("*.html"))
    }
    args.out.write_text(json.dumps(now, indent=0, sort_keys=True), "utf-8")
    print(f"{len(now)} pages fingerprinted -> {args.out}")
    if args.against is None:
        return 0
    before = json.loads(args.against.read_text("utf-8"))
    diffs = 0
    for page in sorted(set(before) | set(now)):
        a, b = before.get(page) or {}, now.get(page) or {}
        if a != b:
            diffs += 1
            changed = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            shown = [
                k if k in ("text", "removed", "captions") else f"{k} {a.get(k)!r} -> {b.get(k)!r}"
                for k in changed
            ]
            print(f"DIFF {page}: {'; '.join(shown)}")
    print(f"{diffs} of {len(now)} pages differ from {args.against}")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
