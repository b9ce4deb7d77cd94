"""trafilatura's `extract_content` with its id/class XPaths read by walks (issue 15).

trafilatura 2.3.1 finds the article's frame with `BODY_XPATH` and prunes it with
`OVERALL_DISCARD_XPATH`, `DISCARD_IMAGE_ELEMENTS` and `TEASER_DISCARD_XPATH`; most of those
expressions test ids and classes with EXSLT's `re:test`, a call from libxml2 into Python for
every candidate element (the second discard expression: three calls for every element of the
frame), a fifth of the HTML path's instructions. Here the same tests run in Python on the
elements that carry one of the attributes they read (picked by an XPath without regexes, in
C), with the regular expressions lifted from the library's own XPath source: `_lifted` reads
them where the source is the expression written below, word for word (white space aside), and
where it is not (another trafilatura version), the library's XPath itself is used. A search is
remembered per string (`remembered_search`): a page repeats its classes, a site its template's.

XPath's string value of `@id|@class` is the value of whichever of the two comes first in the
tag (`_first_of`), and an absent attribute reads as "" (no lifted pattern matches "", else
the library's XPath is used). `extract_content`, `_extract` and `prune_unwanted_sections` are
trafilatura's, verbatim but for the expressions they are given, their debug logging and the
backup copy of the tree, made only when it is read.
`tests/crawler/extract/test_html_content.py` compares each walk with its XPath on real pages
and on hand-made ones, the two steps' code with the library's, and `extract_content` with the
library's on the dev pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import cast

from lxml.etree import Element, XPath, _Element, strip_elements, strip_tags
from lxml.html import HtmlElement
from trafilatura.htmlprocessing import (
    delete_by_link_density,
    link_density_test_tables,
    process_node,
    prune_unwanted_nodes,
)
from trafilatura.main_extractor import (
    NOT_AT_THE_END,
    REBUILT_BLOCKS,
    _elem_text,
    handle_textelem,
    recover_wild_text,
)
from trafilatura.settings import INLINE_FORMATTABLE, MIN_DUPLICATE_LENGTH, TAG_CATALOG, Extractor
from trafilatura.utils import SPACING_PROTECTED, text_chars_test
from trafilatura.xml import delete_element
from trafilatura.xpaths import (
    BODY_XPATH,
    DISCARD_IMAGE_ELEMENTS,
    OVERALL_DISCARD_XPATH,
    PRECISION_DISCARD_XPATH,
    TEASER_DISCARD_XPATH,
)

Finder = Callable[[_Element], Sequence[_Element]]
Test = Callable[[str], bool]

_SECTION_TAGS = "self::div or self::item or self::list or self::p or self::section or self::span"
_FRAME_TAGS = "self::article or self::div or self::main or self::section"


def _lifted(xpath: XPath, template: str, ignore_case: tuple[int, ...] = ()) -> list[Test] | None:
    """The regular expressions of `xpath`'s `re:test` calls, compiled as lxml compiles them
    (those at `ignore_case` with its flag "i"), if its source is `template` with `{}` for each
    of them (white space aside); None if it is not, or if one of them matches "" (an absent
    attribute)."""
    parts = " ".join(template.split()).split("{}")
    source = re.fullmatch("'([^']*)'".join(map(re.escape, parts)), " ".join(xpath.path.split()))
    if source is None:
        return None
    patterns = [
        re.compile(p, re.IGNORECASE if i in ignore_case else 0)
        for i, p in enumerate(source.groups())
    ]
    return None if any(p.search("") for p in patterns) else [remembered_search(p) for p in patterns]


def remembered_search(pattern: re.Pattern[str]) -> Test:
    """Whether `pattern` is found in a string, remembered per string: a page repeats its
    classes and ids (and a site its template's), and a search of a long alternation costs
    far more than a look-up."""

    @lru_cache(maxsize=4096)
    def found(value: str) -> bool:
        return pattern.search(value) is not None

    return found


def _first_of(elem: _Element, first: str | None, second: str | None, a: str, b: str) -> str:
    """XPath's string(@a|@b) of `elem`, given its values of `a` and `b`: the value of
    whichever comes first in the tag ("" if neither is there)."""
    if first is None:
        return second or ""
    if second is None:
        return first
    # the tag's order, which is XPath's document order of attributes (`for name in elem` would
    # iterate its children)
    for name in elem.keys():  # noqa: SIM118
        if name == a:
            return first
        if name == b:
            return second
    return first  # (not reached: both are among the keys)


def _sections_finder() -> Finder:
    """OVERALL_DISCARD_XPATH[0]: chrome sections by id, class, role and data attributes."""
    xpath = OVERALL_DISCARD_XPATH[0]
    lifted = _lifted(
        xpath,
        f""".//*[{_SECTION_TAGS}][ @data-lp-replacement-content or
        contains(translate(@role, 'N', 'n'), 'nav') or
        contains(@data-component, 'MostPopularStories') or re:test(@id|@class, {{}}) or
        re:test(@id, {{}}) or re:test(@class, {{}})]""",
    )
    if lifted is None:
        return cast(Finder, xpath)
    either, by_id, by_class = lifted
    candidates = XPath(
        f".//*[{_SECTION_TAGS}][@data-lp-replacement-content or @role or @data-component"
        " or @id or @class]"
    )

    def find(tree: _Element) -> list[_Element]:
        found = []
        for elem in candidates(tree):
            ident, cls, role = elem.get("id"), elem.get("class"), elem.get("role")
            component = elem.get("data-component")
            if (
                elem.get("data-lp-replacement-content") is not None
                or (role is not None and "nav" in role.replace("N", "n"))
                or (component is not None and "MostPopularStories" in component)
                or either(_first_of(elem, ident, cls, "id", "class"))
                or (ident is not None and by_id(ident))
                or (cls is not None and by_class(cls))
            ):
                found.append(elem)
        return found

    return find


def _hidden_finder() -> Finder:
    """OVERALL_DISCARD_XPATH[1]: hidden elements, reply forms and comment titles."""
    xpath = OVERALL_DISCARD_XPATH[1]
    lifted = _lifted(
        xpath,
        """.//*[@class='comments-title' or starts-with(@id|@class, 'reply-') or
        re:test(@id|@style, {}) or contains(@style, 'display:none') or
        contains(@style, 'display: none') or re:test(@id, {}) or re:test(@class, {}) or
        @aria-hidden='true']""",
    )
    if lifted is None:
        return cast(Finder, xpath)
    hidden, by_id, by_class = lifted
    candidates = XPath(".//*[@class or @id or @style or @aria-hidden]")

    def find(tree: _Element) -> list[_Element]:
        found = []
        for elem in candidates(tree):
            ident, cls, style = elem.get("id"), elem.get("class"), elem.get("style")
            if (
                cls == "comments-title"
                or _first_of(elem, ident, cls, "id", "class").startswith("reply-")
                or hidden(_first_of(elem, ident, style, "id", "style"))
                or (style is not None and ("display:none" in style or "display: none" in style))
                or (ident is not None and by_id(ident))
                or (cls is not None and by_class(cls))
                or elem.get("aria-hidden") == "true"
            ):
                found.append(elem)
        return found

    return find


def _frame_finder(
    index: int,
    template: str,
    attributes: str,
    test: Callable[..., bool],
    ignore_case: tuple[int, ...] = (),
) -> Finder:
    """BODY_XPATH[index] (its first element in document order, as `_extract` reads it):
    `test(elem, *patterns)` on the frame tags carrying one of `attributes`."""
    xpath = BODY_XPATH[index]
    lifted = _lifted(xpath, template, ignore_case)
    if lifted is None:
        return cast(Finder, xpath)
    candidates = XPath(
        f".//*[{_FRAME_TAGS}][" + " or ".join(f"@{name}" for name in attributes.split()) + "]"
    )

    def find(tree: _Element) -> list[_Element]:
        for elem in candidates(tree):
            if test(elem, *lifted):
                return [elem]
        return []

    return find


def _article_frame(elem: _Element, by_id: Test, by_class: Test) -> bool:
    ident, cls = elem.get("id"), elem.get("class")
    return (
        cls in ("post", "entry")
        or elem.get("itemprop") == "articleBody"
        or ident == "articleContent"
        or (ident is not None and by_id(ident))
        or (cls is not None and by_class(cls))
    )


def _story_frame(elem: _Element, by_id: Test, full: Test, by_class: Test) -> bool:
    ident, cls = elem.get("id"), elem.get("class")
    return (
        elem.get("role") == "article"
        or ident in ("article", "story")
        or cls in ("postarea", "art-postcontent", "text", "cell", "story")
        or (ident is not None and by_id(ident))
        or (cls is not None and (full(cls) or by_class(cls)))
    )


def _main_frame(elem: _Element, by_id: Test, by_class: Test) -> bool:
    ident, cls = elem.get("id"), elem.get("class")
    return (
        ident == "content"
        or cls == "content"
        or (ident is not None and by_id(ident))
        or (cls is not None and by_class(cls))
        or (ident is not None and "main-content" in ident.replace("C", "c").replace("M", "m"))
        or (
            cls is not None
            and (
                "main-content" in cls.replace("C", "c").replace("M", "m")
                or "page-content" in cls.replace("C", "c").replace("P", "p")
            )
        )
    )


def _section_finder(
    xpaths: list[XPath], template: str, test: Callable[[str | None, str | None], bool]
) -> list[Finder]:
    """`xpaths` (one expression, `template` word for word, no regex) as `test(id, class)` on
    the section tags carrying either; the library's `xpaths` if they are not that."""
    if len(xpaths) != 1 or _lifted(xpaths[0], template) != []:
        return cast(list[Finder], xpaths)
    candidates = XPath(f".//*[{_SECTION_TAGS}][@id or @class]")

    def find(tree: _Element) -> list[_Element]:
        return [elem for elem in candidates(tree) if test(elem.get("id"), elem.get("class"))]

    return [find]


