"""The cleaner's shortcuts (preconditions before regexes, per-token tables, str.translate keys)
give exactly what the regexes / the token-by-token counts give."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from crawler.extract.boilerplate import chrome, headline, headline_vote, lines
from crawler.extract.boilerplate.lines import features
from crawler.reasons import Removed

TOKENS = [
    "",
    "...",
    "'",
    "don't",
    "e-mail",
    "«Hello»",
    "(c)",
    "2019",
    "Mon,",
    "days",
    "ſ",
    "İstanbul",
    "Ⅻ",
    "①",
    "_a_",
    "'s",
    "ǅx",
    "The",
    "the",
    "UPDATED",
]


@pytest.mark.parametrize("token", TOKENS)
def test_a_new_tokens_packed_counts_are_its_counts(token: str) -> None:
    alpha, caps, numeric, stop, dates = lines._token_counts_of([token])
    empty = 1 - alpha - numeric
    f = lines._FIELD
    assert lines._packed(token) == (
        alpha | caps << f | empty << 2 * f | stop << 3 * f | dates << 4 * f
    )


def test_separator_bullet_and_cjk_preconditions_agree_with_the_regexes() -> None:
    rng = random.Random(15)
    alphabet = " \t\n\x0b\x1c\x85\u2028\u3000|/•·»›ab1١-–.日"
    for _ in range(20_000):
        t = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        want = len(lines._SEPARATORS.findall(t)) if " " in t else 0
        got = len(lines._SEPARATORS.findall(t)) if lines._may_have_separator(t) else 0
        assert got == want, repr(t)
        first = t[:1] in lines._BULLET_FIRST or t[:1].isdecimal()
        assert (first and lines._BULLET.match(t) is not None) == (
            lines._BULLET.match(t) is not None
        ), repr(t)
        if t.isascii():
            assert not lines._CJK.findall(t)


@pytest.mark.parametrize(
    "text",
    [
        "Share this: Twitter",
        "İstanbul ©2019 ſ_x",
        "a\u0307b",
        "Ⅻ ① ㉑",
        "Related: News 24/7",
        "x_y",
    ],
)
def test_phrase_key_of_a_normalised_line_by_translate(text: str) -> None:
    assert chrome.key_of_normalized(lines.normalize(text)) == chrome.phrase_key(text)


@pytest.mark.parametrize("text", ["Home Page", "Ⅻ Title", "Straße", "Le Café"])
def test_fold_key_of_a_line_without_digits(text: str) -> None:
    assert lines.fold_normalized(text, no_digits=True) == lines.fold_normalized(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("фᲂтᲂ: Reuters", Removed.CAPTION),  # "ᲂ" is "о" to a case-insensitive regex
        ("ФОТО: Reuters", Removed.CAPTION),
        ("ſubſcribe now to our newsletter", Removed.NEWSLETTER),
        ("ВРЕМЯ ЧТЕНИЯ 3 минуты", Removed.READ_TIME),
        ("5 MIN READ", Removed.READ_TIME),
        ("Estimated Reading Time: 4 minutes", Removed.READ_TIME),
        ("Get it on Google PLAY", Removed.APP_PROMO),
    ],
)
def test_case_variants_the_regexes_match_pass_the_cheap_tests(text: str, reason: Removed) -> None:
    assert chrome.chrome_reason(features(text)) == reason


_DATE_PIECES = ["ago", "AGO", "aGo", "yesterday", "YESTERDAY", "yeſterday", "just now",
                "JUST NOW", "just  now", "2", "٣", "１", "3 hours ago", "an hour ago", "x", " ",
                "Posted", "by", "K", "İ", "ı", "a", "g", "o", "—", "é", "’", "ＡＧＯ", "ǅ", "ß"]  # fmt: skip


def test_the_date_hint_and_relative_date_shortcuts_answer_as_the_patterns() -> None:
    """`_date_hint` is `_DATE_HINT.search`; a line `_may_be_relative` rejects matches neither
    relative-date pattern (case variants the regex engine folds: ſ, K, İ, ı, fullwidth)."""
    rng = random.Random(7)
    texts = ["".join(rng.choices(_DATE_PIECES, k=rng.randint(1, 6))) for _ in range(5_000)]
    texts += _DATE_PIECES
    for text in texts:
        assert headline._date_hint(text) == (headline._DATE_HINT.search(text) is not None), text
        if not headline._may_be_relative(text):
            assert headline._REL_DATE.search(text) is None, text
            assert headline._GLUED_REL_DATE.match(text) is None, text


def test_a_line_outside_ascii_without_the_words_is_no_relative_date() -> None:
    """`_may_be_relative` answers for every line, not only ASCII ones: the regexes are not
    tried on a line with curly quotes or accents and none of the words."""
    assert not headline._may_be_relative("Jörg’s café, “the best” — İstanbul")
    assert not headline._date_hint("Jörg’s café — a good year")
    assert headline._may_be_relative("Jörg’s café — posted an hour AGO")
    assert headline._may_be_relative("yeſterday, Jörg")  # ſ: IGNORECASE's "s"
    assert headline.find_date("Jörg Müller · 2 hours ago") == "2 hours ago"


_END_PIECES = [*_DATE_PIECES, "\t", "\n", "\u00a0", "\u2003", "\x1c", "\u3000", ".", "s", "S",
               "hours", "Chicago", "week", "one"]  # fmt: skip


def test_a_relative_date_ends_its_line_as_the_precondition_asks() -> None:
    """`_may_end_relative` lets through every line `_REL_DATE` matches (random mixes of the
    words in case variants, ſ and white space of every kind; the engine's case folds found
    by testing every code point against each letter of the words)."""
    import re
    import sys

    every = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    for letter in set("".join(headline._REL_ENDS)) - {" "}:
        odd = [c for c in re.findall(letter, every, re.IGNORECASE) if c.lower() != letter]
        assert odd == (["ſ"] if letter == "s" else []), letter
    rng = random.Random(11)
    texts = ["".join(rng.choices(_END_PIECES, k=rng.randint(1, 7))) for _ in range(40_000)]
    matched = 0
    for text in texts + _END_PIECES:
        if headline._REL_DATE.search(text) is not None:
            matched += 1
            assert headline._may_end_relative(text), text
    assert matched > 1_000
    assert not headline._may_end_relative("agony aunt") and headline._may_end_relative("AGO \n")
    assert headline.find_date("Posted 3 hours ago") == "3 hours ago"
    assert headline.find_date("3 hours ago, in Chicago") is None


def _never_headline_reference(text: str) -> bool:
    """`headline.never_headline` without the relative date's end precondition."""
    if text.lstrip()[:1] in headline._PAGER_FIRST or text.rstrip()[-1:] in headline._PAGER_LAST:
        return True
    if text.count(" | ") >= 2:
        return True
    if headline._DATE_HINT.search(text) is None:
        return False
    if headline._REL_DATE.search(text):
        return True
    return (
        len(text) <= headline._BYLINE_MAX_CHARS
        and bool(headline._POSTED.search(text))
        and bool(headline.find_date(text))
    )


