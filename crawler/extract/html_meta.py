"""Page metadata from a parsed HTML tree: title, publisher, authors, date, language, URL.

Reads what pages declare about themselves (`<title>`, OpenGraph and other `<meta>` tags,
JSON-LD including `@graph`, `<link rel=canonical>`, `<html lang>`). Works on the lxml tree
that trafilatura also gets, so the page is parsed once. Nothing here raises on odd markup.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml.etree import Element, _Element
from lxml.html import HtmlElement

from crawler.extract.normalize import norm_language, parse_date
from crawler.extract.title_votes import agreed_title, outlet_around
from crawler.model import Meta

# schema.org types whose headline/author/date describe the page's article
_ARTICLE_TYPE = re.compile(r"(?:Article|BlogPosting|Posting|Report)$")
# " | ", " - ", " – ", " — ", " :: ", " · ", " • ", " » " between headline and outlet name
_TITLE_SEP = re.compile(r"\s+(?:\||-|–|—|::|·|•|»)\s+")
_BY_PREFIX = re.compile(r"^\s*(?:by|von|par|por|di|door)\s*[:\s]\s*", re.IGNORECASE)
_AUTHOR_SPLIT = re.compile(r"\s*(?:;|\||\s&\s|\sand\s)\s*")
_URLISH = re.compile(r"^(?:https?:|www\.)|^[\w.+-]+@[\w-]+\.[\w.]+$|/", re.IGNORECASE)
_NON_WORD = re.compile(r"[\W_]+")
_SPACE = re.compile(r"\s+")
_PLACEHOLDER_DATE = re.compile(r"^0+[-/]|^0001|^1970-01-01")  # "0001-01-01T00:00:00Z", epoch 0
# meta names/properties/itemprops that carry the publication date, in order of trust
_DATE_METAS = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "og:published_time",
    "published_time",
    "article.published",
    "parsely-pub-date",
    "sailthru.date",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.date",
    "dcterms.created",
    "date",
)
_AUTHOR_METAS = (
    "author",
    "article:author",
    "byl",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "dcterms.creator",
)


@dataclass(frozen=True)
class PageMeta:
    """What a page says about itself (every field may be missing), and every raw title seen
    (for spotting the headline repeated in the body)."""

    meta: Meta = field(default_factory=Meta)
    titles: tuple[str, ...] = ()


def _clean(text: object) -> str:
    """`text` as one line of collapsed white space ('' for non-strings)."""
    return _SPACE.sub(" ", text).strip() if isinstance(text, str) else ""


def _norm(text: str) -> str:
    """Case- and punctuation-insensitive key for comparing names and titles."""
    return _NON_WORD.sub("", text.casefold())


def _metas(tree: HtmlElement) -> dict[str, str]:
    """First non-empty content of each `<meta>` by lower-cased name, property or itemprop."""
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        content = _clean(meta.get("content"))
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = (meta.get(attr) or "").strip().lower()
            if key and key not in found:
                found[key] = content
    return found


# the keys under which JSON-LD objects nest the objects the metadata is looked for in
LD_NESTED = ("@graph", "mainEntity", "itemListElement")


def json_ld_objects(
    tree: HtmlElement, nested: tuple[str, ...] = LD_NESTED, max_depth: int = 8
) -> list[dict[str, Any]]:
    """Every JSON object of the page's JSON-LD scripts (`application/ld+json`, HTML comment
    wrappers and raw control characters tolerated), parents before the objects nested under
    the `nested` keys. Scripts that are not JSON are skipped."""
    out: list[dict[str, Any]] = []

    def walk(node: object, depth: int) -> None:
        if depth > max_depth:
            return
        if isinstance(node, list):
            for item in node:
                walk(item, depth + 1)
        elif isinstance(node, dict):
            out.append(node)
            for key in nested:
                walk(node.get(key), depth + 1)

    for script in tree.iter("script"):
        if "ld+json" not in (script.get("type") or "").lower() or not script.text:
            continue
        raw = script.text.strip().removeprefix("<!--").removesuffix("-->").strip()
        try:
            walk(json.loads(raw, strict=False), 0)
        except (ValueError, RecursionError):
            continue
    return out


def _types(obj: dict[str, Any]) -> list[str]:
    """The object's schema.org @type values."""
    kind = obj.get("@type")
    items = kind if isinstance(kind, list) else [kind]
    return [k.rsplit("/", 1)[-1] for k in items if isinstance(k, str)]


