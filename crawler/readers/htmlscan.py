"""The most attributes any one tag of an HTML page has, found before the page is parsed.

libxml2's HTML parser checks each new attribute of an element against all earlier ones, so its
time grows with the square of one element's attribute count: 32,000 attributes take seconds, a
20 MB tag with millions takes hours, inside one C call that no time limit can interrupt. This
scan is linear. It splits the source as libxml2's HTML5 tokenizer does (comments, bogus
comments, raw-text elements, script escapes, quotes only after `=`), and where the two could
still disagree it counts more, never less: a quoted value that holds a `<` has its words
counted too, since it might hide a tag the parser sees.
"""

from __future__ import annotations

import re
from functools import lru_cache

_MARKUP = re.compile(
    r"""
    <(?:                                              # "<" once, in front: the regex engine
                                                      # then skips text by a fast search for it
      !--(?:-?>|.*?--!?>|.*)                          # comment, HTML5 endings included
    | [!?][^>]*>? | /(?![A-Za-z])[^>]*>?              # bogus comment: doctype, <?...>, </ x>
    | (?P<tag>                                        # start or end tag:
        (?:(?=[iInNpPsStTxX])                         # (a raw-text element's start tag;
          (?=(?P<raw>(?i:script|style|textarea|title|xmp|iframe|noembed|noframes|plaintext))
          [\t\n\f\r />]))?                           #  its first letter tried first)
        /?[A-Za-z][^\t\n\f\r />]*                      # its name, then
        (?:(?:[\t\n\f\r ]|/(?!>))+                     # white space and stray slashes
          | [^\t\n\f\r />][^\t\n\f\r />=]*             # or an attribute name and value
            (?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:"[^"]*"|'[^']*'|[^\t\n\f\r >]*))?
        )*+(?P<end>/?>)?)                             # "/>": self-closing
    )""",
    re.ASCII | re.DOTALL | re.VERBOSE,  # ASCII: "ſcript" is not "script" to the parser
)  # `*+` (possessive): no backtracking state kept per attribute, a 20 MB tag takes no memory
# what changes the state of a script's text: <!-- (<!--> and <!---> change nothing), -->,
# and <script / </script followed by a delimiter
_SCRIPT_MARK = re.compile(
    r"<!--(?:-*>)?|-->|<(/?)script(?=[\t\n\f\r />])", re.ASCII | re.IGNORECASE
)
_QUOTED = re.compile(r"""=[\t\n\f\r ]*("[^"]*"|'[^']*')""")
_WORD = re.compile(r"[^\t\n\f\r /=>]+")
_SEPARATORS = " \n=/>\t\r\f"  # what `_WORD`s are split by (the most frequent first)
_SHORT_TAG = 64  # a tag this short cannot have many attributes: not counted


def max_attributes(html: str, above: int = 0) -> int:
    """The largest number of attributes of any tag in `html`, counted generously: every
    attribute name and unquoted value counts. With `above`, only tags long enough to hold
    more than `above` attributes are counted (the others read as 0): the count is exact
    whenever it exceeds `above`, which is all a limit check needs, and costs far less."""
    # n characters hold at most (n + 1) // 2 words (a word, a separator, a word...), the tag's
    # name one of them: a tag of 2 * (above + 1) characters or fewer has `above` attributes at most
    shortest = max(_SHORT_TAG, 2 * (above + 1))
    # and a page with no more separators than `above` has no more words than `above` + 1 in
    # all, so no tag with more attributes (a few C-speed counts instead of the scan)
    if above and _at_most(html, _SEPARATORS, above):
        return 0
    most, pos = 0, 0
    while True:
        for match in _MARKUP.finditer(html, pos):
            if match.end() - match.start() > shortest and match["tag"]:
                most = max(most, _count_attributes(match[0]))
            # the text of a raw-text element is not markup (unless its tag closes itself)
            if match["raw"] and match["end"] != "/>":
                pos = _raw_text_end(html, match.end(), match["raw"].lower())
                break
        else:
            return most


_COUNT_CHUNK = 16_384  # characters counted at a time


