"""clean_text end to end on synthetic pages in several languages and site styles."""

from __future__ import annotations

from crawler.extract.boilerplate import CleanResult, LineStats, clean_text
from crawler.reasons import Removed

REASONS = {r.value for r in Removed}

EN_BODY = [
    "The city council voted on Tuesday to approve the new budget after a long debate.",
    "Opponents said the plan would raise taxes, but supporters argued it was overdue.",
    "Funding for schools",
    "About a third of the money will go to schools, which have waited years for repairs.",
    "“We finally have what we need,” said one head teacher, who asked not to be named.",
    "The mayor is expected to sign the measure into law before the end of the month.",
]

EN_PAGE = "\n".join(
    [
        "Skip to content",
        "Home",
        "News",
        "Politics",
        "Sport",
        "Weather",
        "Council approves budget after marathon session | Springfield Gazette",
        "",
        "Council approves budget after marathon session",
        "By Jane Doe and John Roe",
        "November 19, 2019",
        "Share on Facebook",
        *EN_BODY[:3],
        "Advertisement",
        *EN_BODY[3:],
        "Council chamber during the vote on Tuesday.",
        "Council chamber during the vote on Tuesday.",
        "Share this article",
        "Related stories",
        "Regional train strike enters its third day as talks stall",
        "2 hours ago",
        "Teachers walk out over pay in three provinces across the north",
        "5 hours ago",
        "Comments",
        "jdoe says:",
        "I disagree with every word of this article, it is honestly a disgrace to journalism.",
        "© 2019 Springfield Gazette. All rights reserved.",
        "Privacy Policy",
    ]
)


def audit_is_complete(text: str, res: CleanResult) -> None:
    raw = text.split("\n")
    kept = list(res.paragraphs)
    removed_nos = {r.line_no for r in res.removed}
    assert len(removed_nos) == len(res.removed)
    for r in res.removed:
        assert r.reason in REASONS
        assert r.text == raw[r.line_no].strip()
    visible = [i for i, s in enumerate(raw) if s.strip()]
    kept_nos = [i for i in visible if i not in removed_nos]
    assert len(kept_nos) == len(kept)
    for i, p in zip(kept_nos, kept, strict=True):
        assert " ".join(raw[i].split()) == p


def test_english_page() -> None:
    res = clean_text(EN_PAGE)
    audit_is_complete(EN_PAGE, res)
    assert res.paragraphs == EN_BODY
    assert res.meta.title == "Council approves budget after marathon session"
    assert res.meta.publisher == "Springfield Gazette"
    assert res.meta.authors == ["Jane Doe", "John Roe"]
    assert res.meta.date_text == "November 19, 2019"
    assert res.captions == ["Council chamber during the vote on Tuesday."]
    reasons = {r.text: r.reason for r in res.removed}
    assert reasons["Advertisement"] == Removed.UI_CHROME
    assert reasons["By Jane Doe and John Roe"] == Removed.BYLINE
    assert reasons["November 19, 2019"] == Removed.DATELINE
    assert reasons["Council approves budget after marathon session"] == Removed.TITLE
    assert reasons["Regional train strike enters its third day as talks stall"] == (
        Removed.RELATED_BLOCK
    )
    assert reasons["jdoe says:"] == Removed.COMMENTS
    assert reasons["© 2019 Springfield Gazette. All rights reserved."] == Removed.LEGAL


def test_deterministic() -> None:
    assert clean_text(EN_PAGE) == clean_text(EN_PAGE)


def test_german_page() -> None:
    body = [
        "Der Stadtrat hat am Dienstag den neuen Haushalt nach einer langen Debatte beschlossen.",
        "Kritiker sagen, dass der Plan die Steuern erhöhen wird, doch die Befürworter widersprechen.",
        "Ein Drittel des Geldes soll in die Schulen fließen, die seit Jahren auf Reparaturen warten.",
    ]
    page = "\n".join(
        [
            "Startseite",
            "Politik",
            "Wirtschaft",
            "Sport",
            "Stadtrat beschließt Haushalt",
            "Von Hans Müller",
            "19.11.2019, 10:43",
            *body,
            "Teilen",
            "Mehr zum Thema",
            "Bahnstreik geht in den dritten Tag",
            "Lehrer streiken in drei Ländern",
            "Impressum",
            "Datenschutz",
        ]
    )
    res = clean_text(page)
    audit_is_complete(page, res)
    assert res.paragraphs == body
    assert res.meta.authors == ["Hans Müller"]
    assert res.meta.title == "Stadtrat beschließt Haushalt"


