"""Is a fetched page one article (store it) or an index / tag / listing page (only follow it)?

Decided from page features, not URL patterns alone: the page's declared type (og:type, JSON-LD
@type, microdata), how much prose it has outside the page furniture and whether one block holds
most of it (a single dominant article), whether the page's headline stands right above that
text, whether its prose sits in teaser cards under linked headlines, and how many headline-like
links it carries against its longest text. `score` says in which order they count. Measured
on real pages by bench/pagetype_real.py.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

from lxml import etree
from lxml.html import HtmlElement
from parsel.selector import create_root_node

from crawler.crawl.links import host, join_url
from crawler.extract.html_meta import json_ld_objects
from crawler.extract.urls import host_of

ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "reviewnewsarticle",
        "askpublicnewsarticle",
        "blogposting",
        "liveblogposting",
        "report",
        "scholarlyarticle",
        "techarticle",
    }
)
# Not "blog": blogs declare it on every page, posts included.
LISTING_TYPES = frozenset({"collectionpage", "itemlist", "searchresultspage", "profilepage"})
_CHROME_TAGS = frozenset({"nav", "header", "footer", "aside", "form"})
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
# Class/id words of page furniture, as whole words of a class name ("share-bar", "sidebar_2",
# "relatedPosts"), so that "commentary" or "shared-content" are not furniture.
_CHROME_WORDS = (
    "comment", "comments", "related", "promo", "sidebar", "newsletter", "share", "sharing",
    "social", "menu", "breadcrumb", "breadcrumbs",
)  # fmt: skip
_CHROME_CLASS = re.compile(
    r"(?<![A-Za-z])(?:"
    + "|".join(f"[{w[0]}{w[0].upper()}]{w[1:]}" for w in _CHROME_WORDS)
    + r")(?![a-z])"
)
_WRAPPER_SHARE = 0.5  # an element holding this share of the page's text is layout, not furniture
_LONG_CHARS = 1500  # a main text this long: an article whatever else the page shows
_DOMINANT_CHARS = 500  # a dominant text this long: an article unless teasers make the prose
_CHARS_PER_HEADLINE = 40  # main text shorter than this per headline link: a list of them
# compiled once; plain strings (no back-reference to their element)
_VISIBLE_TEXT = etree.XPath(
    ".//text()[not(ancestor::script or ancestor::style or ancestor::noscript)]",
    smart_strings=False,
)
# the same text as _VISIBLE_TEXT, found cheaper: every text, less that of the hidden elements
# (only these few are tested for hidden ancestors, not every text node up to the root)
_HIDDEN_TAGS = ("script", "style", "noscript")
_ALL_TEXT = etree.XPath(".//text()", smart_strings=False)
_STRING = etree.XPath("string()", smart_strings=False)  # = HtmlElement.text_content()
_OG_TYPE = etree.XPath("string(//meta[@property='og:type']/@content)", smart_strings=False)
_ITEMTYPES = etree.XPath("//*[@itemscope]/@itemtype", smart_strings=False)
_TITLES = etree.XPath("//title/text()|//meta[@property='og:title']/@content", smart_strings=False)
_PROSE_MIN_CHARS = 80  # a block with less text of its own than this is not prose
_MAX_LINKS_IN_TEXT = 2  # headline links an article's body may hold (previous / next post)
_WORD = re.compile(r"\w+")
# Elements whose text belongs to the block around them; anything else is a block of its own.
_INLINE = frozenset(
    {
        "a", "abbr", "b", "bdi", "bdo", "big", "br", "cite", "code", "data", "del", "dfn", "em",
        "font", "i", "ins", "kbd", "label", "mark", "nobr", "q", "s", "samp", "small", "span",
        "strike", "strong", "sub", "sup", "time", "tt", "u", "var", "wbr",
    }
)  # fmt: skip
_NO_TEXT = frozenset(
    {
        "script", "style", "noscript", "template", "svg", "math", "head", "title", "button",
        "select", "option", "textarea", "iframe", "object",
    }
)  # fmt: skip


@dataclass(frozen=True)
class PageFeatures:
    """What the classifier looks at (kept whole so tests and logs can show why)."""

    og_type: str | None
    ld_types: frozenset[str]
    prose_chars: int  # text in prose paragraphs outside the chrome
    prose_paragraphs: int
    dominant_share: float  # share of prose held by the block with the most of it
    article_links: int  # distinct same-site links that look like headlines (or match a pattern)
    teasers: int  # linked headings with one or two prose paragraphs of their own (cards)
    teaser_share: float  # share of the prose that sits in such teaser cards
    cards: int  # repeated teaser blocks: <article> elements and headings that are links
    headed_chars: int = 0  # chars of the main text when the page's headline stands right above it


@dataclass(frozen=True)
class PageKind:
    kind: str  # "article" or "listing"
    score: int
    page: _Page = field(repr=False, compare=False)

    @property
    def features(self) -> PageFeatures:
        """Every feature of the page (those the score did not need measured now)."""
        return self.page.features()


class _Layout:
    """Which elements of a page are furniture (navigation, sidebars, comments, share bars...).

    An element is furniture by its tag (nav, header, footer, aside, form), its ARIA role or a
    furniture word in its class or id, unless it holds half the page's text or more: then it
    is the page's layout (`<body class="one-sidebar">`, ASP.NET's one `<form>` around the whole
    page, a `<div class="has-sidebar">` wrapper), not furniture. An `<aside>` (or role
    complementary) without the page's <h1> is furniture however large: a column of teaser cards
    may hold more text than a short post. <html> and <body> never are.
    """

    def __init__(self, root: HtmlElement) -> None:
        body = root.find("body")
        self.page_chars = _text_len(body if body is not None else root)
        self._verdicts: dict[HtmlElement, bool] = {}
        self._chrome: dict[HtmlElement, bool] = {}  # in_chrome of each element asked

    def _furniture(self, elem: HtmlElement) -> bool:
        verdict = self._verdicts.get(elem)
        if verdict is None:
            marker = f"{elem.get('class', '')} {elem.get('id', '')}"
            role = (elem.get("role") or "").strip().lower()
            verdict = (
                elem.tag in _CHROME_TAGS
                or role in _CHROME_ROLES
                or bool(marker.strip() and _CHROME_CLASS.search(marker))
            ) and (
                self._small(elem)
                or ((elem.tag == "aside" or role == "complementary") and elem.find(".//h1") is None)
            )
            self._verdicts[elem] = verdict
        return verdict

    def _small(self, elem: HtmlElement) -> bool:
        """Does `elem` hold less than the wrapper's share of the page's visible text? All its
        text, hidden and spaces included (one C call), bounds its visible text from above:
        the visible text is measured only when that bound is not small enough already."""
        half = _WRAPPER_SHARE * self.page_chars
        return len(_STRING(elem)) < half or _text_len(elem) < half

    def encloses_chrome(self, elem: HtmlElement) -> bool:
        """Is every element below `elem` in the furniture (`in_chrome`)? So when `elem` is
        furniture and no <body> or <html> below it stops `in_chrome`'s climb."""
        return (
            elem.tag not in ("body", "html")
            and self._furniture(elem)
            and next(elem.iter("body", "html"), None) is None
        )

    def in_chrome(self, elem: HtmlElement) -> bool:
        """Is an ancestor of `elem` (below <body>) furniture? Remembered per element: the
        blocks and links of a page share most of their ancestors."""
        climbed = []  # elements whose answer is the one found above them
        node = elem
        while True:
            known = self._chrome.get(node)
            if known is not None:
                found = known
                break
            climbed.append(node)
            parent = node.getparent()
            if parent is None or parent.tag in ("body", "html"):
                found = False
                break
            if self._furniture(parent):
                found = True
                break
            node = parent
        for node in climbed:
            self._chrome[node] = found
        return found


