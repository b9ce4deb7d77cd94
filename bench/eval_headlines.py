"""Headline exact match of the record's `title`, HTML and page-dump paths, against hand labels.

    .venv/bin/python bench/eval_headlines.py [--shared ../shared] [--misses 20] [--half A]
        [--paths html,dump] [--json]
    .venv/bin/python bench/eval_headlines.py --cost [--rounds 3]

Gold: `eval/headlines/dragnet-train.json` (page id -> headline, labelled by hand; the pages are
read from `<shared>/eval/dragnet-train/{html,text}` and never copied here) and the seeds' golden
titles (`tests/golden/expected.jsonl`, dumps in `<shared>/seeds`). Pages labelled null (no
headline) count as a match when no title is given.

Prints, per input path, exact match and a normalized match (case, white space, quotes, dashes
and ellipses folded) on: all labelled pages, each of the two site halves (the labelled pages
split by site, deterministic: sha256 of the site key; half A is the one rules are developed
on, half B is held out), and the seeds. The title is the one the record gets: `chain.extract`
(the code `corpus ingest` runs) then the chain's one-line normalization; dumps are cleaned with
line statistics learned from every dump of the folder, as `corpus ingest <folder>` does.

For dumps it also prints the ceiling (pages whose headline is a whole line of the dump, or
inside one) and every miss by cause: not in the dump; in the dump but no candidate of the
vote (`boilerplate/headline_vote.py`: not headline-shaped); a candidate the vote ranked below
another; the right line with different characters or affixes.

`--cost`: CPU time (this process) of `clean_text` over every dragnet-train dump with the vote
and with the vote replaced by the rules' pick, interleaved rounds; prints ms per page.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lxml import html as lxml_html  # noqa: E402

from crawler.config import Settings  # noqa: E402
from crawler.extract.boilerplate import LineStats, clean_text, headline_vote  # noqa: E402
from crawler.extract.boilerplate.cleaner import HeadlineVote  # noqa: E402
from crawler.extract.chain import extract  # noqa: E402
from crawler.extract.normalize import normalize_line  # noqa: E402
from crawler.readers.files import RawInput  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from cleaner_features import default_eval  # noqa: E402

LABELS = ROOT / "eval" / "headlines" / "dragnet-train.json"
GOLDEN = ROOT / "tests" / "golden" / "expected.jsonl"
_FOLD = str.maketrans(
    {"‘": "'", "’": "'", "‚": "'", "′": "'", "“": '"', "”": '"', "„": '"', "″": '"',
     "–": "-", "—": "-", "‐": "-", "‑": "-", "\u00a0": " "}
)  # fmt: skip
_HOST_PREFIX = re.compile(r"^(?:www\d?|m|mobile|blog|blogs|news)\.")


def norm_title(text: str | None) -> str:
    """Case, white space, quotes, dashes and ellipses folded (the normalized match)."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).translate(_FOLD).replace("--", "-")
    return " ".join(text.replace("…", "...").casefold().split())


def site_key(html: str) -> str:
    """The page's site: host of its canonical / og:url, else the most linked absolute host."""
    try:
        tree = lxml_html.fromstring(html.encode("utf-8", "replace"))
    except Exception:
        return "?"
    urls = [str(e.get("href")) for e in tree.iter("link") if "canonical" in (e.get("rel") or "")]
    urls += [str(e.get("content")) for e in tree.iter("meta") if e.get("property") == "og:url"]
    hosts = [urlsplit(u.strip()).hostname or "" for u in urls if u]
    hosts = [h for h in hosts if h]
    if not hosts:
        counts: dict[str, int] = {}
        for a in tree.iter("a"):
            host = urlsplit(str(a.get("href") or "").strip()).hostname or ""
            if host:
                counts[host] = counts.get(host, 0) + 1
        hosts = sorted(counts, key=lambda h: (-counts[h], h))[:1]
    if not hosts:
        return "?"
    host = _HOST_PREFIX.sub("", hosts[0].lower())
    parts = host.split(".")  # the registrable part, roughly: "nytimes.com", "bbc.co.uk"
    keep = 3 if len(parts) >= 3 and len(parts[-1]) == 2 and len(parts[-2]) <= 3 else 2
    return ".".join(parts[-keep:])


