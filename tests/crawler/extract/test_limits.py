"""Per-document limits: size checks at their boundaries, the attribute scan, the time limit."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from lxml import html as lxml_html

from crawler.config import Settings
from crawler.dedup.minhash import MinHasher
from crawler.errors import ConfigError, Drop
from crawler.extract.limits import (
    WALL_CLOCK_FACTOR,
    DocumentTimeout,
    check_html_source,
    check_html_tree,
    check_lines,
    check_time,
    time_limit,
)
from crawler.readers.files import RawInput
from crawler.readers.htmlscan import max_attributes
from crawler.reasons import Rejected
from crawler.run import clean as staging


def reason(check: Callable[[], None]) -> str | None:
    try:
        check()
    except Drop as drop:
        return drop.reason
    return None


def test_line_limits_hold_at_their_boundary() -> None:
    settings = Settings(max_lines=3, max_line_chars=5)
    assert reason(lambda: check_lines(["a", "b", "12345"], settings)) is None
    assert reason(lambda: check_lines(["a"] * 4, settings)) == Rejected.TOO_MANY_LINES
    assert reason(lambda: check_lines(["123456"], settings)) == Rejected.LINE_TOO_LONG
    assert reason(lambda: check_lines([], settings)) is None


def nested(divs: int) -> lxml_html.HtmlElement:
    return lxml_html.document_fromstring(f"<html><body>{'<div>' * divs}x{'</div>' * divs}</body>")


def test_depth_limit_counts_the_root_as_one() -> None:
    settings = Settings(max_html_depth=10)  # html, body and 8 divs: 10 levels
    assert reason(lambda: check_html_tree(nested(8), settings)) is None
    assert reason(lambda: check_html_tree(nested(9), settings)) == Rejected.TOO_DEEP


def test_a_page_deeper_than_the_parser_keeps_is_rejected_not_cut() -> None:
    assert reason(lambda: check_html_tree(nested(250), Settings())) is None
    assert reason(lambda: check_html_tree(nested(10_000), Settings())) == Rejected.TOO_DEEP


def test_element_limit_holds_at_its_boundary() -> None:
    tree = lxml_html.document_fromstring("<html><body>" + "<p>x</p>" * 20 + "</body></html>")
    count = int(tree.xpath("count(//*)"))
    assert reason(lambda: check_html_tree(tree, Settings(max_html_elements=count))) is None
    too_few = Settings(max_html_elements=count - 1)
    assert reason(lambda: check_html_tree(tree, too_few)) == Rejected.TOO_MANY_ELEMENTS


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("<p " + " ".join(f"a{i}" for i in range(100)) + ">", 100),
        ("<p " + " ".join(f'a{i}="v"' for i in range(100)) + ">", 100),
        ('<p a="x"b="y"/c/d/>' + " " * 60, 0),  # short tags are not counted
        ("<p a/b/c " + "d " * 30 + ">", 33),  # slashes separate attributes
        ("<p " + "a=1 " * 20 + ">", 40),  # counted generously: unquoted values too
        ('<p title="' + "many words " * 50 + '">', 1),  # words of a quoted value are not
        ('<p data-x="<b ' + "c " * 50 + '">', 52),  # ... unless it may hide a tag
        ("<script>x='<p " + "a " * 100 + "'</script>", 0),  # script text is not markup
        ("<!-- <p " + "a " * 100 + "> -->", 0),
        ("<!--> <p " + "a " * 100 + "> -->", 100),  # <!--> is a whole (empty) comment
        ("<script><!--<script></script><p " + "a " * 100 + "></script>", 0),  # double escape
        ("<title/><p " + "a " * 100 + ">", 100),  # a self-closed raw-text tag has no text
    ],
)
def test_attribute_scan_follows_the_tokenizer(page: str, expected: int) -> None:
    assert max_attributes(page) == expected


@pytest.mark.parametrize("above", [0, 9, 10, 11, 30, 31, 32, 33, 40])
def test_attribute_scan_above_a_limit_is_exact_where_it_matters(above: int) -> None:
    # the cheap scan (`above`: tags too short to exceed it, pages with too few separators, are
    # not counted) agrees with the full one on which pages exceed the limit, and on the count
    pages = ["<p " + " ".join(f"a{i}" for i in range(n)) + ">" + "x " * 5 for n in range(25, 40)]
    pages += ['<p a="' + "<b " * 20 + '"' + " c" * 12 + ">", "<p a/b/c " + "d " * 30 + ">"]
    for page in pages:
        full = max_attributes(page)
        cheap = max_attributes(page, above=above)
        assert (cheap > above) == (full > above)
        if full > above:
            assert cheap == full


def test_attribute_bomb_is_rejected_before_parsing() -> None:
    bomb = "<html><body><p " + " ".join(f"a{i}" for i in range(200_000)) + ">x</p></body></html>"
    assert reason(lambda: check_html_source(bomb, Settings())) == Rejected.TOO_MANY_ATTRIBUTES


def busy() -> None:
    while True:
        pass


def spin(cpu_seconds: float) -> None:
    """Compute for `cpu_seconds` of this thread's CPU time (however long that takes)."""
    until = time.thread_time() + cpu_seconds
    while time.thread_time() < until:
        pass