def page_tree(text: str, base_url: str | None = None) -> HtmlElement:
    """The page's lxml tree as Scrapy's `response.selector.root` would parse it (parsel's
    `create_root_node`, same parser options), but with lxml's plain element classes: the
    `lxml.html` ones run a Python class lookup for every element touched, a tenth of the
    classifier's time. The functions here use no `HtmlElement`-only method."""
    root: HtmlElement = create_root_node(text, etree.HTMLParser, base_url=base_url)
    return root


def _linked(root: HtmlElement, *tags: str) -> list[HtmlElement]:
    """Elements of these tags holding a link, in document order (as the XPath
    `//*[self::h2 or self::h3][.//a]`, without evaluating its predicates on every element)."""
    return [elem for elem in root.iter(*tags) if next(elem.iter("a"), None) is not None]


def _headline_words(link: HtmlElement) -> bool:
    """Does a link's text have the 4 words or more of a headline?"""
    # a link without children: its text is its string() (no XPath call)
    text = (link.text or "") if not len(link) else _STRING(link)
    return len(_WORD.findall(text)) >= 4


def _text_len(elem: HtmlElement) -> int:
    """Chars of the element's visible text (`_VISIBLE_TEXT`), each text node stripped."""
    if next(elem.iterancestors(*_HIDDEN_TAGS), None) is not None:
        return 0
    total = sum(map(len, map(str.strip, _ALL_TEXT(elem))))
    # the outermost hidden elements, by lxml's tag filter (an XPath's predicates, e.g.
    # `descendant-or-self::*[self::script]`, are evaluated on every element)
    for hidden in elem.iter(*_HIDDEN_TAGS):
        if hidden is elem:
            return 0
        if next(hidden.iterancestors(*_HIDDEN_TAGS), None) is None:
            total -= sum(map(len, map(str.strip, _ALL_TEXT(hidden))))
    return total


