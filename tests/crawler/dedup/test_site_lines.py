"""Site-recurring paragraphs: counted per site over a run and the dataset's history, taken out
of the record's text with an audit reason, never a whole article."""

from __future__ import annotations

import random
from pathlib import Path

from crawler.config import Settings
from crawler.dedup.site_lines import SITE_PAGES, SiteCounts, recurring, site_of, site_paragraphs
from crawler.readers.files import RawInput
from crawler.record import AUDIT_SCHEMA, RECORDS_SCHEMA
from crawler.run.clean import PendingInput, stage_batch
from crawler.run.finish import finish_run
from crawler.run.session import cleanup, start_run
from crawler.schemas import SITE_LINES_SCHEMA
from crawler.store.dataset import Dataset

WORDS = [
    "council",
    "river",
    "budget",
    "school",
    "harbour",
    "election",
    "mayor",
    "bridge",
    "storm",
    "library",
    "museum",
]
WORDS += [
    "railway",
    "farmers",
    "hospital",
    "teachers",
    "court",
    "police",
    "festival",
    "market",
    "tourism",
    "ferry",
]
ABOUT = (
    "The Valley Courier is an independent newspaper owned by its readers, publishing local news "
    "about the valley, its towns and its people every day since nineteen twelve."
)


def prose(seed: int, paragraphs: int = 3) -> list[str]:
    rng = random.Random(seed)
    return [
        " ".join(rng.choice(WORDS) for _ in range(40)).capitalize() + "." for _ in range(paragraphs)
    ]


def counted(pages: dict[str, list[str]]) -> SiteCounts:
    counts = SiteCounts()
    for url, paragraphs in pages.items():
        counts.add(
            site_of({"url": url}) or "", (k for _, k in site_paragraphs("\n".join(paragraphs)))
        )
    return counts


def test_site_is_the_host_without_www_and_none_for_files() -> None:
    assert site_of({"url": "https://www.Example.com/a?b=1", "source_uri": "file:///x"}) == (
        "example.com"
    )
    assert site_of({"url": None, "source_uri": "http://news.example.org/p"}) == "news.example.org"
    assert site_of({"url": None, "source_uri": "file:///inbox/a.txt"}) is None


def test_a_paragraph_on_enough_pages_of_a_site_is_chrome() -> None:
    pages = {f"https://courier.example/{n}": [*prose(n), ABOUT] for n in range(SITE_PAGES)}
    pages["https://other.example/1"] = [*prose(50), ABOUT]  # another site: not counted there
    counts = counted(pages)
    text = "\n".join(pages["https://courier.example/0"])
    assert recurring(text, "courier.example", counts) == [ABOUT]
    assert recurring("\n".join(pages["https://other.example/1"]), "other.example", counts) == []
    fewer = counted({f"https://courier.example/{n}": [*prose(n), ABOUT] for n in range(2)})
    assert recurring(text, "courier.example", fewer) == []


def test_an_article_on_several_pages_of_a_site_is_left_to_dedup() -> None:
    article = prose(7)
    counts = counted({f"https://courier.example/{n}": article for n in range(SITE_PAGES + 1)})
    assert recurring("\n".join(article), "courier.example", counts) == []


def _pending(url: str, text: str) -> PendingInput:
    raw = RawInput(url, "text", text, len(text.encode()))
    return PendingInput(url, raw.size_bytes, f"hash-{url}", lambda: raw)


def _run(out: Path, pages: dict[str, str]) -> None:
    settings = Settings(min_words=30, use_line_stats=False)
    ctx = start_run(out, settings)
    try:
        batch = stage_batch(ctx, 0, [_pending(u, t) for u, t in pages.items()], None)
        finish_run(ctx, [batch], len(pages), 0)
    finally:
        cleanup(ctx)


def test_finish_takes_site_chrome_out_and_remembers_it_for_later_runs(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    first = {f"https://courier.example/n{n}": "\n\n".join([*prose(n), ABOUT]) for n in range(3)}
    _run(out, first)
    dataset = Dataset(out)
    texts = dataset.read("records", RECORDS_SCHEMA, ["text"])["text"].to_pylist()
    assert len(texts) == 3 and not any(ABOUT in t for t in texts)
    audit = dataset.read("audit", AUDIT_SCHEMA).to_pylist()
    assert sum(a["reason"] == "site_recurring" and a["line"] == ABOUT for a in audit) == 3
    counts = dataset.read("_index/site_lines", SITE_LINES_SCHEMA).to_pylist()
    assert {(c["site"], c["pages"]) for c in counts} >= {("courier.example", 3)}
    # one more page of the site in a later run: the history says the paragraph is chrome
    _run(out, {"https://www.courier.example/n9": "\n\n".join([*prose(9), ABOUT])})
    texts = dataset.read("records", RECORDS_SCHEMA, ["text"])["text"].to_pylist()
    assert len(texts) == 4 and not any(ABOUT in t for t in texts)


def test_the_side_table_exists_from_the_first_commit(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    _run(out, {"file:///inbox/a.txt": "\n\n".join(prose(1))})
    dataset = Dataset(out)
    assert dataset.files("_index/site_lines")
    assert dataset.read("_index/site_lines", SITE_LINES_SCHEMA).num_rows == 0
