"""Two main-content engines, one article: trafilatura's or readability-lxml's, chosen per page by
a small learned model (issue 14, "HTML beyond one engine").

trafilatura (with the project's cleaning, `crawler.extract.html`) and readability-lxml fail on
different pages: trafilatura drops a short article for a longer boilerplate block or keeps a
teaser list; readability takes a whole container, comments and all, or a sidebar. Which one
is right shows in what they extracted: how much each has, how much of it the other engine
also has, how much of each reads as prose (sentence ends, function words, few short lines)
and how much of readability's text the dump cleaner (`crawler.extract.boilerplate`) keeps.
Small gradient-boosted trees over those page figures (`page_row`, parameters in
`combine_model.json`, trained by `bench/train_html_combine.py` on Dragnet's training split,
AGPL-3.0, and eval/dev, MIT) says when readability's article is the better one; otherwise
trafilatura's stays. A per-line merge of the two was measured and lost to both engines
(docs/quality.md). Deterministic; numpy only at run time.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from lxml.etree import XPath
from lxml.html import HtmlElement

from crawler.extract.boilerplate import clean_text
from crawler.extract.boilerplate.stopwords import STOP_WORDS

Arr = npt.NDArray[np.float64]
MODEL_PATH = Path(__file__).with_name("combine_model.json")
TOKEN = re.compile(r"\w+")  # the metric's tokens (eval/score.py)
_SENTENCE_END = re.compile(r"[.!?。！？…\"'”’)»]\s*$")
_SHORT_LINE = 8  # tokens: a line shorter than this is a heading, link or label, not prose
_CLIP = 5.0  # standardised values are clipped, as in training (bench/line_models.py)
_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "td", "div")
_SIDE = ("log_tokens", "log_lines", "sentence_end_share", "stop_share", "short_share", "top_line")
FEATURES = (
    *(f"a_{f}" for f in _SIDE),
    *(f"b_{f}" for f in _SIDE),
    "a_in_b",
    "b_in_a",
    "log_shingle_ratio",
    "b_cleaner_kept",
)


SECOND_BELOW_TOKENS = 300
"""readability is run only when trafilatura's article is shorter than this (metric tokens):
above it readability was taken on few pages and gained nothing measurable (0.919 vs 0.918
on dragnet-train, CV), and it costs about as much as the whole trafilatura path."""


@cache
def _readability_document() -> type:
    """readability-lxml's Document, reading a tree the caller parsed: no link rewriting (the
    article's text is all we keep; rewriting every link was a quarter of readability's time)."""
    from lxml_html_clean import Cleaner
    from readability import Document
    from readability.readability import REGEXES

    cleaner = Cleaner(  # readability.cleaners.html_cleaner, but javascript=False (links only)
        scripts=True,
        javascript=False,
        comments=True,
        style=True,
        links=True,
        meta=False,
        add_nofollow=False,
        page_structure=False,
        processing_instructions=True,
        embedded=False,
        frames=False,
        forms=False,
        annoying_tags=False,
        remove_unknown_tags=False,
        safe_attrs_only=False,
    )

    _quiet_readability_debug()
    # readability renames a <div> to <p> when none of its descendants' start tags matches this
    # regex in the serialized HTML of its children ("<p", "<div"... by prefix)
    block = re.fullmatch(r"<\(([a-z|]+)\)", REGEXES["divToPElementsRe"].pattern)
    block_prefixes = tuple(block[1].split("|")) if block else None
    unlikely = _matches(REGEXES["unlikelyCandidatesRe"])
    maybe = _matches(REGEXES["okMaybeItsACandidateRe"])

    class TreeDocument(Document):  # type: ignore[misc]
        def __init__(
            self, input: HtmlElement, rebuild: Callable[[], HtmlElement] | None = None
        ) -> None:
            super().__init__(input)
            self.rebuild = rebuild
            self.passes = 0

        def _parse(self, input: HtmlElement) -> HtmlElement:
            self.encoding = "utf-8"
            self.passes += 1
            # with `rebuild`, the tree given is readability's own: its first pass cleans and
            # rewrites it in place, a second pass (rare) starts from a rebuilt one; without
            # it, every pass works on a copy (the library's way)
            if self.rebuild is not None and self.passes > 1:
                input = self.rebuild()
            for elem in input.xpath("//*[@hidden]"):
                elem.drop_tree()
            for elem in input.xpath("//*[@style]"):
                if REGEXES["displayNoneRe"].search(elem.get("style")):
                    elem.drop_tree()
            if self.rebuild is not None:
                cleaner(input)
                return input
            doc: HtmlElement = cleaner.clean_html(input)
            return doc

        def remove_unlikely_candidates(self) -> None:
            # readability-lxml 0.9's, over the elements with a class or an id only: the
            # others have nothing for its patterns to match ("{class} {id}" < 2 characters);
            # its patterns matched as `_matches` matches them, and its two XPaths
            # (`ancestor-or-self::pre | ancestor-or-self::code`, `descendant-or-self::main |
            # descendant-or-self::article | descendant-or-self::math`) as walks that stop at
            # the first element found
            for elem in _CLASSED_OR_IDENTIFIED(self.html):
                s = "{} {}".format(elem.get("class", ""), elem.get("id", ""))
                if len(s) < 2:
                    continue
                if (
                    unlikely(s)
                    and not maybe(s)
                    and elem.tag not in ("html", "body", "pre", "code")
                    and next(elem.iterancestors("pre", "code"), None) is None
                    and next(elem.iter("main", "article", "math"), None) is None
                ):
                    elem.drop_tree()

        def transform_misused_divs_into_paragraphs(self) -> None:
            if block_prefixes is None:  # another readability: its own way
                super().transform_misused_divs_into_paragraphs()
                return
            # its first step serializes every <div>'s children to search that regex; the tags
            # of their elements say the same (text and attribute values are escaped in that
            # serialization, comments and processing instructions are gone: no other "<")
            for elem in self.tags(self.html, "div"):
                if not any(
                    isinstance(d.tag, str) and d.tag.lower().startswith(block_prefixes)
                    for d in elem.iterdescendants()
                ):
                    elem.tag = "p"
            _wrap_inline_children(self, self.tags(self.html, "div"))

    return TreeDocument


def _matches(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    """Whether `pattern` (case-insensitive, of lowercase words) finds a match in a string.

    readability's class and id patterns are alternations of lowercase words matched with
    IGNORECASE: on an ASCII string (nearly every class and id) the same words are found in
    its lowercase form by the pattern without the flag, five times faster. Other strings,
    and any other pattern, are matched by the pattern itself (Unicode case folding has
    non-ASCII matches for some ASCII letters, such as the Kelvin sign for "k")."""
    if not pattern.flags & re.IGNORECASE or pattern.pattern != pattern.pattern.lower():
        return lambda s: pattern.search(s) is not None
    lower = re.compile(pattern.pattern, pattern.flags & ~re.IGNORECASE)

    def found(s: str) -> bool:
        if s.isascii():
            return lower.search(s.lower()) is not None
        return pattern.search(s) is not None

    return found


def _quiet_readability_debug() -> None:
    """readability formats a description of elements (`describe`) for its debug log on every
    call, logged or not: 8% of its time. Described only when its debug log is on."""
    import readability.readability as rr

    describe = rr.describe
    if getattr(describe, "lazy", False):
        return

    def lazy(node: Any, depth: int = 1) -> str:
        return str(describe(node, depth)) if rr.log.isEnabledFor(logging.DEBUG) else ""

    lazy.lazy = True  # type: ignore[attr-defined]
    rr.describe = lazy


def _wrap_inline_children(doc: Any, divs: Iterable[HtmlElement]) -> None:
    """The rest of readability-lxml 0.9's `transform_misused_divs_into_paragraphs` (as it is):
    a <div>'s own text, runs of inline children and tails each become a <p>; <br>s go."""
    from lxml.etree import tounicode
    from lxml.html import fragment_fromstring
    from readability.readability import REGEXES

    inline_tags = {
        "a", "b", "cite", "code", "em", "font", "i", "small", "span", "strong", "sub", "sup", "u",
    }  # fmt: skip
    for elem in divs:
        children = list(elem)
        paragraph = None
        if elem.text and elem.text.strip():
            p = fragment_fromstring("<p/>")
            p.text = elem.text
            elem.text = None
            elem.insert(0, p)
            paragraph = p

        for child in children:
            if child.tag == "br":
                paragraph = None
                continue
            if child.tag not in inline_tags or REGEXES["divToPElementsRe"].search(
                tounicode(child, method="html")
            ):
                paragraph = None
                continue
            if paragraph is None:
                paragraph = fragment_fromstring("<p/>")
                child.addprevious(paragraph)
            paragraph.append(child)

        for pos, child in reversed(list(enumerate(elem))):
            if child.tail and child.tail.strip():
                p = fragment_fromstring("<p/>")
                p.text = child.tail
                child.tail = None
                elem.insert(pos + 1, p)
            if child.tag == "br":
                child.drop_tree()