def _blocks(
    root: HtmlElement, prune: Callable[[HtmlElement], bool] | None = None
) -> Iterator[tuple[HtmlElement, str, int]]:
    """Every block element with text of its own: (element, its own text, chars of it in links).

    A block's own text is its text and that of its inline children (links, emphasis, spans,
    line breaks), not that of the blocks inside it: `<p>` paragraphs, and also `<div>`s of text
    separated by `<br>`, each count once. The blocks inside an element `prune` holds true of
    are not walked (the element itself is)."""
    stack = [root]
    pop, push = stack.pop, stack.append
    while stack:
        elem = pop()
        if not len(elem):  # (most blocks: no children to look at)
            text = elem.text
            if text:
                text = " ".join(text.split())
                if text:
                    yield elem, text, 0
            continue
        descend = prune is None or not prune(elem)
        own = elem.text
        parts = [own] if own else []  # (no empty parts: the split below drops them anyway)
        add = parts.append
        linked = 0
        for child in elem:
            tag = child.tag
            if tag in _INLINE:
                # (an inline element may hold a script: its code is no text; no element
                # walked here is inside one, the blocks are not looked into)
                if not len(child):
                    text = child.text or ""
                    if tag == "a":
                        linked += len(text.strip())
                else:
                    if next(child.iter(*_HIDDEN_TAGS), None) is None:
                        text = _STRING(child)
                    else:
                        text = "".join(_VISIBLE_TEXT(child))
                    if tag == "a":
                        linked += len(text.strip())
                    else:
                        linked += sum(len(_STRING(a).strip()) for a in child.iter("a"))
                add(text)
            elif descend and tag.__class__ is str and tag not in _NO_TEXT:  # (comments: none)
                push(child)
            tail = child.tail
            if tail:
                add(tail)
        text = " ".join(" ".join(parts).split())
        if text:
            yield elem, text, linked


# the page's own declared objects: an ItemList's members are other pages
_OWN_LD = ("@graph", "mainEntity", "mainEntityOfPage")


def _ld_types(root: HtmlElement) -> frozenset[str]:
    """Declared schema.org types: JSON-LD (@graph and mainEntity included) and microdata."""
    found: set[str] = set()
    for node in json_ld_objects(root, nested=_OWN_LD, max_depth=6):
        types = node.get("@type")
        found.update(
            _short_type(t)
            for t in (types if isinstance(types, list) else [types])
            if isinstance(t, str)
        )
    for itemtype in _ITEMTYPES(root):
        found.update(_short_type(t) for t in str(itemtype).split())
    return frozenset(found)


