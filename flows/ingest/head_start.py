"""`python -m flows.ingest` on Prefect's temporary server: the ingest begins while it starts.

The temporary server takes ~6 s of CPU to start (~20 s on a fresh `PREFECT_HOME`, whose
database it creates), mostly on the one core the serial scan leaves idle. So the process's main
thread runs the run's stages at once, as `corpus ingest` does (discover, lock, scan, clean in
the worker processes), while a thread of its own waits for the server and runs the flow. The
flow run is recorded once the server is healthy; the main thread hands it the commit, which it
runs as its task (retried on I/O errors), and then the run's summary. A failure on either side
reaches the other: the flow run fails with the stages' error (and publishes why); a server that
does not come up fails the stages at their commit, so nothing is committed without a flow run.
Without a temporary server to wait for (`PREFECT_API_URL` set, `--dask`, a deployment's run)
the flow runs every stage itself, as before.
"""

from __future__ import annotations

import contextvars
import queue
import sys
import threading
import time
from dataclasses import dataclass
from typing import TypeVar

from crawler.config import Settings
from crawler.config_file import RunLimits
from crawler.run.ingest import BatchResult, RunContext, RunSummary, discover_inputs, run_stages
from crawler.run.session import RunSession

POLL_SECONDS = 1.0  # how often a side waiting for the other checks that the other still runs
T = TypeVar("T")
# the run whose stages began before this thread's flow run (set by `flows.ingest.launch`); read
# through `current()`: a flow function that names a ContextVar cannot be pickled (`--dask`)
_CURRENT: contextvars.ContextVar[HeadStart | None] = contextvars.ContextVar(
    "head_start", default=None
)


def current() -> HeadStart | None:
    return _CURRENT.get()


def use(head: HeadStart) -> None:
    """Make `head` the current head start of this thread's context."""
    _CURRENT.set(head)


@dataclass(frozen=True)
class CommitRequest:
    ctx: RunContext
    batches: list[BatchResult]
    inputs: int
    unchanged: int


@dataclass(frozen=True)
class Outcome:
    """How the stages ended: the run's summary, or why not."""

    summary: RunSummary | None = None
    error: BaseException | None = None


class HeadStart:
    """The stages (main thread) and the flow run (its own thread) of one ingest, and what
    passes between them: the commit request, the commit's result, the stages' outcome."""

    def __init__(self) -> None:
        self._to_flow: queue.Queue[CommitRequest | Outcome] = queue.Queue()
        self._to_stages: queue.Queue[RunSummary | BaseException] = queue.Queue()
        self.flow_thread: threading.Thread | None = None
        self.started = time.monotonic()
        self.files = 0

    # the stages' side (main thread)

    def run_stages(
        self, paths: list[str], out: str, settings: Settings, limits: RunLimits
    ) -> RunSummary:
        """discover -> (lock) scan -> clean -> commit (by the flow run) -> clean up; the
        outcome is handed to the flow run, either way."""
        try:
            files = discover_with_retries(paths, settings.follow_symlinks, limits)
            self.files = len(files)
            with RunSession(
                out, settings, wait_seconds=limits.lock_wait_seconds, on_wait=_note
            ) as session:
                summary = run_stages(session, files, commit=self.commit)
        except BaseException as exc:
            self._to_flow.put(Outcome(error=exc))
            raise
        self._to_flow.put(Outcome(summary=summary))
        return summary

    def commit(
        self, ctx: RunContext, batches: list[BatchResult], inputs: int, unchanged: int
    ) -> RunSummary:
        """The run's commit, run by the flow run as its task; its result or its error."""
        self._to_flow.put(CommitRequest(ctx, batches, inputs, unchanged))
        reply = _wait(self._to_stages, self.flow_thread, "the flow run ended before the commit")
        if isinstance(reply, BaseException):
            raise reply
        return reply

    # the flow run's side (its thread)

    def next_request(self) -> CommitRequest | Outcome:
        """The stages' commit request, or their outcome when they ended without one."""
        return _wait(self._to_flow, threading.main_thread(), "the run's stages stopped")

    def reply(self, result: RunSummary | BaseException) -> None:
        self._to_stages.put(result)

    def outcome(self) -> RunSummary:
        """The run's summary once the stages are over (its clean-up included), or their error."""
        got = self.next_request()
        if isinstance(got, CommitRequest):
            raise RuntimeError("the run's stages asked for a second commit")
        if got.error is not None:
            raise got.error
        assert got.summary is not None
        return got.summary

    def join_flow(self, bound: float) -> None:
        """After the stages: wait for the flow run to end (it has their outcome), within
        `bound` seconds (its thread is a daemon: the process does not wait for it longer)."""
        if self.flow_thread is not None:
            self.flow_thread.join(bound)


def _wait(box: queue.Queue[T], other: threading.Thread | None, gone: str) -> T:
    """The next item of `box`; RuntimeError(`gone`) once the thread that would put it has
    ended without doing so (every wait here is bounded by the other side's own bounds)."""
    while True:
        try:
            return box.get(timeout=POLL_SECONDS)
        except queue.Empty:
            if other is not None and not other.is_alive():
                try:
                    return box.get_nowait()
                except queue.Empty:
                    raise RuntimeError(gone) from None


def discover_with_retries(paths: list[str], follow_symlinks: bool, limits: RunLimits) -> list[str]:
    """`discover_inputs`, retried on OSError with the delays of the flow's discover task (the
    config's retry count, Prefect's exponential backoff, without its jitter)."""
    # as prefect.tasks.exponential_backoff (not imported: the stages begin before Prefect is)
    delays = [limits.io_retry_base_seconds * 2**r for r in range(min(limits.io_retries, 50))]
    for delay in delays:
        try:
            return discover_inputs(paths, follow_symlinks)
        except OSError:
            time.sleep(delay)
    return discover_inputs(paths, follow_symlinks)  # the last attempt: its error goes up


def _note(line: str) -> None:
    print(f"flows.ingest: {line}", file=sys.stderr, flush=True)
