"""A text's lines as dedup reads them, tokenized once.

Dedup looks at a page's lines many ways (paragraph keys, shingles of all of them or of a few,
prose lines, word counts); each used to tokenize the text again, line by line. `Lines` does it
once for the whole text (in C, `crawler/extract/_shingles.c`, else in one pass of a regular
expression), and keeps per line its tokens (as `crawler.extract.normalize.tokens` makes them,
joined by single spaces, as UTF-8 bytes), its token count, its white-space word count and
whether it ends a sentence; the rest is derived from these.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from crawler.dedup.minhash import (
    I64,
    U64,
    each_span_shingles,
    joined_span_shingles,
    span_hashes,
    span_hashes_of_lines,
)
from crawler.extract.boilerplate import native

# `_shingles.c`: a text's lines' tokens, counts and keys in one pass (the code below is the
# reference, and runs without the build)
_C = native.c_module("crawler.extract._shingles")

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]

# `normalize.tokens` is `\w+` over the case-folded text with each CJK character set apart by
# spaces; the same, with every run of other characters except a line break made one space, keeps
# each line's tokens on its line (tests/crawler/dedup/test_lines.py checks they agree)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_NOT_WORD = re.compile(r"[^\w\n]+")
_WORD_CHAR = re.compile(r"\w")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
# A text whose characters beyond ASCII are all separators (quotes, dashes, no-break spaces, as in
# most English news) is tokenized on its UTF-8 bytes: word bytes lower-cased, line breaks kept,
# every other byte a space
_ASCII_TOKENS = (
    bytes(
        (c | 32 if 65 <= c <= 90 else c) if chr(c).isalnum() or c in b"_\n" else 32
        for c in range(128)
    )
    + b" " * 128
)
_SEPARATOR: dict[str, bool] = {}  # a character beyond ASCII -> neither it nor its folding is \w
SENTENCE_END = tuple('.!?"\u201d\u2019)')


def token_lines(text: str) -> list[str]:
    """Each line's (`text.split("\\n")`) word tokens joined by single spaces, "" for a line
    without one: `" ".join(tokens(line))` for every line, in one pass over the text."""
    if _ascii_tokens(text):
        return _ascii_token_lines(text)
    folded = text.casefold()
    if _CJK.search(folded):
        folded = _CJK.sub(lambda m: f" {m.group()} ", folded)
    return [line.strip(" ") for line in _NOT_WORD.sub(" ", folded).split("\n")]


def _ascii_tokens(text: str) -> bool:
    """Whether every character of the text beyond ASCII separates tokens, folded or not."""
    if text.isascii():
        return True
    for char in set("".join(_NON_ASCII.findall(text))):
        separator = _SEPARATOR.get(char)
        if separator is None:
            separator = not _WORD_CHAR.search(char) and not _WORD_CHAR.search(char.casefold())
            if len(_SEPARATOR) < 1 << 16:
                _SEPARATOR[char] = separator
        if not separator:
            return False
    return True


def _ascii_token_lines(text: str) -> list[str]:
    """`token_lines` of a text whose tokens are ASCII (`_ascii_tokens`), from its bytes."""
    data = text.encode("utf-8", "surrogatepass").translate(_ASCII_TOKENS).decode("ascii")
    return [" ".join(line.split()) for line in data.split("\n")]


def token_counts(token_strings: Sequence[str]) -> IntArray:
    """Tokens in each of `token_lines`' strings."""
    counts = (s.count(" ") + 1 if s else 0 for s in token_strings)
    return np.fromiter(counts, dtype=np.intp, count=len(token_strings))


def paragraph_keys(text: str, min_words: int) -> tuple[list[str], U64]:
    """The text's paragraphs (lines) of at least min_words word tokens, in order, and a 64-bit
    hash of each, made like a shingle of all its tokens (case and punctuation do not count)."""
    at, keys = Lines.of(text).paragraphs(min_words)
    if not at.size:
        return [], keys
    raw = text.split("\n")
    return [raw[j] for j in at], keys


def paragraph_keys_of(token_strings: list[str], min_words: int) -> tuple[IntArray, U64]:
    """Of `token_lines`' strings: the lines of at least min_words tokens (their numbers) and
    their keys (`paragraph_keys`)."""
    return _keys_where(token_strings, token_counts(token_strings) >= min_words)


def _keys_where(token_strings: list[str], chosen: BoolArray) -> tuple[IntArray, U64]:
    """The numbers of the chosen lines and their paragraph keys."""
    at = np.flatnonzero(chosen)
    return at, span_hashes_of_lines([token_strings[j] for j in at.tolist()])


def _token_bytes(token_strings: list[str]) -> tuple[bytes, tuple[I64, I64, I64]]:
    """`token_lines`' strings as `Lines` keeps them: their UTF-8 bytes joined by line breaks,
    and each line's start, end and token count."""
    data = "\n".join(token_strings).encode()
    breaks = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))
    starts = np.concatenate(([0], breaks + 1)).astype(np.int64)
    ends = np.concatenate((breaks, [len(data)])).astype(np.int64)
    return data, (starts, ends, token_counts(token_strings).astype(np.int64))


def paragraph_hashes(text: str, min_words: int) -> U64:
    """Sorted unique hashes of the text's paragraphs of at least min_words words
    (`paragraph_keys`)."""
    return np.unique(paragraph_keys(text, min_words)[1])