def test_russian_page() -> None:
    body = [
        "Совет города во вторник утвердил новый бюджет после долгих и жарких споров депутатов.",
        "Противники заявили, что план приведет к росту налогов, но сторонники с ними не согласны.",
        "Треть средств будет направлена на ремонт школ, которые ждали его уже много лет подряд.",
    ]
    page = "\n".join(
        [
            "Главная",
            "Новости",
            "Спорт",
            "Совет утвердил бюджет",
            *body,
            "Поделиться",
            "Читайте также",
            "Забастовка на железной дороге",
            "Учителя бастуют в трех регионах",
            "Все права защищены",
        ]
    )
    res = clean_text(page)
    audit_is_complete(page, res)
    assert res.paragraphs == body


def test_japanese_page() -> None:
    body = [
        "市議会は火曜日、長い議論の末に新しい予算案を可決しました。",
        "反対派は増税につながると主張しましたが、賛成派はこれに反論しています。",
        "予算の三分の一は、長年修理を待っていた学校の改修に充てられる予定です。",
    ]
    page = "\n".join(
        [
            "ホーム",
            "ニュース",
            "スポーツ",
            "市議会が予算案を可決",
            "2019-11-19",
            *body,
            "シェア",
            "ツイート",
            "関連記事",
            "鉄道ストが三日目に突入",
            "教員が三つの県でストライキ",
            "スポンサードリンク",
        ]
    )
    res = clean_text(page)
    audit_is_complete(page, res)
    assert res.paragraphs == body
    assert res.meta.title == "市議会が予算案を可決"


def test_attribution_footer_and_read_time() -> None:
    body = [
        "On July 3, the government announced a new policy on regional trade and customs duties.",
        "Analysts said the move would mostly help exporters in the south of the country.",
    ]
    page = "\n".join(["3 min read", *body, "- This article was published by Example Wire"])
    res = clean_text(page)
    audit_is_complete(page, res)
    assert res.paragraphs == body
    assert res.meta.publisher == "Example Wire"
    assert res.meta.title is None
    assert {r.reason for r in res.removed} == {Removed.READ_TIME, Removed.ATTRIBUTION}


def test_recurring_chrome_is_removed_whatever_its_wording() -> None:
    chrome = "Zorblax weekly digest picks"
    topics = ["the harbour", "a new bridge", "the city library", "school meals"]
    pages = [
        "\n".join(
            [
                f"This story about {t} begins with a sentence that is long enough to be prose.",
                chrome,
                f"The story about {t} goes on with a second sentence, also long enough to count.",
            ]
        )
        for t in topics
    ]
    stats = LineStats()
    for p in pages:
        stats.add(p)
    res = clean_text(pages[0], stats)
    assert chrome not in res.paragraphs
    assert [r.reason for r in res.removed] == [Removed.RECURRING]
    assert chrome in clean_text(pages[0]).paragraphs  # without corpus evidence it stays


def test_syndicated_article_keeps_its_subheadings() -> None:
    page = "\n".join(
        [
            "The same wire story appears on several sites with the very same paragraphs in it.",
            "Background",
            "Its subheading recurs on every site too, because it belongs to the story itself.",
        ]
    )
    stats = LineStats()
    for _ in range(4):
        stats.add(page)
    assert clean_text(page, stats).paragraphs == page.split("\n")


def test_extracted_mode_is_conservative() -> None:
    text = "\n".join(
        [
            "The city council voted on Tuesday to approve the new budget after a long debate.",
            "Key points",
            "Taxes rise by 2%",
            "Schools get a third of the money",
            "Opponents said the plan would raise taxes, but supporters argued it was overdue.",
            "Share this article",
            "Read more",
            "Regional train strike enters its third day as talks stall",
            "Teachers walk out over pay in three provinces across the north",
        ]
    )
    res = clean_text(text, mode="extracted")
    audit_is_complete(text, res)
    assert res.paragraphs == text.split("\n")[:5]
    assert res.meta.title is None


def test_extracted_mode_headline_with_outlet() -> None:
    text = "\n".join(
        [
            "Council approves budget – The Springfield Gazette",
            "The city council voted on Tuesday to approve the new budget after a long debate.",
        ]
    )
    res = clean_text(text, mode="extracted")
    assert res.meta.title == "Council approves budget"
    assert res.meta.publisher == "The Springfield Gazette"
    assert res.paragraphs == text.split("\n")[1:]


def test_empty_and_blank_input() -> None:
    for text in ("", "\n\n  \n", "\u200b\n"):
        res = clean_text(text)
        assert res.paragraphs == []
        assert res.meta.title is None
    assert [r.reason for r in clean_text("\u200b\n").removed] == [Removed.LOW_CONTENT]