def _short_type(name: str) -> str:
    """ "http://schema.org/NewsArticle", "schema:NewsArticle" -> "newsarticle"."""
    return re.split(r"[/:#]", name.strip())[-1].lower()


def _canonical(root: HtmlElement, url: str) -> set[str]:
    """The page's own addresses: its URL and the canonical / og:url it declares."""
    own = {url.split("#", 1)[0]}
    # `//link[@rel='canonical']/@href|//meta[@property='og:url']/@content`, by lxml's tag
    # filter: the XPath tests every node of the page twice
    for elem in root.getroottree().getroot().iter("link", "meta"):
        if elem.tag == "link":
            href = elem.get("href") if elem.get("rel") == "canonical" else None
        else:
            href = elem.get("content") if elem.get("property") == "og:url" else None
        if href is not None:
            own.add(join_url(url, href.strip()).split("#", 1)[0])
    return own


class Features(Protocol):
    """What `score` reads: a `PageFeatures`, or a page measured lazily (`_Page`)."""

    @property
    def og_type(self) -> str | None: ...
    @property
    def ld_types(self) -> frozenset[str]: ...
    @property
    def prose_chars(self) -> int: ...
    @property
    def prose_paragraphs(self) -> int: ...
    @property
    def dominant_share(self) -> float: ...
    @property
    def article_links(self) -> int: ...
    @property
    def teasers(self) -> int: ...
    @property
    def teaser_share(self) -> float: ...
    @property
    def cards(self) -> int: ...
    @property
    def headed_chars(self) -> int: ...


def page_features(
    root: HtmlElement, url: str, article_pattern: re.Pattern[str] | None
) -> PageFeatures:
    """Measure the page (root: the lxml tree of the whole document)."""
    return _Page(root, url, article_pattern).features()