def test_time_limit_interrupts_python_code_that_swallows_exceptions() -> None:
    # a third-party safety net (`except Exception`) must not swallow the time limit
    with pytest.raises(DocumentTimeout), time_limit(0.2), contextlib.suppress(Exception):
        busy()
    for sig in (signal.SIGALRM, signal.SIGPROF):
        assert signal.getsignal(sig) == signal.SIG_DFL
    for timer in (signal.ITIMER_REAL, signal.ITIMER_PROF):
        assert signal.getitimer(timer) == (0.0, 0.0)


def test_time_limit_counts_cpu_time_not_waiting() -> None:
    """A busy machine must not turn a valid input into a timeout: waiting (for the CPU, for a
    read) is not counted, up to the wall-clock backstop."""
    with time_limit(0.05):
        time.sleep(0.1)  # no CPU used: not over the limit
        check_time()
    with pytest.raises(DocumentTimeout), time_limit(0.05):
        spin(0.2)  # interrupted here when the timers are this thread's ...
        check_time()  # ... else here (cooperative: seen once in a pytest-xdist worker)
    with pytest.raises(DocumentTimeout), time_limit(0.01):
        time.sleep(0.01 * WALL_CLOCK_FACTOR + 0.05)  # the wall-clock backstop
        check_time()


def test_time_limit_is_cooperative_off_the_main_thread() -> None:
    outcome: list[str] = []

    def in_thread() -> None:
        try:
            with time_limit(0.05):
                spin(0.1)  # a step that cannot be interrupted here
                outcome.append("step done")
                check_time()
        except DocumentTimeout:
            outcome.append("timeout")

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()
    assert outcome == ["step done", "timeout"]
    check_time()  # outside a time limit: no deadline


def test_time_limit_leaves_someone_elses_alarm_alone() -> None:
    fired: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(signum))
    try:
        with time_limit(0.05):
            spin(0.1)
        assert signal.getsignal(signal.SIGALRM) is not signal.SIG_DFL and not fired
        assert signal.getsignal(signal.SIGPROF) == signal.SIG_DFL
        with pytest.raises(DocumentTimeout), time_limit(0.05):
            spin(0.1)
            check_time()  # cooperative: the step is not interrupted, the next check raises
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_a_document_over_the_time_limit_is_a_timeout_reject(monkeypatch: Any) -> None:
    def slow_process(*args: Any) -> None:
        busy()

    monkeypatch.setattr(staging, "process", slow_process)
    item = staging.PendingInput(
        "file:///slow.txt", 4, "0" * 64, lambda: RawInput("file:///slow.txt", "text", "x", 1)
    )
    settings = Settings(max_doc_seconds=0.2)
    row, reject = staging.clean_input(item, settings, None, MinHasher(settings.num_perm))
    assert row is None and reject is not None
    assert (reject["reason"], reject["detail"]) == ("timeout", "not done after 0.2 s")


@pytest.mark.parametrize(
    "overrides",
    [
        {"max_lines": 0},
        {"max_line_chars": 0},
        {"max_html_elements": 0},
        {"max_html_attributes": 0},
        {"max_html_depth": 256},
        {"max_doc_seconds": 0.0},
        {"max_doc_seconds": float("inf")},
    ],
)
def test_bad_limits_are_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        Settings().with_overrides(**overrides)
