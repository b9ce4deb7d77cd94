"""Does lxml lose text a more forgiving HTML parser keeps? (why beautifulsoup4 is not a dependency)

    .venv/bin/python bench/html_parsers.py [DIR ...]

DIR defaults to eval/dev and ../shared/eval/dragnet-train (965 real pages, AGPL: read in place).

For every HTML page: the visible text (script/style/noscript/template excluded, white space
removed) of the lxml tree the extractor works on (`crawler.extract.html._parse`), against that of
Python's own `html.parser` (the parser BeautifulSoup's "html.parser" builder drives; its other
builders are lxml and html5lib). Prints how many pages each parser keeps under 90% of the
other's text on, the totals, and the time of each as a ratio.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.errors import Drop
from crawler.extract.html import _parse
from crawler.readers.decode import decode_bytes

ROOT = Path(__file__).resolve().parent.parent
_SPACE = re.compile(r"\s+")
_HIDDEN = frozenset({"script", "style", "noscript", "template"})


class _Text(HTMLParser):
    """Visible text of a page, as the standard library's tolerant parser reads it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.hidden += tag in _HIDDEN

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in _HIDDEN and self.hidden > 0

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def stdlib_chars(html: str) -> int:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return len(_SPACE.sub("", "".join(parser.parts)))


def lxml_chars(html: str) -> int:
    tree = _parse(html)
    if tree is None:
        return 0
    for hidden in tree.xpath("//script|//style|//noscript|//template"):
        hidden.drop_tree()
    return len(_SPACE.sub("", tree.text_content()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    shared = next((u / "shared" / "eval" for u in ROOT.parents if (u / "shared").is_dir()), None)
    default = [ROOT / "eval" / "dev", *([shared / "dragnet-train"] if shared else [])]
    parser.add_argument("dirs", nargs="*", type=Path, default=default)
    args = parser.parse_args()
    rows: list[tuple[str, int, int]] = []
    seconds = {"lxml": 0.0, "html.parser": 0.0}
    for folder in args.dirs:
        for path in sorted(folder.rglob("*.htm*")):
            try:
                html = decode_bytes(path.read_bytes(), html=True)
            except Drop:
                continue
            start = time.perf_counter()
            a = lxml_chars(html)
            seconds["lxml"] += time.perf_counter() - start
            start = time.perf_counter()
            b = stdlib_chars(html)
            seconds["html.parser"] += time.perf_counter() - start
            rows.append((path.name, a, b))
    lxml_lost = [r for r in rows if r[2] > 200 and r[1] < 0.9 * r[2]]
    stdlib_lost = [r for r in rows if r[1] > 200 and r[2] < 0.9 * r[1]]
    print(f"{len(rows)} pages in {', '.join(str(d) for d in args.dirs)}")
    print(f"lxml keeps < 90% of html.parser's text on {len(lxml_lost)} pages")
    print(f"html.parser keeps < 90% of lxml's text on {len(stdlib_lost)} pages")
    print(f"visible chars: lxml {sum(r[1] for r in rows)}, html.parser {sum(r[2] for r in rows)}")
    ratio = seconds["html.parser"] / max(seconds["lxml"], 1e-9)
    print(f"time: html.parser takes {ratio:.1f}x lxml's (tree building included for lxml)")
    for name, a, b in sorted(lxml_lost, key=lambda r: r[1] / r[2])[:10]:
        print(f"  {name}: lxml {a} vs html.parser {b}")


if __name__ == "__main__":
    main()