class _Page:
    """A page's features, each measured when first asked for: the prose, teaser and link
    measures at once (every rule of `score` reads them); the declared types, the headline
    above the text and the cards only when a rule reaches them (most articles are decided
    by their long text first)."""

    def __init__(
        self, root: HtmlElement, url: str, article_pattern: re.Pattern[str] | None
    ) -> None:
        self.root = root
        layout = self.layout = _Layout(root)
        body = root.find("body")
        page_host = host_of(url)
        own = _canonical(root, url)
        joined: dict[str, str] = {}  # href -> absolute URL without fragment (links repeat)
        same_site: dict[str, bool] = {}

        def join(href: str) -> str:
            target = joined.get(href)
            if target is None:
                target = joined[href] = join_url(url, href).split("#", 1)[0]
            return target

        def other_page(href: str | None) -> str | None:
            """The same-site page another than this one that a link points to, else None."""
            href = (href or "").strip()
            if not href or href.startswith(("#", "javascript:", "mailto:")):
                return None
            target = join(href)
            on_site = same_site.get(target)
            if on_site is None:
                on_site = same_site[target] = host(target) == page_host
            return target if on_site and target not in own else None

        def is_self(href: str) -> bool:
            return join(href.strip()) in own

        self.other_page, self.is_self = other_page, is_self
        per_block: Counter[HtmlElement] = Counter()
        prose: dict[HtmlElement, int] = {}
        # (blocks inside the furniture are never prose: not walked)
        for block, text, linked in _blocks(
            body if body is not None else root, layout.encloses_chrome
        ):
            if len(text) < _PROSE_MIN_CHARS or linked > 0.3 * len(text):
                continue
            if block.tag == "li" or layout.in_chrome(block):
                continue
            prose[block] = len(text)
            parent = block.getparent()
            per_block[parent if parent is not None else block] += len(text)
        prose_chars = sum(prose.values())

        # prose blocks and their chars under each element (the block itself included)
        blocks_in: Counter[HtmlElement] = Counter()
        chars_in: Counter[HtmlElement] = Counter()
        for block, chars in prose.items():
            for holder in (block, *block.iterancestors()):
                blocks_in[holder] += 1
                chars_in[holder] += chars
        teasers = teaser_chars = 0
        in_cards: set[HtmlElement] = set()
        # a card's headline links to another page of the site: not a headline linked to the
        # page itself (permalink titles) or to the original of a repost elsewhere
        for heading in _linked(root, "h2", "h3", "h4"):
            if not any(other_page(a.get("href")) for a in heading.iter("a")):
                continue
            card = heading.getparent()
            if card is not None and 1 <= blocks_in[card] <= 2 and card not in in_cards:
                in_cards.add(card)
                teasers += 1
                teaser_chars += chars_in[card]

        links: set[str] = set()
        headline_links_in: Counter[HtmlElement] = Counter()
        standalone: list[HtmlElement] = []  # headline links not in a sentence
        for a in root.iter("a"):
            # a link's words (an XPath and a regex) are counted only where they decide
            if article_pattern is None and not _headline_words(a):
                continue
            target = other_page(a.get("href"))
            if target is None:
                continue
            if article_pattern is None:  # (its words counted above)
                headline = not layout.in_chrome(a)
            else:
                headline = bool(article_pattern.search(target)) or (
                    _headline_words(a) and not layout.in_chrome(a)
                )
            if headline:
                links.add(target)
                if not any(anc in prose for anc in a.iterancestors()):  # not in a sentence
                    standalone.append(a)
                    for holder in a.iterancestors():
                        headline_links_in[holder] += 1
        self.text_main, self.top = _main_text(prose, chars_in, headline_links_in, in_cards)
        main = max(max(per_block.values(), default=0), self.text_main)
        self.prose, self.standalone = prose, standalone
        self.prose_chars = prose_chars
        self.prose_paragraphs = len(prose)
        self.dominant_share = min(1.0, main / prose_chars) if prose_chars else 0.0
        self.article_links = len(links)
        self.teasers = teasers
        self.teaser_share = teaser_chars / prose_chars if prose_chars else 0.0

    @cached_property
    def og_type(self) -> str | None:
        found = _OG_TYPE(self.root)
        return str(found).strip().lower() or None

    @cached_property
    def ld_types(self) -> frozenset[str]:
        return _ld_types(self.root)

    @cached_property
    def headed_chars(self) -> int:
        """Chars of the main text when the page's headline stands right above it, else 0."""
        if self.top is None:
            return 0
        headed = _headed(
            self.root,
            self.top,
            self.prose,
            self.layout,
            self.standalone,
            self.other_page,
            self.is_self,
        )
        return self.text_main if headed else 0

    @cached_property
    def cards(self) -> int:
        root = self.root
        return sum(1 for _ in root.iter("article")) + len(_linked(root, "h2", "h3"))

    def features(self) -> PageFeatures:
        return PageFeatures(
            og_type=self.og_type,
            ld_types=self.ld_types,
            prose_chars=self.prose_chars,
            prose_paragraphs=self.prose_paragraphs,
            dominant_share=self.dominant_share,
            article_links=self.article_links,
            teasers=self.teasers,
            teaser_share=self.teaser_share,
            cards=self.cards,
            headed_chars=self.headed_chars,
        )


def _main_text(
    prose: dict[HtmlElement, int],
    chars_in: Counter[HtmlElement],
    headline_links_in: Counter[HtmlElement],
    cards: set[HtmlElement],
) -> tuple[int, HtmlElement | None]:
    """Prose chars of the largest container of text that is no list of other pages, and it.

    From each prose block, climb while the next ancestor holds at most _MAX_LINKS_IN_TEXT
    headline links that stand on their own (not in a sentence) and is no teaser card nor holds
    one: an article's paragraphs, or a gallery's captions each in its own box, add up; a
    listing's excerpts stop at their cards."""
    holds_card = {holder for card in cards for holder in (card, *card.iterancestors())}
    best, best_top = 0, None
    for block in prose:
        top = block
        if block not in holds_card:
            for anc in block.iterancestors():
                if anc.tag in ("body", "html") or anc in holds_card:
                    break
                if headline_links_in[anc] > _MAX_LINKS_IN_TEXT:
                    break
                top = anc
        chars = chars_in[top] if top is not block else prose[block]
        if chars > best:
            best, best_top = chars, top
    return best, best_top