# `findall(".//*")` (elements in document order, the root excluded) with a class or an id
_CLASSED_OR_IDENTIFIED = XPath(".//*[@class or @id]")


def readability_lines(
    tree: HtmlElement, rebuild: Callable[[], HtmlElement] | None = None
) -> list[str]:
    """readability-lxml's article of a parsed page, one line per block element.

    readability drops hidden elements from the tree it is given (then works on a copy): call it
    once nothing else needs the tree. With `rebuild` (a fresh tree equal to `tree` as given,
    made on demand), it works on `tree` itself, no copy, and calls `rebuild` only for a second
    pass (when its first, ruthless one finds too little). Empty when readability finds nothing.
    """
    document = _readability_document()(tree, rebuild)
    return summary_lines(document.summary(html_partial=True))


def summary_lines(summary: str) -> list[str]:
    """The text of readability's article (its HTML), one line per block element."""
    from lxml.html import fragment_fromstring

    if not summary.strip():
        return []
    root = fragment_fromstring(summary, create_parent="div")
    out: list[str] = []
    for el in root.iter(*_BLOCKS):
        if el.tag == "div" and any(c.tag in _BLOCKS for c in el):
            text = " ".join((el.text or "").split())  # the div's own text before its blocks
        elif any(a.tag in _BLOCKS and a.tag != "div" for a in el.iterancestors()):
            continue  # inside a block already taken whole
        else:
            text = " ".join(el.text_content().split())
        if text:
            out.append(text)
    return out