def _resolve(node: object, by_id: dict[str, dict[str, Any]]) -> object:
    """A `{"@id": ...}` reference replaced by the object it names, if the page has it."""
    if isinstance(node, dict) and "@id" in node and len(node) <= 2:
        return by_id.get(str(node["@id"]), node)
    return node


def _names(node: object, by_id: dict[str, dict[str, Any]]) -> list[str]:
    """Names in a JSON-LD person/organization value: a string, an object or a list of them."""
    node = _resolve(node, by_id)
    if isinstance(node, list):
        return [name for item in node[:20] for name in _names(item, by_id)]
    if isinstance(node, dict):
        name = node.get("name")
        if isinstance(name, list):
            return [n for n in (_clean(x) for x in name) if n]
        return [_clean(name)] if _clean(name) else []
    return [_clean(node)] if _clean(node) else []


def split_authors(values: Iterable[str]) -> list[str]:
    """Author names: "By" prefixes, URLs and e-mails dropped, lists split, duplicates removed."""
    out: list[str] = []
    seen: set[str] = set()
    for value in values:
        value = _BY_PREFIX.sub("", _clean(value))
        parts = _AUTHOR_SPLIT.split(value)
        if len(parts) == 1 and value.count(",") >= 1:
            commas = [p.strip() for p in value.split(",")]
            # "Jane Doe, John Roe" is two people; "Doe, Jane" is one
            if all(len(p.split()) >= 2 for p in commas):
                parts = commas
        for part in parts:
            name = _BY_PREFIX.sub("", part).strip(" ,.;:-")
            key = _norm(name)
            if not key or _URLISH.search(name) or len(name) > 80 or key in seen:
                continue
            seen.add(key)
            out.append(name)
    return out


def _same_name(segment: str, names: Iterable[str]) -> bool:
    """Whether a title segment names the outlet (ignoring case, spaces, punctuation, TLDs)."""
    seg = _norm(re.sub(r"\.(?:com|net|org|co|info|news)(?:\.\w\w)?$", "", segment.strip()))
    if not seg:
        return False
    for name in names:
        key = _norm(re.sub(r"\.(?:com|net|org|co|info|news)(?:\.\w\w)?$", "", name.strip()))
        if key and (seg == key or (min(len(seg), len(key)) >= 4 and (key in seg or seg in key))):
            return True
    return False


def _outlet_like(segment: str) -> bool:
    """A short segment that reads as a name (not a lower-case phrase or a sentence)."""
    words = segment.split()
    first = segment.lstrip("\"'“‘([")[:1]
    return 0 < len(words) <= 5 and len(segment) <= 50 and not first.islower()


def strip_title_affix(title: str, site_names: Iterable[str] = ()) -> tuple[str, str | None]:
    """(headline, outlet) of "Headline | Outlet", "Outlet - Headline", "Headline – Outlet"...

    A segment is stripped when it matches a known site name; without a match, only a trailing
    short, name-like segment is stripped, and only when the headline left is longer than it.
    """
    names = [n for n in site_names if n]
    title = _clean(title)
    seps = list(_TITLE_SEP.finditer(title))
    if not seps:
        return title, None
    head, tail = title[: seps[-1].start()], title[seps[-1].end() :]
    if _same_name(tail, names):
        return head.strip(), tail.strip()
    lead, rest = title[: seps[0].start()], title[seps[0].end() :]
    if _same_name(lead, names):
        return rest.strip(), lead.strip()
    if _outlet_like(tail) and len(head) > len(tail):
        return head.strip(), tail.strip()
    return title, None


_HEADINGS = frozenset(("h1", "h2", "h3", "h4"))
_NO_TEXT = ("title", "head", "meta", "script", "style", "noscript", "html", "body")
_MAX_HEADING_CHARS = 300  # a longer "title" element is a container, not a heading
_H1_MIN_WORDS = 3  # a shorter lone <h1> is more often a logo or a section name
_MAX_HEADINGS = 200  # a page with more is a list of stories; its first ones are enough


def _heading_elements(tree: HtmlElement) -> Iterator[_Element]:
    """`<h1>`-`<h4>` and the elements a class or itemprop marks as a title, in document order
    (of the whole document `tree` belongs to). A walk over the elements with lxml's C lookup
    costs less than one XPath `//*[...]` over them (0.5 against 1.2 ms on a news page)."""
    for el in tree.getroottree().getroot().iter(Element):
        if el.tag in _HEADINGS:
            yield el
            continue
        cls = el.get("class")
        if cls is not None and ("title" in cls or "Title" in cls):
            yield el
            continue
        prop = el.get("itemprop")
        if prop is not None and "headline" in prop:
            yield el


