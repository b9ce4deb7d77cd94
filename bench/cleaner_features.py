"""Line features, line labels and site groups for learning the dump cleaner's decisions
(issue 14). Research code for `bench/train_cleaner.py`: nothing in the product imports it.

- `site_key(html)`: the page's site from its HTML (canonical link, og:url, <base href>,
  else the most common host of its absolute links; blog platforms keep the sub-domain).
- `site_groups(...)`: pages grouped by site key, then merged with every page that shares
  at least `shared` distinct lines of >= 3 words with one of them (site networks share a
  template: cio.com / infoworld.com, SB Nation blogs, Gawker sites), so that a fold split
  by group never puts one template on both sides.
- `line_labels(lines, gold)`: a dump line is content when at least half of the 4-token
  shingles that contain one of its tokens (over the line's tokens plus the last 3 tokens
  of the previous line and the first 3 of the next) are in the gold body.
- `page_matrix(text, stats)`: one feature row per non-blank line: the line's own shape
  features and chrome reason, corpus recurrence, position, block context (the cleaner's
  run scores, navigation runs, story-list sections, best run), today's decision, and the
  same for neighbouring lines.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt

from crawler.extract.boilerplate import blocks, cleaner, learned
from crawler.extract.boilerplate.stats import LineStats
from crawler.reasons import Removed

TOKEN = re.compile(r"\w+")  # the metric's tokens (eval/score.py)

# ---------------------------------------------------------------------------- site groups

_META = (
    re.compile(r"<link\b[^>]*\brel=[\"']?canonical[\"']?[^>]*>", re.I),
    re.compile(r"<meta\b[^>]*\bproperty=[\"']?og:url[\"']?[^>]*>", re.I),
    re.compile(r"<base\b[^>]*>", re.I),
)
_HREF = re.compile(r"\b(?:href|content)=[\"']?([^\"'\s>]+)", re.I)
_ABS_LINK = re.compile(r"<a\b[^>]*\bhref=[\"']?(https?://[^\"'\s>/]+)", re.I)
_PLATFORMS = ("blogspot.com", "typepad.com", "wordpress.com", "tumblr.com", "blogs.com", "go.com")
_SECOND_LEVEL = frozenset(("co", "com", "org", "net", "ac", "gov"))
_SHARED_HOSTS = frozenset(
    [
        "facebook.com",
        "twitter.com",
        "google.com",
        "feedburner.com",
        "addthis.com",
        "linkedin.com",
        "digg.com",
        "stumbleupon.com",
        "reddit.com",
        "delicious.com",
        "youtube.com",
        "pinterest.com",
        "tumblr.com",
        "wordpress.org",
        "disqus.com",
        "feedblitz.com",
        "technorati.com",
        "apple.com",
        "adobe.com",
        "doubleclick.net",
        "w3.org",
        "creativecommons.org",
        "amazon.com",
        "flickr.com",
    ]
)


def host_key(url: str) -> str:
    """Registrable domain of a URL ("www.nytimes.com" -> "nytimes.com"; "x.co.uk" kept
    with three labels); sub-domains of blog platforms are sites of their own."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
    host = host.removeprefix("www.")
    if any(host.endswith("." + p) for p in _PLATFORMS):
        return host
    parts = host.split(".")
    if len(parts) > 2 and len(parts[-1]) == 2 and parts[-2] in _SECOND_LEVEL:
        return ".".join(parts[-3:])
    return ".".join(parts[-2:])


def site_key(html: str) -> tuple[str, str]:
    """(site key, where it came from: canonical / og:url / base / links / none)."""
    for name, rx in zip(("canonical", "og:url", "base"), _META, strict=True):
        for m in rx.finditer(html):
            href = _HREF.search(m.group(0))
            if href and href.group(1).startswith("http"):
                key = host_key(href.group(1))
                if key:
                    return key, name
    hosts = Counter(host_key(u) for u in _ABS_LINK.findall(html))
    for shared in (*_SHARED_HOSTS, ""):
        hosts.pop(shared, None)
    if hosts:
        return min(hosts.items(), key=lambda kv: (-kv[1], kv[0]))[0], "links"
    return "", "none"


def _template_lines(text: str) -> set[str]:
    return {" ".join(s.lower().split()) for s in text.split("\n") if len(s.split()) >= 3}