class Lines:
    """One text's lines (`text.split("\\n")`), tokenized once: each line's word tokens, joined by
    single spaces, as UTF-8 bytes in `data` (the lines joined by line breaks; line j's are
    `data[starts[j]:ends[j]]`) and its token count; white-space words and sentence ends. With
    the C module (`_shingles.line_figures`) all of them come from one pass over the text;
    else (the reference) the tokens from `token_lines` and the rest when first asked for."""

    __slots__ = ("_raw", "_sentence", "_text", "_words", "counts", "data", "ends", "starts")

    def __init__(
        self,
        text: str,
        data: bytes,
        bounds: tuple[I64, I64, I64],
        words: I64 | None = None,
        sentence: BoolArray | None = None,
    ) -> None:
        self._text = text
        self.data = data
        self.starts, self.ends, self.counts = bounds
        self._words = words
        self._sentence = sentence
        self._raw: list[str] | None = None

    @classmethod
    def of(cls, text: str) -> Lines:
        if _C is None:
            return cls(text, *_token_bytes(token_lines(text)))
        figures = np.empty((5, text.count("\n") + 1), dtype=np.int64)
        data = _C.line_figures(text, _ascii_tokens(text), figures)
        words, sentence = figures[3], figures[4] != 0
        if data is None:  # tokens beyond ASCII: the regular expression's
            return cls(text, *_token_bytes(token_lines(text)), words, sentence)
        return cls(text, data, (figures[0], figures[1], figures[2]), words, sentence)

    def __len__(self) -> int:
        return int(self.counts.size)

    @property
    def raw(self) -> list[str]:
        """The lines' text."""
        if self._raw is None:
            self._raw = self._text.split("\n")
        return self._raw

    @property
    def words(self) -> I64:
        """White-space words per line (`len(line.split())`)."""
        if self._words is None:
            raw = self.raw
            self._words = np.fromiter((len(line.split()) for line in raw), np.int64, len(raw))
        return self._words

    @property
    def sentence(self) -> BoolArray:
        """Whether each line ends a sentence."""
        if self._sentence is None:
            ends = (line.rstrip().endswith(SENTENCE_END) for line in self.raw)
            self._sentence = np.fromiter(ends, bool, len(self.raw))
        return self._sentence

    def __add__(self, other: Lines) -> Lines:
        """The lines of `f"{a}\\n{b}"`."""
        return Lines.of(f"{self._text}\n{other._text}")

    def head(self, n: int, text: str | None = None) -> Lines:
        """The first n lines (`text`: theirs, when the caller has it)."""
        part = Lines.__new__(Lines)
        part._text = "\n".join(self.raw[:n]) if text is None else text
        part._raw = None if self._raw is None else self._raw[:n]
        part.data = self.data
        part.starts, part.ends, part.counts = self.starts[:n], self.ends[:n], self.counts[:n]
        part._words = None if self._words is None else self._words[:n]
        part._sentence = None if self._sentence is None else self._sentence[:n]
        return part

    def paragraphs(self, min_words: int) -> tuple[IntArray, U64]:
        """The lines of at least min_words tokens (their numbers) and their keys, as
        `paragraph_keys` makes them."""
        at = np.flatnonzero(self.counts >= min_words)
        return at, span_hashes(self.data, self.starts[at], self.ends[at])

    def shingles(self, k: int, keep: BoolArray | None = None) -> U64:
        """`shingle_set` of the text made of the lines (those where `keep`)."""
        if keep is None:
            return joined_span_shingles(
                self.data, self.starts, self.ends, k, int(self.counts.sum())
            )
        at = np.flatnonzero(keep)
        words = int(self.counts[at].sum())
        return joined_span_shingles(self.data, self.starts[at], self.ends[at], k, words)

    def line_shingles(self, k: int, keep: BoolArray) -> tuple[U64, IntArray]:
        """The k-word shingles of each line where `keep` (`minhash.line_shingles_of_tokens`:
        the hashes, and the number, among those lines, of the line each came from)."""
        at = np.flatnonzero(keep)
        words = int(self.counts[at].sum())
        return each_span_shingles(self.data, self.starts[at], self.ends[at], k, words)

    def text(self, keep: BoolArray | None = None) -> str:
        """The text of the lines (those where `keep`)."""
        if keep is None:
            return "\n".join(self.raw)
        return "\n".join(self.raw[j] for j in np.flatnonzero(keep))

    def lead(self, n: int, keep: BoolArray | None = None) -> str:
        """The first n white-space words of the text of the lines (those where `keep`), joined
        by single spaces: `" ".join(text.split(maxsplit=n)[:n])`."""
        words: list[str] = []
        for j, line in enumerate(self.raw):
            if keep is None or keep[j]:
                words += line.split(maxsplit=n - len(words))[: n - len(words)]
                if len(words) >= n:
                    break
        return " ".join(words)

    def prose_density(self, min_words: int) -> float:
        """Share of the words in lines of min_words words or more that end a sentence."""
        total = int(self.words.sum())
        return int(self.words[self.prose(min_words)].sum()) / total if total else 0.0

    def prose(self, min_words: int) -> BoolArray:
        """Lines of at least min_words white-space words that end a sentence."""
        mask: BoolArray = (self.words >= min_words) & self.sentence
        return mask