def _teaser(ident: str | None, cls: str | None) -> bool:
    return (ident is not None and "teaser" in ident.replace("T", "t")) or (
        cls is not None and "teaser" in cls.replace("T", "t")
    )


def _caption(ident: str | None, cls: str | None) -> bool:
    return (ident is not None and "caption" in ident) or (cls is not None and "caption" in cls)


_TEASER = _section_finder(
    TEASER_DISCARD_XPATH,
    f""".//*[{_SECTION_TAGS}][ contains(translate(@id, 'T', 't'), 'teaser') or
    contains(translate(@class, 'T', 't'), 'teaser')]""",
    _teaser,
)
_IMAGE = _section_finder(
    DISCARD_IMAGE_ELEMENTS,
    f".//*[{_SECTION_TAGS}][ contains(@id, 'caption') or contains(@class, 'caption')]",
    _caption,
)


_BODY: list[Finder] = [
    _frame_finder(
        0,
        f""".//*[{_FRAME_TAGS}][ @class='post' or @class='entry' or @itemprop='articleBody' or
        @id='articleContent' or re:test(@id, {{}}) or re:test(@class, {{}}) ][1]""",
        "class itemprop id",
        _article_frame,
    ),
    BODY_XPATH[1],
    _frame_finder(
        2,
        f"""(.//*[{_FRAME_TAGS}][ @role='article' or @id='article' or @id='story' or
        @class='postarea' or @class='art-postcontent' or @class='text' or @class='cell' or
        @class='story' or re:test(@id, {{}}) or re:test(@class, {{}}, 'i') or
        re:test(@class, {{}}) ])[1]""",
        "role id class",
        _story_frame,
        ignore_case=(1,),
    ),
    _frame_finder(
        3,
        f"""(.//*[{_FRAME_TAGS}][ @id='content' or @class='content' or re:test(@id, {{}}) or
        re:test(@class, {{}}) or contains(translate(@id, 'CM','cm'), 'main-content') or
        contains(translate(@class, 'CM','cm'), 'main-content') or
        contains(translate(@class, 'CP','cp'), 'page-content') ])[1]""",
        "id class",
        _main_frame,
    ),
    BODY_XPATH[4],
]
_OVERALL: list[Finder] = [_sections_finder(), _hidden_finder()]