def site_groups(
    keys: dict[str, str], texts: dict[str, str], shared: int = 3, max_df: int = 40
) -> dict[str, str]:
    """Page id -> group id: same site key, or >= `shared` common lines (union-find)."""
    parent = {i: i for i in keys}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    first: dict[str, str] = {}
    for i in sorted(keys):
        if keys[i]:
            union(i, first.setdefault(keys[i], i))
    pages_of: dict[str, list[str]] = {}
    for i in sorted(texts):
        for line in _template_lines(texts[i]):
            pages_of.setdefault(line, []).append(i)
    pairs: Counter[tuple[str, str]] = Counter()
    for ids in pages_of.values():
        if 2 <= len(ids) <= max_df:
            pairs.update((a, b) for n, a in enumerate(ids) for b in ids[n + 1 :])
    for (a, b), c in sorted(pairs.items()):
        if c >= shared:
            union(a, b)
    return {i: find(i) for i in keys}


def assign_folds(groups: dict[str, str], k: int) -> dict[str, int]:
    """Page id -> fold: whole groups, largest first, each to the smallest fold so far."""
    members: dict[str, list[str]] = {}
    for i, g in sorted(groups.items()):
        members.setdefault(g, []).append(i)
    sizes = [0] * k
    fold: dict[str, int] = {}
    for g in sorted(members, key=lambda g: (-len(members[g]), g)):
        f = min(range(k), key=lambda x: (sizes[x], x))
        sizes[f] += len(members[g])
        for i in members[g]:
            fold[i] = f
    return fold


# --------------------------------------------------------------------------------- labels


def _shingles(tokens: Sequence[str]) -> list[tuple[str, ...]]:
    if len(tokens) < 4:
        return [tuple(tokens)] if tokens else []
    return [tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3)]


def line_labels(texts: Sequence[str], gold: str) -> npt.NDArray[np.float64]:
    """1.0 for a content line, 0.0 otherwise, NaN for a line without a metric token."""
    gold_sh = set(_shingles(TOKEN.findall(gold)))
    gold_tok = set(TOKEN.findall(gold))
    toks = [TOKEN.findall(t) for t in texts]
    out = np.full(len(texts), np.nan)
    for k, own in enumerate(toks):
        if not own:
            continue
        before = [t for j in range(k - 1, -1, -1) for t in toks[j][::-1]][:3][::-1]
        after = [t for j in range(k + 1, len(toks)) for t in toks[j]][:3]
        window = before + own + after
        if len(window) < 4:
            out[k] = float(all(t in gold_tok for t in own))
            continue
        lo, hi = len(before), len(before) + len(own)  # own tokens are window[lo:hi]
        sh = [
            tuple(window[i : i + 4])
            for i in range(len(window) - 3)
            if i < hi and i + 4 > lo  # the shingle contains one of the line's tokens
        ]
        out[k] = float(sum(s in gold_sh for s in sh) >= 0.5 * len(sh))
    return out


# ------------------------------------------------------------------------------- features


@dataclass(frozen=True)
class PageRows:
    """Feature rows of one page's non-blank lines, with their texts and today's decision."""

    texts: list[str]  # normalised line texts, in order
    x: npt.NDArray[np.float64]  # (lines, features)
    kept: npt.NDArray[np.bool_]  # today's cleaner keeps the line


def feature_names() -> list[str]:
    return learned.feature_names()


def page_matrix(text: str, stats: LineStats | None) -> PageRows:
    """Feature rows of one dump: the product's own rows (`crawler.extract.boilerplate.learned`)
    over the rules' analysis, with today's (rules-only) decision."""
    raw = text.split("\n")
    lines = cleaner._analyse(raw, stats)
    if not lines:
        return PageRows([], np.zeros((0, len(feature_names()))), np.zeros(0, dtype=bool))
    nav = blocks.navigation_runs(lines)
    start, end, sect = cleaner._body_span(lines, "dump", nav)
    result = cleaner.clean_text(text, stats, learned=False)
    reason_of = {r.line_no: Removed(r.reason) for r in result.removed}
    reasons = {k: reason_of[ln.no] for k, ln in enumerate(lines) if ln.no in reason_of}
    x = learned.line_rows(lines, stats, (start, end), sect, nav, reasons)
    kept = np.array([k not in reasons for k in range(len(lines))])
    return PageRows([ln.f.text for ln in lines], x, kept)


def default_eval() -> Path:
    """`../shared/eval` of the checkout (or of the main checkout, seen from a worktree)."""
    root = Path(__file__).resolve().parents[1]
    for up in (root.parent, root.parent.parent):
        if (up / "shared" / "eval").is_dir():
            return up / "shared" / "eval"
    return root.parent / "shared" / "eval"


def read_texts(folder: Path, ids: Iterable[str]) -> dict[str, str]:
    return {i: (folder / f"{i}.txt").read_text("utf-8") for i in ids}