def test_never_headline_answers_as_without_its_preconditions() -> None:
    rng = random.Random(13)
    pieces = [*_END_PIECES, "Posted", " by ", "Updated ", "Jane", " | ", "May 5, 2019"]
    texts = ["".join(rng.choices(pieces, k=rng.randint(1, 7))) for _ in range(20_000)]
    hits = 0
    for text in texts + pieces:
        want = _never_headline_reference(text)
        hits += want
        assert headline.never_headline(text) == want, text
    assert hits > 1_000


@pytest.mark.parametrize(
    "text",
    ["May 5, 2019", "5th May 2019", "2019-11-20", "1.2.2020", "1999年1月2日", "２０２４年1月2日",
     "Sept. 3, 2020 at 5:30 p.m. EST", "03/04/1998", "11 Nov 21", "2:30 pm", "May 5"],
)  # fmt: skip
def test_the_absolute_date_precondition_lets_every_absolute_date_through(text: str) -> None:
    if headline._ABS_DATE.search(text) is not None:
        assert headline._may_be_absolute(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Jane Doe says:", Removed.COMMENTS),
        ("Jane Doe SAYS：", Removed.COMMENTS),
        ("12 Comments", Removed.COMMENTS),
        ("This story was first published on Example News", Removed.REPOST_NOTICE),
        ("ORIGINALLY POSTED AT example.org", Removed.REPOST_NOTICE),
        ("Source: AP", Removed.REPOST_NOTICE),
        ("ИСТОЧНИК: ТАСС", Removed.REPOST_NOTICE),
        ("Originally appeared in The Example", Removed.REPOST_NOTICE),
    ],
)
def test_comment_and_repost_lines_pass_their_preconditions(text: str, reason: Removed) -> None:
    """`_may_be_comment_meta` (a final colon or a leading digit) and `_may_be_repost` (a verb
    of the sentence forms or a leading label) let every line the patterns match through."""
    assert chrome._may_be_comment_meta(text) or chrome._COMMENT_META.search(text) is None
    assert chrome._may_be_repost(text.lower()) or chrome._REPOST.search(text) is None
    assert chrome.chrome_reason(features(text)) == reason


@pytest.mark.parametrize(
    "text",
    ["TAGS: x", "Tagged: y", "Filed Under: News", "filed in: a", "CATEGORIES: a", "Category: b",
     "Posted In : b", "Topics: y", "Labels: z", "Etiquetas: z"],
)  # fmt: skip
def test_field_labels_pass_the_labelled_precondition(text: str) -> None:
    if headline_vote._LABELLED.search(text) is not None:
        assert headline_vote._may_be_labelled(text)