def prune_unwanted_sections(
    tree: HtmlElement,
    potential_tags: set[str],
    options: Extractor,
    keep_teasers: bool = False,
) -> HtmlElement:
    "Rule-based deletion of targeted document sections"
    favor_precision = options.focus == "precision"
    # prune the rest
    tree = prune_unwanted_nodes(tree, _OVERALL, with_backup=True)  # type: ignore[arg-type]
    # decide if images are preserved
    if "graphic" not in potential_tags:
        tree = prune_unwanted_nodes(tree, _IMAGE)  # type: ignore[arg-type]
    # balance precision/recall
    if options.focus != "recall":
        if not keep_teasers:
            tree = prune_unwanted_nodes(tree, _TEASER)  # type: ignore[arg-type]
        if favor_precision:
            tree = prune_unwanted_nodes(tree, PRECISION_DISCARD_XPATH)
    # remove elements by link density, several passes
    for _ in range(2):
        tree = delete_by_link_density(
            tree, "div", backtracking=True, favor_precision=favor_precision
        )
        tree = delete_by_link_density(
            tree, "list", backtracking=False, favor_precision=favor_precision
        )
        tree = delete_by_link_density(
            tree, "p", backtracking=False, favor_precision=favor_precision
        )
    # tables
    if "table" in potential_tags or favor_precision:
        boilerplate_tables = [
            elem for elem in tree.iter("table") if link_density_test_tables(elem) is True
        ]
        for elem in boilerplate_tables:
            delete_element(elem, keep_tail=False)
    if favor_precision:
        # delete trailing titles
        while len(tree) > 0 and (tree[-1].tag == "head"):
            delete_element(tree[-1], keep_tail=False)
        tree = delete_by_link_density(tree, "head", backtracking=False, favor_precision=True)
        tree = delete_by_link_density(tree, "quote", backtracking=False, favor_precision=True)
    # after the link density tests, which need the refs
    strip_tags(tree, "span", *(() if "ref" in potential_tags else ("ref",)))
    return tree