def wants_second(a: Sequence[str]) -> bool:
    """Whether trafilatura's article `a` is short enough for readability's view to be taken."""
    return sum(len(TOKEN.findall(x)) for x in a) < SECOND_BELOW_TOKENS


def _shingles(text: str) -> set[tuple[str, ...]]:
    toks = TOKEN.findall(text.casefold())
    if len(toks) < 4:
        return {tuple(toks)} if toks else set()
    return {tuple(toks[i : i + 4]) for i in range(len(toks) - 3)}


def _share(sh: set[tuple[str, ...]], ref: set[tuple[str, ...]]) -> float:
    return len(sh & ref) / len(sh) if sh else 0.0


def _side(lines: Sequence[str]) -> list[float]:
    """One engine's figures (`_SIDE`): size, and how much of it reads as prose."""
    toks = [TOKEN.findall(line) for line in lines]
    total = sum(map(len, toks))
    n = total or 1
    return [
        math.log1p(total),
        math.log1p(len(lines)),
        sum(len(t) for line, t in zip(lines, toks, strict=True) if _SENTENCE_END.search(line)) / n,
        sum(sum(w.casefold() in STOP_WORDS for w in t) for t in toks) / n,
        sum(len(t) for t in toks if len(t) < _SHORT_LINE) / n,
        max((len(t) for t in toks), default=0) / n,
    ]


def cleaner_kept(lines: Sequence[str]) -> set[str]:
    """The lines the dump cleaner keeps of an extracted text (mode "extracted")."""
    if not lines:
        return set()
    return set(clean_text("\n".join(lines), mode="extracted").paragraphs)


def page_row(a: Sequence[str], b: Sequence[str]) -> Arr:
    """The page's figures (`FEATURES`) for trafilatura's lines `a` and readability's `b`."""
    a_sh = set().union(*(_shingles(x) for x in a)) if a else set()
    b_sh = set().union(*(_shingles(x) for x in b)) if b else set()
    kept = cleaner_kept(b)
    b_tokens = sum(len(TOKEN.findall(x)) for x in b) or 1
    row = [
        *_side(a),
        *_side(b),
        _share(a_sh, b_sh),
        _share(b_sh, a_sh),
        math.log1p(len(a_sh)) - math.log1p(len(b_sh)),
        sum(len(TOKEN.findall(x)) for x in b if x in kept) / b_tokens,
    ]
    return np.array(row, dtype=np.float64)


