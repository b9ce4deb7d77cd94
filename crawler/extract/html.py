"""HTML page -> article paragraphs and metadata.

trafilatura finds the article body (reader comments excluded); `crawler.extract.html_meta` reads the
metadata the page declares, from the same parsed tree; the shared line cleaner
(`crawler.extract.boilerplate.clean_text`, mode "extracted") then drops the chrome trafilatura kept
(share bars, "Read more" lines, newsletter boxes...). readability-lxml then reads the same tree,
and a small learned model (`crawler.extract.html_combine`) says whether its article is the
better one for this page (trafilatura's stays otherwise). `extract_html` never raises: junk input
gives an `Extracted` with no paragraphs, which the caller turns into a reject. The chain calls
`extract_limited`, which also enforces the per-document limits (`crawler.extract.limits`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import datetime

from lxml.etree import ElementDefaultClassLookup, LxmlError, XPath, _Element
from lxml.html import (
    HtmlComment,
    HtmlElement,
    HtmlEntity,
    HTMLParser,
    HtmlProcessingInstruction,
    fromstring,
)
from trafilatura.settings import set_date_params
from trafilatura.utils import DOCTYPE_TAG, is_dubious_html, repair_faulty_html
from trafilatura.xml import xmltotxt

from crawler.config import Settings
from crawler.errors import Drop
from crawler.extract.boilerplate import clean_text
from crawler.extract.evidence import page_evidence
from crawler.extract.extracted import Extracted as Extracted  # re-exported: callers name it here
from crawler.extract.html_combine import (
    default_model,
    prefer_second,
    readability_lines,
    wants_second,
)
from crawler.extract.html_meta import PageMeta, byline_author, page_meta, split_authors
from crawler.extract.html_trafilatura import article_body
from crawler.extract.limits import check_html_source, check_html_tree, check_lines
from crawler.extract.normalize import parse_date
from crawler.model import Removal
from crawler.readers.decode import decode_bytes
from crawler.reasons import Removed

LOGGER = logging.getLogger(__name__)

_LIST_MARKER = re.compile(r"^(?:  )*- ")
_TABLE_RULE = re.compile(r"^\|(?:\s*:?-+:?\s*\|)+$")
_CELL_SEP = re.compile(r"\s+(?<!\\)\|\s+")
_SPACES = re.compile(r"\s+")
_NO_TEXT_TAGS = ("code", "pre")
_INLINE_CLUSTER = XPath(".//p/descendant::*[self::span or self::div][count(.//a) >= 3]")
_CLUSTER_MIN_PROSE = 40  # characters of the paragraph's own text around a link cluster
_EMBEDDED_POST = XPath(".//blockquote[contains(@class, 'twitter-tweet')]")
_TITLE_ECHO_LINES = 3  # how far into the body a repeated headline is looked for
# a character reference to a character XML does not allow (C0 controls but tab, newline and CR;
# U+FFFE, U+FFFF), leading zeros and all: the HTML parser would put it in the tree, where lxml
# refuses any later change to that text (trafilatura then drops the page). Removed.
_REFUSED_CHAR_REF = re.compile(
    r"&#(?:[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F]|[fF]{3}[eEfF])(?![0-9a-fA-F])"
    r"|0*(?:[0-8]|1[12]|1[4-9]|2[0-9]|3[01]|6553[45])(?![0-9]));?"
)
_XML_REFUSED_BYTES = bytes((*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)))
_XML_REFUSED = tuple(bytes((byte,)) for byte in _XML_REFUSED_BYTES)
# trafilatura's parser options (`trafilatura.utils.HTML_PARSER`), and huge_tree: libxml2 gives up
# on a page once 10 MB of it are buffered (a long text, script or comment without enough markup
# between) and drops the rest, unless told the tree may be huge
_PARSER = HTMLParser(
    collect_ids=False,
    default_doctype=False,
    encoding="utf-8",
    remove_comments=True,
    remove_pis=True,
    huge_tree=True,
)
# every element an HtmlElement, chosen in C: lxml.html's default lookup calls back into Python
# for each element object it hands out (to give <form>, <input>... their own classes, which no
# engine here uses), 0.7 ms of a page's trafilatura time
_PARSER.set_element_class_lookup(
    ElementDefaultClassLookup(
        element=HtmlElement,
        comment=HtmlComment,
        pi=HtmlProcessingInstruction,
        entity=HtmlEntity,
    )
)


def _parse(html: str | bytes) -> HtmlElement | None:
    """The lxml tree of a page (None for input that is not HTML)."""
    if isinstance(html, bytes):
        try:
            html = decode_bytes(html, html=True)
        except Drop:
            return None
    text = html.replace("\x00", "")
    if "&#" in text:
        text = _REFUSED_CHAR_REF.sub("", text)
    if not text.strip():
        return None
    if _is_fragment(text):  # trafilatura's loader refuses HTML without a document around it
        text = f"<html><body>{text}</body></html>"
    # what trafilatura's `load_html` does to a string, but parsed from UTF-8 bytes: libxml2
    # reads those twice as fast as a Python string, into the same tree
    beginning = text[:50].lower()
    try:
        tree = fromstring(_repaired_utf8(text, beginning), parser=_PARSER)
    except LxmlError:  # "Document is empty": markup with no element in it
        return None
    if not isinstance(tree, HtmlElement) or (is_dubious_html(beginning) and len(tree) < 2):
        return None
    return tree


def _repaired_utf8(text: str, beginning: str) -> bytes:
    """`repair_faulty_html(text, beginning)` as UTF-8. Its first step, a regex pass over the
    whole page removing the characters XML refuses, changes nothing on nearly every page: a
    byte-level check (C speed, memchr) says when it can be left out, and then only its
    two markup fixes are applied (the same code, trafilatura 2.3.1's)."""
    data = text.encode("utf-8", "surrogatepass")
    # those characters: C0 controls, single bytes in UTF-8 (never inside a multi-byte
    # sequence), and U+FFFE / U+FFFF, looked for in the text (a search for a character wider
    # than any of the text's returns at once; in the bytes it is a full search, 0.1 ms each)
    # (one `in` per byte: memchr, a fifth of `bytes.translate`'s instructions)
    if any(byte in data for byte in _XML_REFUSED) or "\ufffe" in text or "\uffff" in text:
        return repair_faulty_html(text, beginning).encode("utf-8", "surrogatepass")
    # the doctype fix changes the first line only (and ends a page without a line break with
    # one): the rest of the bytes are kept, not the whole page concatenated and encoded again
    head = text[:4096]
    if "doctype" in beginning:
        newline = text.find("\n")
        first = text if newline < 0 else text[:newline]
        fixed = DOCTYPE_TAG.sub("", first, count=1)
        if newline < 0:
            data = fixed.encode("utf-8", "surrogatepass") + b"\n"
        elif len(fixed) != len(first):  # (a match is never empty)
            data = fixed.encode("utf-8", "surrogatepass") + data[data.find(b"\n") :]
        rest = "" if newline < 0 else text[newline + 1 : newline + 4097]
        head = (fixed[:4096] + "\n" + rest)[:4096]
    for line in head.splitlines()[:4]:
        if "<html" in line and line.endswith("/>"):  # rare: trafilatura's own way
            return repair_faulty_html(text, beginning).encode("utf-8", "surrogatepass")
    return data


def _text_chars(elem: HtmlElement) -> int:
    """Characters of an element's text, white space excluded."""
    return len(_SPACES.sub("", elem.text_content()))


def _link_text_share(elem: HtmlElement) -> float:
    """Share of an element's text that is link text."""
    total = _text_chars(elem)
    links = sum(_text_chars(a) for a in elem.iter("a"))
    return links / total if total else 1.0


def _drop_inline_link_clusters(tree: HtmlElement) -> None:
    """Remove hover cards and link boxes nested inside a paragraph's prose.

    A `<span>`/`<div>` inside a `<p>` holding 3+ links and nearly no other text, in a
    paragraph that has prose of its own, is a pop-up (author cards, "more from" boxes) that a
    browser only shows on hover; trafilatura would splice its text into the sentence.
    """
    para_chars: dict[HtmlElement, int] = {}  # kept up to date as clusters are dropped
    for cand in _INLINE_CLUSTER(tree):
        if cand.getparent() is None or _link_text_share(cand) < 0.9:
            continue
        inner = [d for d in cand.iterdescendants("span", "div") if len(d.findall(".//a")) >= 3]
        if any(_link_text_share(d) >= 0.9 for d in inner):
            continue  # a smaller cluster inside: remove that one, keep the outer text
        para = next(cand.iterancestors("p"))
        if para not in para_chars:  # measured once: a paragraph can hold thousands of clusters
            para_chars[para] = _text_chars(para)
        cand_chars = _text_chars(cand)
        if para_chars[para] - cand_chars >= _CLUSTER_MIN_PROSE:
            cand.drop_tree()
            para_chars[para] -= cand_chars


def _unwrap_embedded_posts(tree: HtmlElement) -> None:
    """Free quoted social-media posts (`<blockquote class="twitter-tweet">`) from their widget
    wrappers, which trafilatura discards as chrome; the quote itself is article content."""
    for quote in _EMBEDDED_POST(tree):
        text = _SPACES.sub("", quote.text_content())
        wrapper = None
        for anc in quote.iterancestors():
            if anc.tag in ("body", "article", "main", "p") or len(anc.findall(".//blockquote")) > 1:
                break
            if _SPACES.sub("", anc.text_content()) != text:
                break
            wrapper = anc
        quote.attrib.pop("class", None)
        parent = wrapper.getparent() if wrapper is not None else None
        if wrapper is not None and parent is not None:
            parent.replace(wrapper, quote)


def _prepare(tree: HtmlElement) -> None:
    """What the page's tree goes through before the engines read it."""
    _drop_inline_link_clusters(tree)
    _unwrap_embedded_posts(tree)


def _unwrap_whitespace(body: _Element) -> None:
    """Collapse source line breaks inside text nodes, so one element gives one line."""
    for elem in body.iter():
        if elem.tag in _NO_TEXT_TAGS:
            continue
        if elem.text and "\n" in elem.text:
            elem.text = _SPACES.sub(" ", elem.text)
        parent = elem.getparent()
        if elem.tail and "\n" in elem.tail and (parent is None or parent.tag not in _NO_TEXT_TAGS):
            elem.tail = _SPACES.sub(" ", elem.tail)


def _body_lines(body: _Element) -> list[str]:
    """trafilatura's body as plain lines: no list markers, table rows as space-joined cells."""
    _unwrap_whitespace(body)
    has_lists = body.find(".//item") is not None
    has_tables = body.find(".//row") is not None
    lines: list[str] = []
    for raw in xmltotxt(body, False).splitlines():
        line = raw.strip()
        if has_lists:
            line = _LIST_MARKER.sub("", raw).strip()
        if has_tables and line.startswith("|") and line.endswith("|"):
            if _TABLE_RULE.match(line):
                continue
            cells = _CELL_SEP.split(line.strip("|").strip())
            line = " ".join(c.replace("\\|", "|").strip() for c in cells if c.strip())
            if lines and line == lines[-1]:  # a header row repeated as the footer
                continue
        if line:
            lines.append(line)
    return lines


def _title_key(text: str) -> str:
    """Case/punctuation-insensitive form of a line, for headline comparison."""
    return re.sub(r"[\W_]+", "", text.casefold())


def _drop_title_echo(
    paragraphs: list[str], page: PageMeta, lines: list[str]
) -> tuple[list[str], list[Removal]]:
    """Remove the headline when trafilatura kept it as the body's first line(s)."""
    keys = {_title_key(t) for t in (page.meta.title, *page.titles) if t}
    keys.discard("")
    kept, removed = [], []
    for i, para in enumerate(paragraphs):
        if i < _TITLE_ECHO_LINES and _title_key(para) in keys:
            line_no = lines.index(para) if para in lines else -1
            removed.append(Removal(line_no, para, str(Removed.TITLE)))
            continue
        kept.append(para)
    return kept, removed


def _fallback_authors(tree: HtmlElement) -> list[str]:
    """trafilatura's byline search, for pages that declare no author."""
    try:
        return split_authors((byline_author(tree) or "").split(";"))
    except Exception:
        return []


def _fallback_date(tree: HtmlElement, url: str | None) -> datetime | None:
    """htmldate's date search (via trafilatura's settings), for pages declaring no date."""
    try:
        from htmldate import find_date

        found = find_date(tree, **{**set_date_params(True), "url": url})
    except Exception:
        return None
    return parse_date(found) if isinstance(found, str) else None


def extract_html(
    html: str | bytes,
    base_url: str | None = None,
    *,
    post_clean: bool = True,
    combine_engines: bool = True,
) -> Extracted:
    """Article paragraphs and metadata of one HTML page; empty paragraphs if none is found.

    `post_clean=False` skips the shared line cleaner, `combine_engines=False` the second
    engine (trafilatura alone): both for measuring what they add.
    """
    try:
        return _extract(html, base_url, post_clean, None, combine_engines)[0]
    except Exception as err:  # junk input must not stop the run: the caller rejects it
        LOGGER.warning("extraction failed for %s: %s", base_url, err)
        return Extracted(paragraphs=[])


def extract_limited(html: str, base_url: str | None, settings: Settings) -> Extracted:
    """`extract_html` for the chain: a page over the settings' per-document limits (attributes
    of a tag, HTML elements and depth, extracted lines and line length) raises Drop with the
    reason, and a failure of the extractor propagates, for the caller to report."""
    return _extract(html, base_url, True, settings)[0]


def engine_lines(html: str | bytes, base_url: str | None = None) -> tuple[list[str], list[str]]:
    """Both engines' lines of a page, before they are combined: trafilatura's (cleaned, the
    headline dropped) and readability-lxml's (the headline dropped). For training the combiner
    (`bench/train_html_combine.py`)."""
    found, second = _extract(html, base_url, True, None, False, keep_second=True)
    return found.paragraphs, second


_DOCUMENT_TAG = re.compile(rb"<(html|body|head)[\s>]", re.I)
_DOCUMENT_TAG_TEXT = re.compile(r"<(html|body|head)[\s>]", re.I | re.ASCII)
_FRAGMENT_HEAD = 65536  # bytes of the page's UTF-8 looked at
_BLOCKS = "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "td"


def _is_fragment(html: str | bytes) -> bool:
    """A piece of HTML (a saved article body, a `<p>` or two), not a whole page: trafilatura
    judges such input too small to hold an article and returns nothing. A document tag is
    looked for in the first `_FRAGMENT_HEAD` bytes of the page's UTF-8."""
    if isinstance(html, bytes):
        return _DOCUMENT_TAG.search(html[:_FRAGMENT_HEAD]) is None
    # in the text, not its UTF-8: the tag is ASCII, which UTF-8 keeps as it is (and no other
    # character's bytes can be part of it), so it is found where it is in the bytes; only
    # whether it ends within those first bytes needs them, and only up to its end
    head = html[:_FRAGMENT_HEAD]
    found = _DOCUMENT_TAG_TEXT.search(head)
    if found is None:
        return True
    within = head[: found.end()]
    return not within.isascii() and len(within.encode("utf-8", "replace")) > _FRAGMENT_HEAD


def _fragment_lines(tree: HtmlElement) -> list[str]:
    """A fragment's text, one line per block element (or all of it as one line)."""
    blocks = [
        e for e in tree.iter(*_BLOCKS) if not any(a.tag in _BLOCKS for a in e.iterancestors())
    ]
    texts = [" ".join(e.text_content().split()) for e in blocks] or [
        " ".join(tree.text_content().split())
    ]
    return [t for t in texts if t]


def _second_engine(tree: HtmlElement, html: str | bytes, url: str | None) -> list[str]:
    """readability-lxml's lines; none if it fails (trafilatura's alone then decide). The tree
    is readability's to change (it is the last to read it); should it need the tree again as
    it was, the page is parsed and prepared again."""

    def rebuild() -> HtmlElement:
        again = _parse(html)
        if again is None:  # cannot be: the same page parsed before
            raise ValueError("the page no longer parses")
        _prepare(again)
        return again

    try:
        return readability_lines(tree, rebuild)
    except Exception as err:
        LOGGER.debug("readability failed for %s: %s", url, err)
        return []


def _within(lines: list[str], limits: Settings | None) -> bool:
    """Whether the second engine's lines are within the per-document limits (else unused)."""
    if limits is None:
        return True
    try:
        check_lines(lines, limits)
    except Drop:
        return False
    return True


def _extract(
    html: str | bytes,
    base_url: str | None,
    post_clean: bool,
    limits: Settings | None,
    combine_engines: bool = True,
    *,
    keep_second: bool = False,
) -> tuple[Extracted, list[str]]:
    """extract_html without the safety net; with `limits`, checked against them. Also gives
    the second engine's lines when it ran (`keep_second` runs it without combining)."""
    if limits is not None and isinstance(html, str):
        check_html_source(html, limits)
    tree = _parse(html)
    if tree is None:
        return Extracted(paragraphs=[]), []
    if limits is not None:
        check_html_tree(tree, limits)
    page = page_meta(tree, base_url)
    meta = page.meta
    evidence = page_evidence(tree)
    _prepare(tree)
    # trafilatura's body (`bare_extraction` with include_comments=False, include_tables=True,
    # fast=True: readability's view is taken below, and decided better than by length)
    body = article_body(tree, base_url or meta.url)
    lines = _body_lines(body) if isinstance(body, _Element) else []
    if not lines and _is_fragment(html):
        lines = _fragment_lines(tree)
    if limits is not None:
        check_lines(lines, limits)

    # the shared line cleaner; of what it finds in the text, only a title and a publisher are
    # used (the page's declarations, htmldate and trafilatura's byline search do the rest)
    cleaned = clean_text("\n".join(lines), mode="extracted") if post_clean and lines else None
    paragraphs = list(cleaned.paragraphs) if cleaned else lines
    paragraphs, title_removed = _drop_title_echo(paragraphs, page, lines)
    authors = meta.authors or (_fallback_authors(tree) if paragraphs else [])
    published_at = meta.published_at
    if published_at is None and paragraphs:
        published_at = _fallback_date(tree, meta.url or base_url)
    meta = replace(
        meta,
        title=meta.title or (cleaned.meta.title if cleaned else None),
        publisher=meta.publisher or (cleaned.meta.publisher if cleaned else None),
        authors=authors,
        published_at=published_at,
        date_text=meta.date_text if published_at is None else None,
    )
    removed = list(cleaned.removed) if cleaned else []
    model = default_model() if combine_engines else None
    second: list[str] = []
    wanted = keep_second or (model is not None and wants_second(paragraphs))
    if post_clean and wanted and not _is_fragment(html):
        # a fragment is taken whole (above); last: readability drops hidden elements from the tree
        second = _second_engine(tree, html, meta.url or base_url)
        second = _drop_title_echo(second, page, second)[0]
        if (
            model is not None
            and prefer_second(paragraphs, second, model)
            and _within(second, limits)
        ):
            still = set(second)
            removed += [
                Removal(lines.index(p) if p in lines else -1, p, str(Removed.OUTSIDE_ARTICLE))
                for p in paragraphs
                if p not in still
            ]
            paragraphs = second
    found = Extracted(
        paragraphs=paragraphs,
        meta=meta,
        removed=sorted([*title_removed, *removed], key=lambda r: r.line_no),
        captions=list(cleaned.captions) if cleaned else [],
        evidence=evidence,
    )
    return found, second


# A short article with no declared date or author, and a date only in its text: it takes the
# whole path (trafilatura, the byline and htmldate's searches down to dateparser, readability
# and the engine choice, language id)
_WARM_UP_PAGE = """<html><head><title>Harbour ferry returns</title></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<article><h1>Harbour ferry returns after a winter of repairs</h1>
<p class="byline">By Jane Example</p><p>Posted on 3 March 2021, 10:15</p>
<p>The harbour ferry is back on its old route this morning, after four months in the yard
where its engines were rebuilt and its hull was painted.</p>
<p>Passengers waiting on the pier said the crossing was quieter and faster than before, and
the operator promised a timetable with two more sailings every day until the autumn.</p>
</article><footer>Copyright 2021 Example News</footer></body></html>"""


def warm_up() -> None:
    """Pay the HTML path's first-use costs in this process now: dateparser loading and
    compiling every locale (htmldate's last resort, ~2 s of CPU), the language model (~0.8 s),
    lazy imports. The worker pool's forkserver calls this once (`crawler.run.warm_html`), so
    that every worker it forks starts with them paid. Never raises."""
    try:
        from htmldate.extractors import get_external_parser

        from crawler.extract.normalize import detect_language

        found = extract_html(_WARM_UP_PAGE, "https://example.org/news/ferry")
        detect_language(found.text)
        # a string no locale reads: dateparser tries (and so loads) every one of them; the page
        # alone may not get that far (htmldate reads its date before asking dateparser)
        get_external_parser().get_date_data("Posted 12 xyzzy 2020")
    except Exception as err:  # a warm-up must not stop a run: a worker pays on first use
        LOGGER.debug("HTML warm-up failed: %s", err)