def headings(tree: HtmlElement) -> list[str]:
    """What the page shows as headings (`<h1>`-`<h4>`, elements classed or marked up as a
    title or headline), in document order; a heading nested in another is part of it."""
    texts: list[str] = []
    taken: set[HtmlElement] = set()
    for el in _heading_elements(tree):
        if not isinstance(el, HtmlElement) or el.tag in _NO_TEXT:
            continue
        if any(a in taken for a in el.iterancestors()):
            continue
        text = _clean(el.text_content())
        if text and len(text) <= _MAX_HEADING_CHARS:
            taken.add(el)
            texts.append(text)
            if len(texts) >= _MAX_HEADINGS:
                break
    return texts


def _first_h1(tree: HtmlElement) -> str:
    """Text of the first non-empty `<h1>`."""
    for h1 in tree.iter("h1"):
        text = _clean(h1.text_content())
        if text:
            return text
    return ""


def _absolute(url: str, base: str | None) -> str | None:
    """`url` made absolute against `base`; None if it cannot be an http(s) URL."""
    url = url.strip()
    if base and url:
        try:
            url = urljoin(base, url)
        except ValueError:
            return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and parts.netloc else None


@dataclass
class _Found:
    """Intermediate candidates gathered from the page."""

    metas: dict[str, str]
    article: dict[str, Any] = field(default_factory=dict)
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    site_names: list[str] = field(default_factory=list)
    in_language: str = ""  # JSON-LD inLanguage (the article's, else any object's)


def _gather(tree: HtmlElement) -> _Found:
    """Meta tags, the JSON-LD article object and the site names the page declares."""
    found = _Found(metas=_metas(tree))
    objects = json_ld_objects(tree)
    found.by_id = {str(o["@id"]): o for o in objects if isinstance(o.get("@id"), str)}
    for obj in objects:
        types = _types(obj)
        if not found.article and any(_ARTICLE_TYPE.search(t) for t in types):
            found.article = obj
        if "WebSite" in types and not found.site_names:
            found.site_names += _names(obj.get("name"), {})
    langs = [_clean(o.get("inLanguage")) for o in (found.article, *objects)]
    found.in_language = next((lang for lang in langs if lang), "")
    publisher = _names(found.article.get("publisher"), found.by_id)
    og_site = found.metas.get("og:site_name", "")
    app_name = found.metas.get("application-name", "")
    names = (og_site, *publisher, *found.site_names, app_name)
    found.site_names = [n for n in names if n and not _URLISH.search(n)]
    return found


def _dates(tree: HtmlElement, found: _Found) -> Iterator[str]:
    """Raw publication-date strings, most trusted first."""
    for key in ("datePublished", "dateCreated", "uploadDate"):
        value = found.article.get(key)
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, str) and value.strip():
            yield value.strip()
    for key in _DATE_METAS:
        if key in found.metas:
            yield found.metas[key]
    for time in tree.iter("time"):
        if (time.get("itemprop") or "").lower() == "datepublished" and time.get("datetime"):
            yield str(time.get("datetime"))
            break


