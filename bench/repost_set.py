"""A near-dup truth set of reposts made from ../shared/eval/dragnet-train, with perturbations
that neardup/* does not have, and negatives (different articles in one frame).

    .venv/bin/python bench/repost_set.py --out /tmp/reposts \
        [--pages ../shared/eval/dragnet-train] [--seed 14] [--n 150] [--negatives 40]
    .venv/bin/python bench/neardup_eval.py /tmp/reposts

Deterministic for a seed. The pages are AGPL third-party text: the set is written OUTSIDE the
repository (refused inside it). Layout as ../shared/eval/neardup/*: `docs/*.txt`, `truth.json`
(file -> cluster), `manifest.json` (file -> role, cluster, frame_from, perturbations).

A frame is another page's dump with its own article (the lines of its gold body, first to last)
replaced by the repost's headline and body. Per cluster: the article's own dump (`original`)
and one or two `variant`s, each in a frame of another page and with one perturbation class:

- `frame_only`: the body as is;
- `partial`: only the first 35-60% of its paragraphs (a partial repost);
- `quotes_altered`: the words inside quotation marks changed (a quote translated again or
  misquoted: one word in three replaced, the rest kept);
- `update_added`: an "Update:" paragraph (from another article) before or after the body;
- `two_frames`: the same article in two different frames (two variants).

Negatives: a frame page (`original`, its own cluster) and two other articles wrapped in its
frame (`negative`, each its own cluster, their own pages left out): only the frame is shared.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

from crawler.extract.normalize import tokens

REPO = Path(__file__).resolve().parent.parent
CLASSES = ("frame_only", "partial", "quotes_altered", "update_added", "two_frames")
_QUOTED = re.compile(r"([\"“])([^\"“”]{3,400})([\"”])")


def key(line: str) -> str:
    return " ".join(tokens(line))


class Page:
    """One dragnet-train page: its dump lines, its gold paragraphs, where the body sits."""

    def __init__(self, pid: str, dump: str, gold: str) -> None:
        self.id = pid
        self.lines = dump.split("\n")
        self.body = [p.strip() for p in gold.split("\n") if p.strip()]
        gold_keys = {key(p) for p in self.body if len(tokens(p)) >= 4}
        hits = [i for i, line in enumerate(self.lines) if key(line) in gold_keys]
        self.span = (hits[0], hits[-1] + 1) if len(hits) >= max(1, len(gold_keys) // 2) else None
        self.headline = ""
        if self.span and self.span[0] > 0:
            before = self.lines[self.span[0] - 1].strip()
            self.headline = before if 2 <= len(before.split()) <= 20 else ""

    @property
    def usable(self) -> bool:
        return self.span is not None and len(self.body) >= 2

    def framed(self, headline: str, body: list[str]) -> str:
        """This page's dump with its article replaced by headline and body."""
        assert self.span is not None
        start, end = self.span
        new = ([headline] if headline else []) + body
        return "\n".join(self.lines[:start] + new + self.lines[end:])


def alter_quotes(rng: random.Random, paragraphs: list[str], vocab: list[str]) -> list[str]:
    def alter(m: re.Match[str]) -> str:
        words = m.group(2).split()
        words = [rng.choice(vocab) if i % 3 == 1 else w for i, w in enumerate(words)]
        return m.group(1) + " ".join(words) + m.group(3)

    return [_QUOTED.sub(alter, p) for p in paragraphs]


def has_quotes(paragraphs: list[str]) -> bool:
    return any(_QUOTED.search(p) for p in paragraphs)


def perturb(rng: random.Random, cls: str, page: Page, other: Page, vocab: list[str]) -> list[str]:
    body = list(page.body)
    if cls == "partial":
        n = max(1, round(len(body) * rng.uniform(0.35, 0.6)))
        return body[:n]
    if cls == "quotes_altered":
        return alter_quotes(rng, body, vocab)
    if cls == "update_added":
        update = "Update: " + max(other.body, key=len)
        return [update, *body] if rng.random() < 0.5 else [*body, update]
    return body


def build(pages_dir: Path, out: Path, seed: int, n: int, negatives: int) -> dict[str, int]:
    gold = json.loads((pages_dir / "gold.json").read_text("utf-8"))
    pages = []
    for pid in sorted(gold):
        path = pages_dir / "text" / f"{pid}.txt"
        if path.exists():
            page = Page(pid, path.read_text("utf-8", errors="replace"), gold[pid]["text"] or "")
            if page.usable:
                pages.append(page)
    rng = random.Random(seed)
    rng.shuffle(pages)
    vocab = sorted({w for p in pages[:50] for para in p.body for w in para.split() if w.isalpha()})
    articles, frames = pages[:n], pages[n:]
    neg_frames, neg_articles = frames[:negatives], frames[negatives : 3 * negatives]
    frames = frames[3 * negatives :] or pages
    docs: list[tuple[str, str, dict[str, object]]] = []  # (text, cluster, manifest entry)
    for i, page in enumerate(articles):
        cls = CLASSES[i % len(CLASSES)]
        if cls == "quotes_altered" and not has_quotes(page.body):
            cls = "frame_only"
        docs.append(("\n".join(page.lines), page.id, {"role": "original"}))
        count = 2 if cls == "two_frames" else 1
        for frame in rng.sample(frames, count):
            other = rng.choice(pages)
            body = perturb(rng, cls, page, other, vocab)
            text = frame.framed(page.headline, body)
            entry: dict[str, object] = {"role": "variant", "frame_from": frame.id}
            entry["perturbations"] = [cls]
            docs.append((text, page.id, entry))
    for j, frame in enumerate(neg_frames):
        docs.append(("\n".join(frame.lines), frame.id, {"role": "original"}))
        for art in neg_articles[2 * j : 2 * j + 2]:
            text = frame.framed(art.headline, art.body)
            docs.append((text, art.id, {"role": "negative", "frame_from": frame.id}))
    order = list(range(len(docs)))
    rng.shuffle(order)
    (out / "docs").mkdir(parents=True, exist_ok=True)
    truth, manifest = {}, {}
    for k, idx in enumerate(order):
        text, cluster, entry = docs[idx]
        name = f"rp_{k:04d}.txt"
        (out / "docs" / name).write_text(text, "utf-8")
        truth[name] = cluster
        manifest[name] = {"cluster": cluster, **entry}
    (out / "truth.json").write_text(json.dumps(truth, indent=1), "utf-8")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1), "utf-8")
    return {"files": len(docs), "clusters": len(set(truth.values()))}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--pages", type=Path, default=Path("../shared/eval/dragnet-train"))
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--n", type=int, default=150, help="articles reposted")
    parser.add_argument("--negatives", type=int, default=40, help="frames with two articles")
    args = parser.parse_args()
    out = args.out.resolve()
    if out == REPO or REPO in out.parents:
        parser.error("write the set outside the repository (the pages are AGPL text)")
    if (out / "docs").exists():
        parser.error(f"{out}/docs exists: remove it or choose another --out")
    print(build(args.pages, out, args.seed, args.n, args.negatives))


if __name__ == "__main__":
    main()