@dataclass(frozen=True)
class ChoiceModel:
    """P(readability is better) from page figures: logistic regression over standardised,
    clipped figures ("logreg"), or gradient-boosted trees, full binary trees in heap order
    ("gbdt", the shipped kind: it beat the regression under site-grouped CV)."""

    cols: npt.NDArray[np.int64]
    mean: Arr
    scale: Arr
    weights: Arr
    bias: float
    threshold: float = 0.5
    lr: float = 0.0
    trees: tuple[npt.NDArray[np.int64], Arr, Arr] | None = None
    """(split feature, split value) per inner node and value per leaf, one row per tree."""

    def predict(self, x: Arr) -> Arr:
        """Probability, per row of page figures, that readability's article is the better."""
        z = x[..., self.cols]
        if self.trees is not None:  # every tree walked at once, level by level
            feat, thr, leaf = self.trees
            rows = np.atleast_2d(z)[:, None, :]
            t = np.arange(len(feat))
            node = np.zeros((len(rows), len(feat)), dtype=np.int64)
            for _ in range(int(np.log2(leaf.shape[1]))):
                f = np.take_along_axis(rows, feat[t, node][..., None], axis=2)[..., 0]
                node = 2 * node + 1 + (f > thr[t, node])
            raw = self.bias + self.lr * leaf[t, node - feat.shape[1]].sum(axis=1)
            if x.ndim == 1:
                raw = raw[0]
        else:
            raw = np.clip((z - self.mean) / self.scale, -_CLIP, _CLIP) @ self.weights + self.bias
        out: Arr = 1.0 / (1.0 + np.exp(-np.clip(raw, -30, 30)))
        return out


def model_from_spec(spec: Mapping[str, Any]) -> ChoiceModel:
    """A model from its JSON form (`bench/train_html_combine.py --model-out`)."""
    missing = [f for f in spec["features"] if f not in FEATURES]
    kind = spec.get("kind")
    if missing or kind not in ("logreg", "gbdt"):
        raise ValueError(f"combine model: unknown kind or features {missing[:3]}")
    cols = np.array([FEATURES.index(f) for f in spec["features"]], dtype=np.int64)
    threshold = float(spec.get("threshold", 0.5))
    if kind == "gbdt":
        empty = np.zeros(0)
        inner = {len(t["feature"]) for t in spec["trees"]} | {
            len(t["threshold"]) for t in spec["trees"]
        }
        leaves = {len(t["leaf"]) for t in spec["trees"]}
        if len(inner) != 1 or len(leaves) != 1 or inner.pop() + 1 != leaves.pop():
            raise ValueError("combine model: trees must be full binary trees of one depth")
        trees = (
            np.array([t["feature"] for t in spec["trees"]], dtype=np.int64),
            np.array([t["threshold"] for t in spec["trees"]], dtype=np.float64),
            np.array([t["leaf"] for t in spec["trees"]], dtype=np.float64),
        )
        return ChoiceModel(
            cols, empty, empty, empty, float(spec["base"]), threshold, float(spec["lr"]), trees
        )
    return ChoiceModel(
        cols,
        np.array(spec["mean"], dtype=np.float64),
        np.array(spec["scale"], dtype=np.float64),
        np.array(spec["weights"], dtype=np.float64),
        float(spec["bias"]),
        threshold,
    )


@cache
def default_model() -> ChoiceModel | None:
    """The shipped model, or None when the package has no parameters file."""
    if not MODEL_PATH.is_file():
        return None
    return model_from_spec(json.loads(MODEL_PATH.read_text("utf-8")))


def prefer_second(a: Sequence[str], b: Sequence[str], model: ChoiceModel) -> bool:
    """Whether readability's article `b` should replace trafilatura's `a` on this page."""
    if not b:
        return False
    return bool(model.predict(page_row(a, b)) > model.threshold)