def half_of(site: str) -> str:
    """'A' (develop) or 'B' (held out), fixed by the site's name."""
    return "A" if hashlib.sha256(site.encode()).digest()[0] % 2 == 0 else "B"


def record_title(kind: str, uri: str, text: str, stats: LineStats | None) -> str | None:
    """The title the record gets for one input."""
    raw = RawInput(source_uri=uri, kind=kind, text=text, size_bytes=len(text))
    try:
        found = extract(raw, Settings(), stats)
    except Exception:
        return None
    title = normalize_line(found.meta.title) if found.meta.title else None
    return title or None


def capture(text: str, stats: LineStats | None) -> tuple[dict[int, dict[str, float]], list[str]]:
    """The headline vote's candidates and features on one dump, as `clean_text` computes
    them (position -> feature -> value), and the texts of the analysed lines."""
    got: dict[str, Any] = {}

    def spy(lines: Sequence[Any], start: int, end: int, sect: set[int], nav: set[int],
            chosen: int | None) -> int | None:  # fmt: skip
        got["rows"] = headline_vote.features(lines, start, end, sect, nav, chosen)
        got["texts"] = [ln.f.text for ln in lines]
        return headline_vote.pick(lines, start, end, sect, nav, chosen)

    clean_text(text, stats, vote=spy)
    return got.get("rows", {}), got.get("texts", [])


def miss_cause(label: str | None, dump: str, stats: LineStats | None) -> str:
    """Why the dump path missed `label` (see the module doc)."""
    if label is None:
        return "no headline on the page (a title was given)"
    rows, texts = capture(dump, stats)
    if label not in texts:
        if any(label in t for t in texts):
            return "in the dump only inside a longer line"
        return "not in the dump"
    if not any(texts[k] == label for k in rows):
        return "in the dump, not headline-shaped (no candidate)"
    return "a candidate, ranked below another line"


def ceiling(label: str | None, dump: str) -> str:
    lines = {normalize_line(s) for s in dump.split("\n")}
    if label is None:
        return "null label"
    if label in lines:
        return "whole line"
    return "inside a line" if any(label in s for s in lines) else "absent"


def cost(root: Path, rounds: int) -> int:
    """CPU ms per page of clean_text with and without the headline vote (module doc)."""
    texts = [p.read_text("utf-8", "replace") for p in sorted((root / "text").glob("*.txt"))]
    stats = LineStats()
    for text in texts:
        stats.add(text)

    def rules_only(lines: Sequence[Any], start: int, end: int, sect: set[int], nav: set[int],
                   chosen: int | None) -> int | None:  # fmt: skip
        return chosen

    spent: dict[str, list[float]] = {"vote": [], "rules": []}
    votes: dict[str, HeadlineVote | None] = {"rules": rules_only, "vote": None}
    for _ in range(rounds):
        for name, vote in votes.items():
            t0 = time.process_time()
            for text in texts:
                clean_text(text, stats, vote=vote)
            spent[name].append((time.process_time() - t0) * 1000 / len(texts))
    best = {k: min(v) for k, v in spent.items()}
    print(
        f"{len(texts)} dumps, best of {rounds} rounds, CPU ms/page: rules' pick "
        f"{best['rules']:.2f}, vote {best['vote']:.2f}, extra {best['vote'] - best['rules']:.2f} "
        f"({best['vote'] / best['rules']:.3f}x)"
    )
    return 0