def page_meta(tree: HtmlElement, base_url: str | None = None) -> PageMeta:
    """Metadata declared by the page at `tree`; relative URLs resolve against `base_url`."""
    found = _gather(tree)
    metas, article = found.metas, found.article
    title_el = tree.find(".//title")
    raw_title = _clean(title_el.text_content()) if title_el is not None else ""
    headline = _clean(article.get("headline")) or _clean(article.get("name"))
    h1 = _first_h1(tree)
    og_title = metas.get("og:title", "") or metas.get("twitter:title", "")
    titles = tuple(t for t in dict.fromkeys((og_title, headline, h1, raw_title)) if t)

    site_names = list(found.site_names)
    for base in (base_url, metas.get("og:url")):
        host = urlsplit(base or "").hostname or ""
        if host:
            site_names.append(host.removeprefix("www.").split(".")[0])
    declared = (
        metas.get("og:title", ""),
        headline,
        metas.get("twitter:title", ""),
        metas.get("dc.title", ""),
        raw_title,
    )
    agreed = agreed_title(declared, headings(tree), site_names)
    raw_head, outlet = strip_title_affix(raw_title, site_names) if raw_title else ("", None)
    # an <h1> is the headline when the <title> agrees; otherwise it may be the site logo
    h1_key, head_key = _norm(h1), _norm(raw_head)
    h1_ok = bool(h1_key) and (not head_key or h1_key in head_key or head_key in h1_key)
    # the page's only <h1>, a phrase that names no site: the visible headline over an SEO <title>
    h1_ok = h1_ok or (
        sum(1 for _ in tree.iter("h1")) == 1
        and len(h1.split()) >= _H1_MIN_WORDS
        and not any(_same_name(h1, [n]) for n in site_names)
    )
    preferred = [t for t in (og_title, headline, h1 if h1_ok else "", raw_title) if t]
    title = agreed
    if preferred and title is None:
        title, own_outlet = strip_title_affix(preferred[0], site_names)
        outlet = own_outlet or outlet
    if outlet is None and title and raw_title:  # "Blog Name: <the agreed headline>"
        outlet = outlet_around(raw_title, title)
    publisher = found.site_names[0] if found.site_names else outlet

    authors = split_authors(_names(article.get("author"), found.by_id))
    if not authors:
        authors = split_authors(metas[k] for k in _AUTHOR_METAS if k in metas)

    published_at, date_text = None, None
    for raw in _dates(tree, found):
        if _PLACEHOLDER_DATE.match(raw):
            continue
        published_at = parse_date(raw)
        if published_at is not None:
            break
        date_text = date_text or raw
    date_text = None if published_at is not None else date_text

    root = tree.getroottree().getroot()
    language = None
    for value in (
        root.get("lang"),
        root.get("xml:lang"),
        root.get("{http://www.w3.org/XML/1998/namespace}lang"),
        metas.get("og:locale"),
        metas.get("content-language"),
        metas.get("language"),
        metas.get("dc.language"),
        found.in_language,
    ):
        language = norm_language(value)
        if language:
            break

    base = base_url
    base_el = tree.find(".//base[@href]")
    if base_el is not None:
        base = _absolute(str(base_el.get("href")), base_url) or base
    url = None
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            url = _absolute(str(link.get("href")), base)
            break
    if url is None and metas.get("og:url"):
        url = _absolute(metas["og:url"], base)

    meta = Meta(
        title=title or None,
        publisher=publisher,
        authors=authors,
        published_at=published_at,
        date_text=date_text,
        language=language,
        url=url,
    )
    return PageMeta(meta, titles)


# trafilatura's byline search (`trafilatura.metadata.extract_author`, the expressions of
# `trafilatura.xpaths.AUTHOR_XPATHS` and `AUTHOR_DISCARD_XPATHS`) as walks over the elements:
# libxml2 evaluates each `//*[...]` of theirs in 1-3 ms on a news page, a walk takes a fraction
# of that. Same elements in the same order (tests/crawler/extract/test_html_meta.py compares
# the two on pages, bench/html_identity.py on 1,028).
_BYLINE_SECTION_TAGS = frozenset(("a", "div", "section", "span"))
_BYLINE_SECTION_ID = re.compile(r"^comments|comment-?list|ProductReviews")
_BYLINE_SECTION_CLASS = re.compile(
    r"^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram"
    r"|article-(?:share|support)|print|category|meta-date|meta-reviewer"
)
_BYLINE_TAGS = (
    frozenset(("a", "address", "div", "link", "p", "span", "strong")),
    frozenset(("a", "div", "h3", "h4", "p", "span")),
)
_AUTHOR_NAME_CLASS = re.compile(r"author-?name|AuthorName|authorName")
_AUTHOR_ID = re.compile(r"author|zuozhe|bianji|xiaobian")
_AUTHOR_CLASS = re.compile(
    r"author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name"
)
_ANY_AUTHOR_ID = re.compile(r"[Aa]uthor")
_ANY_AUTHOR_CLASS = re.compile(r"[Aa]uthor|screenname|writer|[Bb]yline")


def _elements(tree: _Element, *tags: str) -> Iterator[_Element]:
    """Every element (with one of `tags`) at or below `tree`, in document order: XPath's
    `//*` on the copy of `tree` trafilatura searches (the whole page when `tree` is its root)."""
    found: Iterator[_Element] = tree.iter(*tags) if tags else tree.iter(Element)
    return found


def _byline_sections(tree: _Element) -> list[_Element]:
    """Comment lists, sidebars, share bars... (`AUTHOR_DISCARD_XPATHS[0]`, below `tree`)."""
    found = []
    for el in tree.iterdescendants(*_BYLINE_SECTION_TAGS):
        ident, cls = el.get("id") or "", el.get("class") or ""
        if (
            ident == "comments"
            or cls in ("comments", "title", "date")
            or _BYLINE_SECTION_ID.search(ident)
            or _BYLINE_SECTION_CLASS.search(cls)
            or "Figure" in (el.get("data-component") or "")
        ):
            found.append(el)
    return found


