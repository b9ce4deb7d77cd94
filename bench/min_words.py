"""What a record needs: the words the chain leaves on real short articles against what it leaves
on pages that are no article, for a range of `min_words` floors.

    .venv/bin/python bench/min_words.py [EVAL_DIR]

Runs `crawler.extract.chain.process` with min_words=0 over every page of EVAL_DIR's `dev` and
`dragnet-train` (read in place, never copied: dragnet-train is AGPL), the listing pages
bench/pagetype_real.py generates around them and the fixture site's listings, and, made from
150 real pages per set (their chrome kept, their article taken out): soft-404 pages ("Sorry,
the page you are looking for could not be found...") and chrome-only pages. For each floor it
prints how many articles under 30 words a lower floor would keep (and how much of their gold
body the kept text holds: token F1), and how many of the other pages it would let through.
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

import lxml.html  # noqa: E402
from pagetype_real import _default_eval, build_eval_site, fixture_listings, in_real_chrome  # noqa: E402

from crawler.config import Settings  # noqa: E402
from crawler.errors import Drop  # noqa: E402
from crawler.extract.chain import process  # noqa: E402
from crawler.readers.decode import decode_bytes  # noqa: E402
from crawler.readers.files import RawInput  # noqa: E402

SOFT_404 = (
    "<p>Sorry, the page you are looking for could not be found. It may have been moved or "
    "deleted.</p><p><a href='/'>Go to the home page</a></p>"
)
FLOORS = (5, 10, 15, 20, 25, 30)
_WORD = re.compile(r"\w+")


def words_left(body: bytes, url: str) -> tuple[int, str]:
    """Words the chain keeps of a page (-1 when it keeps nothing), and its text."""
    text = decode_bytes(body, html=True)
    try:
        doc = process(RawInput(url, "html", text, len(body), crawled=True), Settings(min_words=0))
    except Drop:
        return -1, ""
    return doc.word_count, doc.text


def token_f1(got: str, gold: str) -> float:
    a, b = Counter(_WORD.findall(got.lower())), Counter(_WORD.findall(gold.lower()))
    common = sum((a & b).values())
    if not common:
        return 0.0
    p, r = common / sum(a.values()), common / sum(b.values())
    return 2 * p * r / (p + r)


def main() -> int:
    eval_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else _default_eval()
    rng = random.Random(5)
    rows: list[dict[str, Any]] = []
    for name in ("dev", "dragnet-train"):
        site = build_eval_site(eval_dir, name)
        gold = json.loads((eval_dir / name / "gold.json").read_text("utf-8"))
        donors = []
        for path, (body, kind) in site.pages.items():
            n, text = words_left(body, f"http://127.0.0.1{path}")
            row: dict[str, Any] = {"group": kind, "set": name, "words": n}
            if kind == "article":
                donors.append(lxml.html.document_fromstring(body))
                row["f1"] = token_f1(
                    text, gold[path.removeprefix("/a/").removesuffix(".html")]["text"]
                )
            rows.append(row)
        for i, donor in enumerate(rng.sample(donors, min(150, len(donors)))):
            for group, title, inner in (
                ("soft-404", "Page not found", SOFT_404),
                ("chrome-only", "", ""),
            ):
                page = in_real_chrome(donor, title, inner)
                if page:
                    n, _ = words_left(page.encode(), f"http://127.0.0.1/{group}/{i}")
                    rows.append({"group": group, "set": name, "words": n})
    for path, (body, _) in fixture_listings().items():
        rows.append(
            {
                "group": "listing",
                "set": "fixture",
                "words": words_left(body, f"http://127.0.0.1{path}")[0],
            }
        )

    totals = Counter(r["group"] for r in rows)
    print("pages:", dict(totals))
    at_30 = Counter(r["group"] for r in rows if r["words"] >= 30)
    print("kept at min_words 30:", dict(at_30))
    short = [r for r in rows if r["group"] == "article" and 0 <= r["words"] < 30]
    print(
        f"articles the chain leaves 1-29 words of: {len(short)}; token F1 of that text with the "
        f"gold body: {sorted(round(r['f1'], 2) for r in short)}"
    )
    for floor in FLOORS:
        saved = sum(floor <= r["words"] for r in short)
        junk = Counter(
            r["group"] for r in rows if r["group"] != "article" and floor <= r["words"] < 30
        )
        print(
            f"min_words {floor:2}: articles kept more than at 30: {saved}/{len(short)}; "
            f"other pages let through more than at 30: {dict(junk)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