_CHROME_PIECES = [
    "Photo", "IMAGE", "picture", "Foto", "fotografía", "bild", "Credit", "Credits", "source",
    "фото", "写真", "ФОТО", "фᲂтᲂ", "by", "BY", "courtesy", "copyright", "Copyright", "(c)", "(C)",
    "©", "℗", "2019", "all rights reserved", "ALL RIGHTS RESERVED", "Getty", "Getty Images",
    "shutterstock", "iStockphoto", "alamy", "image caption", "Image copyright", "photograph",
    "originally", "First", "published", "appeared", "POSTED", "on", "in", "at", "this", "This",
    "article", "story", "post", "was", "is", "Source", "Quelle", "источник", "says", "SAID",
    "wrote", "a écrit", "escribió", "говорит", "12", "٣", "comments", "Responses", "replies",
    "thoughts on", "Kommentare", "comentários", "комментарии", "отзывы", "subscribe", "Sign up",
    "sign-up", "register", "join", "newsletter", "Newsletters", "inbox", "e-mail updates",
    "email updates", "now", "today", "please", "subscribed", "Tags", "TOPICS", "Filed under",
    "catégorie", "Categories", "étiquettes", "Теги", "метки", "タグ", "标签", "ſubſcribe", "ſource",
    "ı", "İ", "\u212a", "K", ":", "：", "(", ")", "…", "..", ".", "!", " ", " ", "x", "Jane Doe",
]  # fmt: skip


def _chrome_pieces_lines(n: int) -> list[str]:
    rng = random.Random(11)
    texts = [lines.normalize("".join(rng.choices(_CHROME_PIECES, k=rng.randint(1, 7))))]
    while len(texts) < n:
        k = rng.randint(1, 7)
        texts.append(lines.normalize(" ".join(rng.choices(_CHROME_PIECES, k=k))))
        texts.append(lines.normalize("".join(rng.choices(_CHROME_PIECES, k=k))))
    return [t for t in texts if t]


def _chrome_preconditions_hold(text: str) -> int:
    """Every chrome pattern the line matches passes its precondition; returns how many matched."""
    low = text.lower()
    special = not text.isascii() and not chrome._FOLD_SPECIAL.isdisjoint(text)
    assert special == (not chrome._FOLD_SPECIAL.isdisjoint(text))
    hits = 0
    if not special:  # the cheap tests of a line without case variants the regexes fold
        for pattern, passes in (
            (chrome._CREDIT, chrome._may_be_credit(low)),
            (chrome._COPYRIGHT, chrome._may_be_copyright(text, low)),
            (chrome._REPOST, chrome._may_be_repost_words(text, low)),
            (chrome._COMMENT_META, chrome._may_be_comment_words(text, low)),
            (chrome._NEWSLETTER, chrome._may_be_newsletter(low)),
            (chrome._SUBSCRIBE, "subscribe" in low),
        ):
            if pattern.search(text) is not None:
                hits += 1
                assert passes, (pattern.pattern[:30], text)
    if chrome._TAGS.match(text) is not None:
        hits += 1
        assert text[:1].lower() in chrome._TAGS_FIRST or text[:1] in chrome._FOLD_SPECIAL, text
    return hits


def test_chrome_preconditions_let_every_match_through() -> None:
    """The words each chrome pattern needs (`_may_be_credit`, `_may_be_copyright`,
    `_may_be_repost_words`, `_may_be_comment_words`, `_may_be_newsletter`, "subscribe", a tag
    label's first letter): no line a pattern matches fails them, on random mixes of the
    patterns' words in case variants, the characters a case-insensitive regex folds (ſ, ı, İ,
    the Kelvin sign) and punctuation."""
    assert all(not c.isascii() for c in chrome._FOLD_SPECIAL)
    texts = _chrome_pieces_lines(40_000)
    assert sum(map(_chrome_preconditions_hold, texts)) > 2_000  # the patterns did match


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Photo: Jane Doe", Removed.CAPTION),
        ("(Image: Reuters)", Removed.CAPTION),
        ("Image copyright Getty", Removed.CAPTION),
        ("Photograph by Jane Doe for The Example", Removed.CAPTION),
        ("© 2019 Example News", Removed.LEGAL),
        ("(c) Example Media", Removed.LEGAL),
        ("Jane Doe wrote：", Removed.COMMENTS),
        ("3 thoughts on “A story”", Removed.COMMENTS),
        ("Sign up for our newsletter today", Removed.NEWSLETTER),
        ("Please subscribe", Removed.NEWSLETTER),
        ("Filed Under: World", Removed.NAVIGATION),
        ("Кeep reading", None),  # a Cyrillic К: no Kelvin sign, no ASCII letter
    ],
)
def test_chrome_lines_of_each_guarded_form(text: str, reason: Removed | None) -> None:
    _chrome_preconditions_hold(text)
    assert chrome.chrome_reason(features(text)) == reason


@pytest.mark.slow
def test_chrome_preconditions_on_every_distinct_eval_line() -> None:
    root = Path(__file__).resolve().parents[4]
    shared = root.parent / "shared" / "eval"
    if not shared.is_dir():
        shared = root.parent.parent / "shared" / "eval"
    found: set[str] = set()
    for folder in (root / "eval" / "dev" / "text", shared / "dragnet-train" / "text"):
        if folder.is_dir():
            for page in sorted(folder.iterdir()):
                found.update(map(lines.normalize, page.read_text("utf-8", "replace").split("\n")))
    found.discard("")
    assert len(found) > 1_000
    assert sum(map(_chrome_preconditions_hold, found)) > 100