def _at_most(text: str, chars: str, limit: int) -> bool:
    """Whether `text` holds `limit` or fewer of `chars` in all (counting stops above it, in
    the chunk where it gets there: on a long page, the most frequent separator alone is
    usually past the limit well before the page's end)."""
    total = 0
    for char in chars:
        for start in range(0, len(text), _COUNT_CHUNK):
            total += text.count(char, start, start + _COUNT_CHUNK)
            if total > limit:
                return False
    return True


def _count_attributes(tag: str) -> int:
    """Words of a tag outside its quoted values, and inside those holding a `<`."""
    kept = _QUOTED.sub(lambda value: value[1] if "<" in value[1] else "=", tag)
    return sum(1 for _ in _WORD.finditer(kept)) - 1  # the tag name is not an attribute


def _raw_text_end(html: str, pos: int, name: str) -> int:
    """Where the text of a raw-text element starting at `pos` ends (at its end tag)."""
    if name == "plaintext":
        return len(html)
    if name == "script":
        return _script_end(html, pos)
    end = _end_tag(name).search(html, pos)
    return end.start() if end else len(html)


@lru_cache(maxsize=16)
def _end_tag(name: str) -> re.Pattern[str]:
    return re.compile(rf"</{name}(?=[\t\n\f\r />])", re.ASCII | re.IGNORECASE)


def _script_end(html: str, pos: int) -> int:
    """The end of a script's text, with HTML5's escapes: after `<!--` a `<script>` does not
    end at the next `</script>` ("double escaped") until `-->` or that end tag."""
    state = "data"  # "data", "escaped" or "double" (escaped)
    for mark in _SCRIPT_MARK.finditer(html, pos):
        text = mark[0]
        if text.startswith("<!--"):
            if state == "data" and not text.endswith(">"):
                state = "escaped"
        elif text == "-->":
            state = "data"
        elif mark[1]:  # </script
            if state != "double":
                return mark.start()
            state = "escaped"
        elif state == "escaped":  # <script
            state = "double"
    return len(html)


# Sniffing: is a decoded input an HTML document (or fragment), or a page dump?
_SNIFF_CHARS = 65_536
# a document's start: optional comments (IE's "saved from url"), an XML declaration, then a
# doctype or the <html> / <head> / <body> tag
_DOCUMENT_START = re.compile(
    r"\A[\s\ufeff]*(?>(?:<!--.*?-->|<\?xml[^>]*>)\s*)*+"  # atomic: no backtracking
    r"<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])",
    re.IGNORECASE | re.DOTALL,
)
# a tag of the elements pages are made of (start or end, attributes allowed)
_COMMON_TAG = re.compile(
    r"</?(?:p|div|span|a|br|hr|img|ul|ol|li|dl|dt|dd|table|thead|tbody|tr|td|th|h[1-6]|script"
    r"|style|meta|link|section|article|nav|header|footer|main|aside|form|input|button|em"
    r"|strong|b|i|u|small|blockquote|figure|figcaption|picture|source|iframe|noscript|title"
    r"|html|head|body|pre|code|time|label|select|option|svg)(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)


def looks_like_html(text: str, *, hint_html: bool) -> bool:
    """Whether decoded input is HTML (a document or a fragment) rather than a page dump, from
    its first 64 KB; the file name's kind is the hint that breaks close calls.

    A document start (doctype, <html>, <head>, <body>, after comments or an XML declaration)
    is HTML whatever the name. Otherwise lines holding tags of common elements decide: a
    `.html` file is HTML when at least 1 in 10 of its lines has one (a saved <p> or two is; a
    page dump with one "<b>" quoted in an article is not), a `.txt` file when at least half
    of its lines (and 3) have one.
    """
    head = text[:_SNIFF_CHARS]
    if _DOCUMENT_START.match(head):
        return True
    if _COMMON_TAG.search(head) is None:  # (a line's tag is one in the head: no line has one)
        return False
    lines = [line for line in head.split("\n") if line.strip()]
    tagged = sum(1 for line in lines if _COMMON_TAG.search(line))
    if hint_html:
        return tagged > 0 and tagged * 10 >= len(lines)
    return tagged >= 3 and tagged * 2 >= len(lines)