def _times_and_figures(tree: _Element) -> list[_Element]:
    """`//time|//figure` (`AUTHOR_DISCARD_XPATHS[1]`)."""
    return list(_elements(tree, "time", "figure"))


def _rel_me(el: _Element, dropped: set[_Element]) -> bool:
    """XPath's `rel='me'`: a child `<rel>` whose text is "me"."""
    return any("".join(_pruned_text(c, dropped)) == "me" for c in el.iterchildren("rel"))


def _author_marked(tree: _Element, dropped: set[_Element]) -> list[_Element]:
    """`AUTHOR_XPATHS[0]`: elements marked as the author (rel, id, class, itemprop...)."""
    found = []
    # a `<rel>` child is looked for only on a page that has one (hardly any): `find` goes
    # through lxml's ElementPath in Python for every element, a walk in C is done once
    rels = next(tree.iter("rel"), None) is not None
    for el in _elements(tree, "author", *_BYLINE_TAGS[0]):
        get = el.get
        if (
            el.tag == "author"
            or get("rel") == "author"
            or get("id") == "author"
            or get("itemprop") == "author name"
            or get("data-testid") in ("AuthorCard", "AuthorURL")
            or _AUTHOR_NAME_CLASS.search(get("class") or "")
            or get("class") == "author"
            or (rels and _rel_me(el, dropped))
        ):
            found.append(el)
    return found


def _author_classed(tree: _Element, dropped: set[_Element]) -> list[_Element]:
    """`AUTHOR_XPATHS[1]`: bylines, usernames and the like by class or id."""
    found = []
    for el in _elements(tree, *_BYLINE_TAGS[1]):
        cls = el.get("class") or ""
        if (
            cls in ("byline", "username", "byl", "BBL")
            or "author" in (el.get("itemprop") or "")
            or _AUTHOR_ID.search(el.get("id") or "")
            or _AUTHOR_CLASS.search(cls)
        ):
            found.append(el)
    return found


def _author_anywhere(tree: _Element, dropped: set[_Element]) -> list[_Element]:
    """`AUTHOR_XPATHS[2]`, the last resort: any element with an author-like mark."""
    found = []
    for el in _elements(tree):
        if not el.attrib:
            continue
        get = el.get
        if (
            "Byline" in (get("data-component") or "")
            or "author" in (get("itemprop") or "")
            or _ANY_AUTHOR_ID.search(get("id") or "")
            or _ANY_AUTHOR_CLASS.search(get("class") or "")
        ):
            found.append(el)
    return found


def byline_author(tree: HtmlElement) -> str | None:
    """What trafilatura's `extract_author` finds on the page at `tree` (the tree is left as
    it is): the first byline element's text, outside comments, sidebars, dates and figures.

    trafilatura deletes those sections from a deep copy of the page, then searches the copy;
    here they are only skipped (no copy: a copy cost more than all the searches), and an
    element's text is read as it would be after the deletions (`_pruned_text`).
    """
    from trafilatura.json_metadata import normalize_authors
    from trafilatura.utils import trim

    dropped = set(_byline_sections(tree))
    dropped.update(el for el in _times_and_figures(tree) if not _under(el, dropped))
    for search in (_author_marked, _author_classed, _author_anywhere):
        for el in search(tree, dropped):
            if _under(el, dropped):
                continue
            content = trim(" ".join(_pruned_text(el, dropped)))
            if content and 2 < len(content) < 120:  # `extract_metainfo(..., len_limit=120)`
                return normalize_authors(None, content)
    return None


def _under(el: _Element, dropped: set[_Element]) -> bool:
    """Whether `el` or one of its ancestors is in `dropped`."""
    if not dropped:
        return False
    return el in dropped or any(a in dropped for a in el.iterancestors())


def _pruned_text(el: _Element, dropped: set[_Element]) -> list[str]:
    """`el.itertext()` as it would read once every element of `dropped` below it is deleted
    as trafilatura deletes (`trafilatura.xml.delete_element`): the subtree goes, its tail
    joins the text before it (of the previous sibling left, or of the parent), glued on
    without a break between the two."""
    out: list[str] = []

    def walk(node: _Element) -> None:
        piece = (node.text or "") if isinstance(node.tag, str) else ""
        for child in node:
            if child in dropped:
                piece += child.tail or ""
                continue
            out.append(piece)
            walk(child)
            piece = child.tail or ""
        out.append(piece)

    walk(el)
    return out
