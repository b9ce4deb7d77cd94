"""Per-document limits, so that no single input can crash or stall a run.

Size limits (lines, line length, attributes of an HTML tag, HTML elements and depth; bytes
are checked by `readers`) are checked before the expensive steps and are deterministic: the
same input is always rejected the same way. The time limit is the last resort for whatever
they do not bound. It counts CPU time, so a busy machine does not turn a valid input into a
`timeout`, and cleaning is linear in the input's size, so the largest input under
`max_input_bytes` finishes far inside it (bench/limits_bench.py measures the margin).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from types import FrameType

from lxml.etree import XPath, _Element

from crawler.config import Settings
from crawler.errors import Drop
from crawler.readers.htmlscan import max_attributes
from crawler.reasons import Rejected


def check_lines(lines: Sequence[str], settings: Settings) -> None:
    """Drop a text with more lines, or a longer line, than the settings allow."""
    if len(lines) > settings.max_lines:
        raise Drop(Rejected.TOO_MANY_LINES, f"{len(lines)} lines > limit {settings.max_lines}")
    longest = max(map(len, lines), default=0)
    if longest > settings.max_line_chars:
        raise Drop(
            Rejected.LINE_TOO_LONG,
            f"a line of {longest} characters > limit {settings.max_line_chars}",
        )


def check_html_source(html: str, settings: Settings) -> None:
    """Drop a page with a tag holding more attributes than the settings allow, before parsing:
    the parser's time grows with the square of one element's attribute count, in C, where no
    time limit can interrupt it (`crawler.readers.htmlscan`)."""
    most = max_attributes(html, above=settings.max_html_attributes)
    if most > settings.max_html_attributes:
        raise Drop(
            Rejected.TOO_MANY_ATTRIBUTES,
            f"a tag with {most} attributes > limit {settings.max_html_attributes}",
        )


_COUNT_ELEMENTS = XPath("count(//*)")


@lru_cache(maxsize=4)
def _nested_below(depth: int) -> XPath:
    """True when an element lies `depth` levels below the root (`*/*/.../*`), i.e. the tree is
    deeper than `depth`; evaluated level by level, so linear in the tree's size."""
    return XPath("boolean(" + "/".join(["*"] * depth) + ")")


def check_html_tree(root: _Element, settings: Settings) -> None:
    """Drop a parsed page with more elements, or deeper nesting, than the settings allow.

    Depth counts the root element as 1. lxml keeps at most 256 levels and drops whatever is
    nested deeper, so a page reaching that depth must be rejected rather than silently cut.
    """
    elements = int(_COUNT_ELEMENTS(root))
    if elements > settings.max_html_elements:
        raise Drop(
            Rejected.TOO_MANY_ELEMENTS,
            f"{elements} HTML elements > limit {settings.max_html_elements}",
        )
    if _nested_below(settings.max_html_depth)(root):
        raise Drop(Rejected.TOO_DEEP, f"HTML nested deeper than limit {settings.max_html_depth}")


class DocumentTimeout(BaseException):
    """A document ran past its time limit.

    A BaseException, like KeyboardInterrupt: the `except Exception` safety nets in the extractor
    and in third-party code must not swallow it and carry on with the document.
    """


# The limit counts CPU time, so that a document's fate does not depend on how busy the machine
# is (six processes sharing two cores triple the wall-clock time of the same work). A document
# that waits without computing (a read blocked on a dead network file system) is stopped by
# wall-clock time, at this multiple of the limit: 20 minutes for the default 60 s, far above
# what load alone does (8 processes per core stretched a 19 MB dump's 24 s of CPU to 238 s).
WALL_CLOCK_FACTOR = 20.0

_local = threading.local()  # `deadline`: (CPU clock value, monotonic value), or None outside


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Give the work inside at most `seconds` of CPU time (and WALL_CLOCK_FACTOR times that
    of wall-clock time); past that, DocumentTimeout is raised.

    Where documents are cleaned decides how:

    - In a process's main thread (`corpus ingest`, in-process or in its worker processes; the
      crawler's item pipeline), interval timers interrupt the document wherever Python code is
      running, deep inside trafilatura or a regular expression included: ITIMER_PROF (SIGPROF)
      counts the process's CPU time, ITIMER_REAL (SIGALRM) the wall-clock backstop. A single C
      call that does not return to the interpreter (lxml parsing a page) cannot be
      interrupted; the size limits bound those.
    - Elsewhere, signals cannot be used: Python only delivers them to the main thread, and the
      Prefect flow and Dask workers clean batches in other threads. There the limit is
      cooperative: `check_time()`, called between the chain's steps, raises once the thread's
      CPU time (`time.thread_time`) or the backstop has passed. An overrunning document is
      still rejected as `timeout`, and the run goes on, but only after the step it was in has
      finished.
    - The timers are also left alone (cooperative mode) when something else in the process
      already uses SIGALRM or SIGPROF: its own handler, or a timer running.
    """
    alarm = _alarm_is_free()
    wall = seconds * WALL_CLOCK_FACTOR
    _local.deadline = (time.thread_time() + seconds, time.monotonic() + wall)
    if alarm:
        previous = {sig: signal.signal(sig, _on_alarm) for sig in _SIGNALS}
        signal.setitimer(signal.ITIMER_PROF, seconds)
        signal.setitimer(signal.ITIMER_REAL, wall)
    try:
        yield
    finally:
        _local.deadline = None  # first: from here on a late alarm is ignored
        if alarm:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.setitimer(signal.ITIMER_REAL, 0)
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def check_time() -> None:
    """Raise DocumentTimeout if the current document is past its deadline (no-op outside
    `time_limit`)."""
    deadline = getattr(_local, "deadline", None)
    if deadline is not None and (
        time.thread_time() > deadline[0] or time.monotonic() > deadline[1]
    ):
        raise DocumentTimeout


_SIGNALS = (
    (signal.SIGALRM, signal.SIGPROF)
    if hasattr(signal, "SIGALRM") and hasattr(signal, "SIGPROF")
    else ()
)
_TIMERS = (signal.ITIMER_REAL, signal.ITIMER_PROF) if _SIGNALS else ()


def _alarm_is_free() -> bool:
    """Whether this thread may use the timers: the main thread, and nobody else's handler or
    timer."""
    return (
        bool(_SIGNALS)
        and threading.current_thread() is threading.main_thread()
        and all(signal.getsignal(sig) in (signal.SIG_DFL, _on_alarm) for sig in _SIGNALS)
        and all(signal.getitimer(timer)[0] == 0 for timer in _TIMERS)
    )


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    if getattr(_local, "deadline", None) is not None:
        raise DocumentTimeout
