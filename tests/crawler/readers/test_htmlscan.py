"""The attribute pre-scan's tokenizer: the regex with "<" factored out in front (which lets the
regex engine skip text by a fast search) splits pages exactly as the plain alternation did."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crawler.readers.htmlscan import _MARKUP, max_attributes

# the tokenizer as first written: each alternative starting with its own "<"
_ALTERNATION = re.compile(
    r"""
    <!--(?:-?>|.*?--!?>|.*)
    | <[!?][^>]*>? | </(?![A-Za-z])[^>]*>?
    | (?P<tag><
        (?:(?=(?P<raw>(?i:script|style|textarea|title|xmp|iframe|noembed|noframes|plaintext))
          [\t\n\f\r />]))?
        /?[A-Za-z][^\t\n\f\r />]*
        (?:(?:[\t\n\f\r ]|/(?!>))+
          | [^\t\n\f\r />][^\t\n\f\r />=]*
            (?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:"[^"]*"|'[^']*'|[^\t\n\f\r >]*))?
        )*+(?P<end>/?>)?)
    """,
    re.ASCII | re.DOTALL | re.VERBOSE,
)
DEV = Path(__file__).resolve().parents[3] / "eval" / "dev" / "html"
TRICKY = [
    "<!-- a <b> --> <!--> <!---> <!-- open",
    "<!doctype html><?xml x?></ x></3 <3 a < b <<a>",
    '<a b="<c d e>" f=\'g>h\' i=j k/>text</a ><br/ ><img src=x alt="">',
    "<script>if (a<b) x = '</scr' + 'ipt>'; <!-- <script> </script> --></script><p q>",
    "<style>p{}</style><title><b></title><textarea></textarea x><plaintext><a>",
    '<a b="unterminated c d e f g h',
    "<div " + " ".join(f"a{i}=v" for i in range(40)) + ">x</div>",
    # every raw-text element, in either case (the regex tries their first letters first),
    # and tags that begin as one does
    "<XMP><a b></xmp><NoEmbed><c></noembed><IFRAME><d></iframe><NOFRAMES><e></noframes>"
    "<sTyLe><f></style><TiTlE><g></title><TEXTAREA><h></textarea><Script><i></SCRIPT>"
    "<span><pre><table><th><img><input><nav><ins><x-script><PlainText><a>",
]


def _tokens(pattern: re.Pattern[str], text: str) -> list[tuple[object, ...]]:
    return [(m.span(), bool(m["tag"]), m["raw"], m["end"]) for m in pattern.finditer(text)]


@pytest.mark.parametrize(
    "text", TRICKY + [p.read_text("utf-8") for p in sorted(DEV.glob("*.html"))[:20]]
)
def test_markup_tokens_are_those_of_the_plain_alternation(text: str) -> None:
    assert _tokens(_MARKUP, text) == _tokens(_ALTERNATION, text)


def test_separator_count_shortcut_is_exact_at_the_limit() -> None:
    tag = "<div " + " ".join(f"attr{i:02d}" for i in range(12)) + ">"  # 12 spaces, 12 attributes
    assert max_attributes(tag, above=11) == 12  # 13 separators (with ">") > 11: scanned
    assert max_attributes(tag, above=13) == 0  # 13 separators <= 13: no tag can exceed it


@pytest.mark.parametrize("size", [0, 1, 16_383, 16_384, 16_385, 100_000])
@pytest.mark.parametrize("limit", [0, 1, 9_999, 10_000, 10_001, 40_000])
def test_separator_count_by_chunks_is_the_whole_count(size: int, limit: int) -> None:
    from crawler.readers.htmlscan import _SEPARATORS, _at_most

    text = ("ab c=d/e>f\tg\nh" * (size // 14 + 1))[:size]
    assert _at_most(text, _SEPARATORS, limit) == (
        sum(text.count(char) for char in _SEPARATORS) <= limit
    )