def _headed(
    root: HtmlElement,
    text: HtmlElement,
    prose: Iterable[HtmlElement],
    layout: _Layout,
    standalone: list[HtmlElement],
    links_to: Callable[[str | None], str | None],
    is_self: Callable[[str], bool],
) -> bool:
    """Does the page's headline stand right above its main text (an article's title and body)?

    The headline: a heading outside the furniture that links to the page itself (a permalink
    title), or that links to no other page and is an <h1> or repeats words of the page's
    <title> / og:title (blogs title posts with h2/h3 under the site's h1). Right above: it
    precedes a prose block of the text with no headline link between them; a listing's title
    is followed by its list instead."""
    title = " ".join(" ".join(t.split()).lower() for t in _TITLES(root))
    order = {elem: i for i, elem in enumerate(root.iter())}
    paragraphs = sorted(order[b] for b in prose if b is text or text in b.iterancestors())
    links_at = [order[a] for a in standalone]
    for heading in root.iter("h1", "h2", "h3"):
        words = " ".join(_STRING(heading).split()).lower()
        if not words or layout.in_chrome(heading):
            continue
        hrefs = [a.get("href") for a in heading.iter("a")]
        if any(links_to(h) for h in hrefs):
            continue
        permalink = any(is_self(h) for h in hrefs if h)
        if not permalink and heading.tag != "h1" and (len(words.split()) < 2 or words not in title):
            continue
        at = order[heading]
        start = next((i for i in paragraphs if i > at), None)
        if start is not None and not any(at < i < start for i in links_at):
            return True
    return False


def is_teaser_list(f: Features) -> bool:
    """Most of the prose sits in cards under linked headlines."""
    return f.teasers >= 3 and f.teaser_share >= 0.5


def is_headline_list(f: Features) -> bool:
    """Headline links outweigh the longest text."""
    return f.article_links >= 4 and main_text(f) < _CHARS_PER_HEADLINE * f.article_links


def main_text(f: Features) -> int:
    """Chars of the page's largest text that is no list of other pages."""
    return int(f.prose_chars * f.dominant_share)


def dominant_text(f: Features) -> int:
    """Chars of the main text when it holds most of the prose, else 0."""
    return main_text(f) if f.dominant_share >= 0.6 else 0


def declares_article(f: Features) -> bool:
    return f.og_type == "article" or bool(f.ld_types & ARTICLE_TYPES)


def score(f: Features) -> int:
    """> 0: one article; <= 0: a page of links to articles.

    In order: one long text is an article, whatever else the page shows (a page that looks
    like both is kept: dropping an article is the worse error, and a kept page is still judged
    by the quality gate); prose that is mostly teaser cards is a listing; a shorter dominant
    text is an article, and so is a declared article with a paragraph of its own (a thin post
    among its site's link lists: a list page that declares an article wrongly has none), and
    a paragraph right under the page's headline (a short post: a listing's title heads its
    list); headline links outweighing the text make a listing. What is left has no sign of a list
    but its declared type and cards; a page with no sign either way goes to the chain, which
    judges (and reports) what is left of it."""
    if main_text(f) >= _LONG_CHARS:
        return 3
    if is_teaser_list(f):
        return -3
    if dominant_text(f) >= _DOMINANT_CHARS:
        return 2
    if declares_article(f) and main_text(f) >= _PROSE_MIN_CHARS:
        return 2
    if f.headed_chars >= _PROSE_MIN_CHARS:
        return 2
    if is_headline_list(f):
        return -2
    if declares_article(f):
        return 2
    points = 1
    if f.ld_types & LISTING_TYPES:
        points -= 2
    if f.cards > max(6, f.prose_paragraphs // 2) and f.article_links >= 3:
        points -= 1
    return points


def classify(
    root: HtmlElement, url: str, article_pattern: re.Pattern[str] | None = None
) -> PageKind:
    """Article or listing, with the score and the features behind it (those `score` did not
    read are measured when `PageKind.features` is asked for)."""
    page = _Page(root, url, article_pattern)
    points = score(page)
    return PageKind("article" if points > 0 else "listing", points, page)