def _extract(tree: HtmlElement, options: Extractor) -> tuple[_Element, str, set[str]]:
    # init
    potential_tags = set(TAG_CATALOG)
    if options.tables is True:
        potential_tags.update(["table", "td", "th", "tr"])
    if options.images is True:
        potential_tags.add("graphic")
    if options.links is True:
        potential_tags.add("ref")
    result_body = Element("body")
    # iterate
    for expr in _BODY:
        # select tree if the expression has been found
        subtree = next((s for s in expr(tree) if s is not None), None)
        if subtree is None:
            continue
        # prune the subtree
        subtree = prune_unwanted_sections(subtree, potential_tags, options)
        # skip if empty tree
        if len(subtree) == 0:
            continue
        # no paragraphs containing text, or not enough
        ptest = subtree.xpath("//p//text()")
        factor = 1 if options.focus == "precision" else 3
        if not ptest or len("".join(ptest)) < options.min_extracted_size * factor:
            potential_tags.add("div")

        subelems = subtree.xpath(".//*")
        # a single text run (only lb or inline elements): process the frame itself
        tags = {e.tag for e in subelems}
        if tags == {"lb"} or (
            subtree.tag == "div" and "div" in potential_tags and tags <= INLINE_FORMATTABLE | {"lb"}
        ):
            subelems = [subtree]
        # the frame's own text before its first child, kept if the frame is accepted
        lead, start = None, len(result_body)
        if subelems != [subtree] and text_chars_test(subtree.text):
            lead = Element("p")
            lead.text = subtree.text
            lead = process_node(lead, options)
        # extract content
        for elem in subelems:
            if elem.getroottree().getroot() is result_body:
                continue
            # handlers may rename the element to "done", so read these first
            tag, tail = elem.tag, elem.tail
            processed_elem = handle_textelem(elem, potential_tags, options)
            if processed_elem is not None:
                result_body.append(processed_elem)
                # a copy leaves its source behind for a later, wider subtree
                if elem.getroottree().getroot() is not result_body:
                    elem.tag = "done"
            # text right after a rebuilt block is a paragraph of its own
            if (
                tag in REBUILT_BLOCKS
                and text_chars_test(tail)
                and (processed_elem is None or processed_elem.tail is None)
            ):
                tail_elem = Element("p")
                tail_elem.text = tail
                if process_node(tail_elem, options) is not None:
                    result_body.append(tail_elem)
        # remove trailing titles
        while len(result_body) > 0 and (result_body[-1].tag in NOT_AT_THE_END):
            delete_element(result_body[-1], keep_tail=False)
        # exit once there is real content, not just a lone image
        if sum(e.tag != "graphic" for e in result_body) > 1:
            if lead is not None:
                result_body.insert(start, lead)
            break
    temp_text = " ".join(result_body.itertext()).strip()
    return result_body, temp_text, potential_tags


def extract_content(
    cleaned_tree: HtmlElement, options: Extractor, again: Callable[[], HtmlElement]
) -> tuple[_Element, str]:
    """trafilatura's `extract_content`: the main content of a page, found with `_BODY` and
    pruned with `_OVERALL` (the library's expressions, read by walks). Its backup copy of
    `cleaned_tree`, read only when the main pass finds too little (8% of pages), is made
    then by `again` (which makes `cleaned_tree` anew, as it was), not on every page."""
    # source order before the main pass moves elements, the backup keeps it
    order = list(cleaned_tree.iter())

    result_body, temp_text, potential_tags = _extract(cleaned_tree, options)

    # try parsing wild <p> elements if nothing found or text too short
    if len(result_body) == 0 or len(temp_text) < options.min_extracted_size:
        backup_tree = again()
        # copies of what the main pass consumed are not recovered again
        consumed: set[_Element] = {
            twin for elem, twin in zip(order, backup_tree.iter(), strict=True) if elem.tag == "done"
        }
        result_body = recover_wild_text(backup_tree, result_body, options, potential_tags, consumed)
        temp_text = " ".join(result_body.itertext()).strip()
    # drop substantial elements repeating the previous one
    previous = None
    for el in list(result_body):
        current = _elem_text(el)
        if current and current == previous and len(current) > MIN_DUPLICATE_LENGTH:
            delete_element(el, keep_tail=False)
        else:
            previous = current
    # filter output
    strip_elements(result_body, "done")
    strip_tags(result_body, "div")
    # an <lb> that only separated pruned blocks keeps no run of white space
    for linebreak in result_body.iter("lb"):
        if (
            linebreak.tail
            and not text_chars_test(linebreak.tail)
            and not any(anc.tag in SPACING_PROTECTED for anc in linebreak.iterancestors())
        ):
            linebreak.tail = None
    return result_body, temp_text