def _score(pairs: list[tuple[str | None, str | None]]) -> tuple[float, float]:
    n = len(pairs) or 1
    exact = sum((p or None) == (g or None) for p, g in pairs)
    normed = sum(norm_title(p) == norm_title(g) for p, g in pairs)
    return exact / n, normed / n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--shared", default=str(default_eval().parent), help="../shared folder")
    ap.add_argument("--paths", default="html,dump", help="input paths to score: html,dump")
    ap.add_argument("--misses", type=int, default=0, help="print this many misses per path")
    ap.add_argument("--half", choices=["A", "B"], help="misses of this half only")
    ap.add_argument("--json", action="store_true", help="one JSON object instead of tables")
    ap.add_argument("--cost", action="store_true", help="CPU ms per page with / without the vote")
    ap.add_argument("--rounds", type=int, default=3, help="--cost: interleaved rounds")
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    shared = Path(args.shared)
    root = shared / "eval" / "dragnet-train"
    if args.cost:
        return cost(root, args.rounds)
    labels: dict[str, str | None] = json.loads(LABELS.read_text("utf-8"))
    htmls = {i: (root / "html" / f"{i}.html").read_text("utf-8", "replace") for i in labels}
    sites = {i: site_key(h) for i, h in htmls.items()}
    halves = {i: half_of(s) for i, s in sites.items()}

    stats = LineStats()
    for path in sorted((root / "text").glob("*.txt")):
        stats.add(path.read_text("utf-8", "replace"))
    paths = [p.strip() for p in args.paths.split(",") if p.strip() in ("html", "dump")]
    preds: dict[str, dict[str, str | None]] = {p: {} for p in paths}
    dumps = {i: (root / "text" / f"{i}.txt").read_text("utf-8", "replace") for i in labels}
    for i in labels:
        if "html" in preds:
            preds["html"][i] = record_title(
                "html", str(root / "html" / f"{i}.html"), htmls[i], None
            )
        if "dump" in preds:
            preds["dump"][i] = record_title(
                "text", str(root / "text" / f"{i}.txt"), dumps[i], stats
            )

    seed_stats = LineStats()
    seed_texts = {p.name: p.read_text("utf-8") for p in sorted((shared / "seeds").glob("*.txt"))}
    for text in seed_texts.values():
        seed_stats.add(text)
    seeds: list[tuple[str | None, str | None]] = []
    seed_misses = []
    for line in GOLDEN.read_text("utf-8").splitlines():
        gold = json.loads(line)
        got = record_title("text", gold["keep"], seed_texts[gold["keep"]], seed_stats)
        seeds.append((got, gold["title"]))
        if got != gold["title"]:
            seed_misses.append((gold["keep"], got, gold["title"]))

    out: dict[str, object] = {
        "pages": len(labels),
        "sites": {h: len({sites[i] for i in labels if halves[i] == h}) for h in "AB"},
    }
    for kind, by_id in preds.items():
        for name in ("all", "A", "B"):
            ids = [i for i in labels if name in ("all", halves[i])]
            exact, normed = _score([(by_id[i], labels[i]) for i in ids])
            out[f"{kind}/{name}"] = {"n": len(ids), "exact": exact, "normalized": normed}
    exact, normed = _score(seeds)
    out["seeds"] = {"n": len(seeds), "exact": exact, "normalized": normed}
    if "dump" in preds:
        for name in ("all", "A", "B"):
            ids = [i for i in labels if name in ("all", halves[i])]
            out[f"dump ceiling/{name}"] = dict(Counter(ceiling(labels[i], dumps[i]) for i in ids))
            causes = Counter(
                "right line, other characters or affixes"
                if norm_title(preds["dump"][i]) == norm_title(labels[i])
                else miss_cause(labels[i], dumps[i], stats)
                for i in ids
                if preds["dump"][i] != labels[i]
            )
            out[f"dump misses by cause/{name}"] = dict(causes.most_common())
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    print(f"{len(labels)} labelled pages; sites per half: {out['sites']}")
    print(f"{'set':10s} {'n':>4s} {'exact':>6s} {'normalized':>10s}")
    for key, val in out.items():
        if isinstance(val, dict) and "n" in val:
            print(f"{key:10s} {val['n']:4d} {val['exact']:6.3f} {val['normalized']:10.3f}")
    for key, val in out.items():
        if key.startswith("dump ") and isinstance(val, dict):
            print(f"{key}: " + ", ".join(f"{k} {v}" for k, v in val.items()))
    for keep_name, got_by in preds.items():
        shown = 0
        for i in labels:
            if shown >= args.misses:
                break
            if args.half and halves[i] != args.half:
                continue
            if got_by[i] != labels[i]:
                shown += 1
                print(
                    f"- {keep_name} {i[:12]} [{sites[i]}] got {got_by[i]!r}\n    want {labels[i]!r}"
                )
    for keep, got_t, want in seed_misses:
        print(f"- seed {keep}: got {got_t!r} want {want!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
