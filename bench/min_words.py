"""What a record needs: the words the chain leaves on real short articles against what it leaves
on pages that are no article, for a range of `min_words` floors, and what the record rule
(crawler/filters/: `soft_404`, and `too_short` unless the page shows it is an article) makes
of each group.

    .venv/bin/python bench/min_words.py [EVAL_DIR]

Runs `crawler.extract.chain.process` (its filters taken off, then applied on their own) over
every page of EVAL_DIR's `dev` and `dragnet-train` (read in place, never copied: dragnet-train
is AGPL), the listing pages bench/pagetype_real.py generates around them and the fixture site's
listings, and, made from 150 real pages per set (their chrome kept, their article taken out):
soft-404 pages ("Sorry, the page you are looking for could not be found...") and chrome-only
pages. For each floor it prints how many articles under 30 words a lower floor would keep (and
how much of their gold body the kept text holds: token F1), and how many of the other pages it
would let through. Then the record rule at the default settings: records per group, the
dragnet-train articles per site half (halves by site as in bench/eval_headlines.py;
docs/quality.md says which one the rule was developed on), and the same for the page dumps
(`text/`) and for dumps of the soft-404 and chrome-only pages (their text, one line per text
node).
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
from eval_headlines import half_of, site_key  # noqa: E402
from pagetype_real import _default_eval, build_eval_site, fixture_listings, in_real_chrome  # noqa: E402

from crawler.config import Settings  # noqa: E402
from crawler.errors import Drop  # noqa: E402
from crawler.extract import chain  # noqa: E402
from crawler.filters.registry import apply_filters  # noqa: E402
from crawler.model import Document  # noqa: E402
from crawler.readers.decode import decode_bytes  # noqa: E402
from crawler.readers.files import RawInput  # noqa: E402

SOFT_404 = (
    "<p>Sorry, the page you are looking for could not be found. It may have been moved or "
    "deleted.</p><p><a href='/'>Go to the home page</a></p>"
)
FLOORS = (5, 10, 15, 20, 25, 30)
_WORD = re.compile(r"\w+")


def _unfiltered(doc: Document, settings: Settings) -> Document:
    return doc


# the bench applies the filters itself, after counting the words
setattr(chain, "apply_filters", _unfiltered)  # noqa: B010


def judge(raw: RawInput) -> tuple[int, str, str]:
    """Words the chain keeps of an input (-1 when it keeps nothing), its text, and what the
    record rule at the default settings makes of it ("record" or the reject reason)."""
    try:
        doc = chain.process(raw, Settings(min_words=0))
    except Drop as drop:
        return -1, "", str(drop.reason)
    try:
        apply_filters(doc, Settings())
    except Drop as drop:
        return doc.word_count, doc.text, str(drop.reason)
    return doc.word_count, doc.text, "record"


def html_input(body: bytes, url: str) -> RawInput:
    return RawInput(url, "html", decode_bytes(body, html=True), len(body), crawled=True)


def dump_of(page: str) -> str:
    """A page dump of an HTML page: its visible text, one line per text node."""
    tree = lxml.html.document_fromstring(page)
    for junk in tree.xpath("//script|//style|//noscript|//head"):
        junk.getparent().remove(junk)
    lines = (" ".join(t.split()) for t in tree.xpath("//text()"))
    return "\n".join(line for line in lines if line)


def token_f1(got: str, gold: str) -> float:
    a, b = Counter(_WORD.findall(got.lower())), Counter(_WORD.findall(gold.lower()))
    common = sum((a & b).values())
    if not common:
        return 0.0
    p, r = common / sum(a.values()), common / sum(b.values())
    return 2 * p * r / (p + r)


def collect(eval_dir: Path) -> list[dict[str, Any]]:
    rng = random.Random(5)
    rows: list[dict[str, Any]] = []
    for name in ("dev", "dragnet-train"):
        site = build_eval_site(eval_dir, name)
        gold = json.loads((eval_dir / name / "gold.json").read_text("utf-8"))
        donors = []
        for path, (body, kind) in site.pages.items():
            url = f"http://127.0.0.1{path}"
            n, text, verdict = judge(html_input(body, url))
            row: dict[str, Any] = {"group": kind, "set": name, "words": n, "verdict": verdict}
            if kind == "article":
                page_id = path.removeprefix("/a/").removesuffix(".html")
                donors.append(lxml.html.document_fromstring(body))
                row["f1"] = token_f1(text, gold[page_id]["text"])
                row["id"] = page_id
                row["half"] = half_of(site_key(decode_bytes(body, html=True)))
                dump = eval_dir / name / "text" / f"{page_id}.txt"
                if dump.is_file():
                    raw = dump.read_text("utf-8", "replace")
                    n_d, _, verdict_d = judge(RawInput(f"file:///{page_id}.txt", "text", raw, 0))
                    rows.append(
                        {"group": "article", "set": f"{name} dumps", "words": n_d,
                         "verdict": verdict_d, "id": page_id, "half": row["half"]}
                    )  # fmt: skip
            rows.append(row)
        for i, donor in enumerate(rng.sample(donors, min(150, len(donors)))):
            for group, title, inner in (
                ("soft-404", "Page not found", SOFT_404),
                ("chrome-only", "", ""),
            ):
                page = in_real_chrome(donor, title, inner)
                if not page:
                    continue
                url = f"http://127.0.0.1/{group}/{i}"
                n, _, verdict = judge(html_input(page.encode(), url))
                rows.append({"group": group, "set": name, "words": n, "verdict": verdict})
                dumped = RawInput(f"file:///{group}-{i}.txt", "text", dump_of(page), 0)
                n, _, verdict = judge(dumped)
                rows.append(
                    {"group": group, "set": f"{name} dumps", "words": n, "verdict": verdict}
                )
    for path, (body, _) in fixture_listings().items():
        n, _, verdict = judge(html_input(body, f"http://127.0.0.1{path}"))
        rows.append({"group": "listing", "set": "fixture", "words": n, "verdict": verdict})
    return rows


def floors(rows: list[dict[str, Any]]) -> None:
    """The word counts alone, for a range of floors (HTML)."""
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


def record_rule(rows: list[dict[str, Any]], dumps: bool) -> None:
    """What the filters at the default settings make of each group."""
    part = [r for r in rows if r["set"].endswith(" dumps") == dumps]
    print(f"\nrecord rule at the default settings ({'page dumps' if dumps else 'HTML'}):")
    groups = sorted({(r["group"], r["set"]) for r in part})
    for group, name in groups:
        of = [r for r in part if r["group"] == group and r["set"] == name]
        kept = sum(r["verdict"] == "record" for r in of)
        why = Counter(r["verdict"] for r in of if r["verdict"] != "record")
        print(f"  {name:20} {group:12} records {kept}/{len(of)}  not: {dict(why)}")
        if group == "article" and name.startswith("dragnet-train"):
            for half in "AB":
                in_half = [r for r in of if r["half"] == half]
                ok = sum(r["verdict"] == "record" for r in in_half)
                print(f"    site half {half}: records {ok}/{len(in_half)}")
            for r in of:
                if r["verdict"] != "record" and r["words"] > 0:
                    print(f"    not a record: {r['id'][:8]} ({r['half']}) {r['words']} words "
                          f"{r['verdict']}")  # fmt: skip


def main() -> int:
    eval_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else _default_eval()
    rows = collect(eval_dir)
    floors([r for r in rows if not r["set"].endswith(" dumps")])
    record_rule(rows, dumps=False)
    record_rule(rows, dumps=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
