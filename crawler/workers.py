"""Cleaning a run's batches in worker processes, surviving workers that die or hang.

A worker that dies (out of memory, a crash in a C library) breaks its whole pool. The batches
it took down are cleaned again one process each, and a batch that kills its process again is
split into one process per file, so only the input that kills its process is lost, as a
`crashed` reject. Every wait on a worker has a bound (`deadline`): a worker that outlives it
is killed and treated like one that died (its input a `timeout` reject). Pools are stopped with
`stop_pool`, which never waits on a worker unbounded, and workers exit on their own when the
process that started them is gone (no orphans holding its pipes). `clean_batches` is the CLI's
loop; `WorkerPool` serves the Prefect flow's batch tasks, which run on several threads.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, as_completed, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, TypeVar

from crawler.progress import NoProgress, Progress
from crawler.readers import file_uri
from crawler.reasons import Rejected
from crawler.run_types import BatchResult, RunContext
from crawler.staging import CRASHED_DETAIL, clean_batch, input_hash, reject_row, write_staged

LOGGER = logging.getLogger(__name__)

T = TypeVar("T")

CleanBatch = Callable[[RunContext, int, list[str], str | None], BatchResult]

WORKER_START_SECONDS = 120.0  # a worker's start-up (it imports the chain) on a busy machine
STOP_GRACE_SECONDS = 5.0  # a stopped pool's workers get this long to exit before being killed
ORPHAN_POLL_SECONDS = 1.0


class WorkerLost(Exception):
    """The worker process running a call died, or outlived its deadline and was killed."""

    def __init__(self, hung: bool, seconds: float) -> None:
        super().__init__("hung" if hung else "died")
        self.hung = hung
        self.seconds = seconds

    def reject(self) -> tuple[str, str]:
        """The reason and detail of the input the worker was lost on."""
        if self.hung:
            return Rejected.TIMEOUT, f"its cleaning process was not done after {self.seconds:g} s"
        return Rejected.CRASHED, CRASHED_DETAIL


def deadline(max_doc_seconds: float, inputs: int) -> float:
    """How long `inputs` inputs may take in one worker: each gets the per-document limit,
    plus the worker's start-up."""
    return WORKER_START_SECONDS + inputs * max_doc_seconds


def worker_pool(workers: int, preload: str = "crawler.staging") -> ProcessPoolExecutor:
    """Worker processes forked from a forkserver: they start clean (no inherited threads,
    locks or reactor), and the forkserver imports `preload` (the chain) once for all.
    Workers ignore Ctrl-C (the run decides when to stop them) and exit when orphaned."""
    mp = multiprocessing.get_context("forkserver")
    mp.set_forkserver_preload([preload])
    return ProcessPoolExecutor(
        workers, mp_context=mp, initializer=_worker_started, initargs=(os.getpid(),)
    )


def _worker_started(creator: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    born = _stat(creator)[1]
    threading.Thread(target=_exit_when_orphaned, args=(creator, born), daemon=True).start()


def _exit_when_orphaned(creator: int, born: str | None) -> None:
    """A worker whose run is gone (killed) would otherwise wait forever on its call queue,
    holding the run's stdout/stderr pipes open. Its parent is the forkserver, which lives as
    long as any worker does, so it is the process that made the pool that is watched."""
    while True:
        state, started = _stat(creator)
        if state in (None, "Z") or (born is not None and started != born):
            os._exit(1)
        time.sleep(ORPHAN_POLL_SECONDS)


def _stat(pid: int) -> tuple[str | None, str | None]:
    """A process's state and start time (Linux /proc; a later process can get the same pid),
    or (None, None) once it is gone; ("?", None) where /proc cannot tell."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return fields[0], fields[19]
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None, None
        except OSError:
            pass
        return "?", None


def stop_pool(pool: ProcessPoolExecutor, grace: float = STOP_GRACE_SECONDS) -> None:
    """Shut `pool` down, waiting on nothing unbounded: calls not started are cancelled, the
    workers get `grace` seconds to exit and are then killed (those of a broken pool may be
    stuck on its queues)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    end = time.monotonic() + grace
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(max(0.0, end - time.monotonic()))
            if process.exitcode is None:
                process.kill()


def kill_workers() -> None:
    """Kill every worker process this process started and that is still alive: a run ends
    with none left, so that no pool's exit handler waits on one."""
    for process in multiprocessing.active_children():
        process.kill()
        process.join(STOP_GRACE_SECONDS)


def call_alone(
    fn: Callable[..., T], args: tuple[object, ...], seconds: float, preload: str = "crawler.staging"
) -> T:
    """`fn(*args)` in a worker process of its own, for at most `seconds`. Raises WorkerLost
    if the worker dies or is killed at the deadline."""
    pool = worker_pool(1, preload)
    try:
        return pool.submit(fn, *args).result(timeout=seconds)
    except BrokenProcessPool as exc:
        raise WorkerLost(hung=False, seconds=seconds) from exc
    except TimeoutError as exc:
        raise WorkerLost(hung=True, seconds=seconds) from exc
    finally:
        stop_pool(pool)


def clean_batches(
    ctx: RunContext,
    batches: list[list[str]],
    line_stats_path: str | None,
    progress: Progress | None = None,
    clean: CleanBatch = clean_batch,
) -> list[BatchResult]:
    """Clean every batch: in worker processes when there are several batches and workers.

    A worker that dies (out of memory, a crash in a C library) takes its batch with it and
    breaks the pool; the batches left are then cleaned again one process each, and inside a
    batch that kills its process again one file per process, so only the input that kills its
    process is lost, as a `crashed` reject. Workers still busy when every batch could have
    been cleaned one after another are killed, and their batches handled the same way.
    `clean` is the batch function (tests swap it)."""
    progress = progress or NoProgress()
    progress.start("clean", sum(len(b) for b in batches))
    workers = min(ctx.settings.workers or os.cpu_count() or 1, len(batches))
    if workers <= 1:
        results = []
        for n, batch in enumerate(batches):
            results.append(clean(ctx, n, batch, line_stats_path))
            progress.advance(len(batch))
        return results
    done: dict[int, list[BatchResult]] = {}
    pool = worker_pool(workers)
    try:
        futures = {
            pool.submit(clean, ctx, n, batch, line_stats_path): n for n, batch in enumerate(batches)
        }
        bound = deadline(ctx.settings.max_doc_seconds, sum(len(b) for b in batches))
        try:
            for future in as_completed(futures, timeout=bound):
                try:
                    done[futures[future]] = [future.result()]
                except BrokenProcessPool:
                    break  # a batch submitted as the pool broke may never be answered
                progress.advance(len(batches[futures[future]]))
        except TimeoutError:
            LOGGER.warning(
                "run %s: workers still busy after %.0f s; killing them", ctx.run_id, bound
            )
        for future, n in futures.items():  # done, though not yet seen when the pool broke
            if (
                n not in done
                and future.done()
                and not future.cancelled()
                and not future.exception()
            ):
                done[n] = [future.result()]
                progress.advance(len(batches[n]))
    finally:
        stop_pool(pool)
    for n, batch in enumerate(batches):
        if n not in done:
            LOGGER.warning(
                "run %s: a worker was lost; cleaning batch %d again alone", ctx.run_id, n
            )
            done[n] = _clean_alone(ctx, n, batch, line_stats_path, clean)
            progress.advance(len(batch))
    return [result for n in sorted(done) for result in done[n]]


def _clean_alone(
    ctx: RunContext, n: int, batch: list[str], line_stats_path: str | None, clean: CleanBatch
) -> list[BatchResult]:
    """Batch `n` in a process of its own; if that is lost too, each file in its own process."""
    if len(batch) > 1:
        with contextlib.suppress(WorkerLost):
            return [
                call_alone(
                    clean,
                    (ctx, n, batch, line_stats_path),
                    deadline(ctx.settings.max_doc_seconds, len(batch)),
                )
            ]
    results = []
    for i, name in enumerate(batch):
        sub_batch = (n + 1) * SPLIT_BATCH_BASE + i  # its own staging file names
        try:
            results.append(
                call_alone(
                    clean,
                    (ctx, sub_batch, [name], line_stats_path),
                    deadline(ctx.settings.max_doc_seconds, 1),
                )
            )
        except WorkerLost as lost:
            LOGGER.warning("run %s: the cleaning process was lost on %s", ctx.run_id, name)
            results.append(_lost(ctx, sub_batch, Path(name), lost))
    return results


class WorkerPool:
    """Worker processes that callers in several threads share (the Prefect flow's batch
    tasks): cleaning runs on every core, not under one interpreter lock, and a worker that
    dies costs only its input, as in `clean_batches`."""

    def __init__(self, workers: int, clean: CleanBatch = clean_batch) -> None:
        self.workers = workers
        self.clean_batch = clean  # the batch function (tests swap it)
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._broken: Future[Any] = Future()  # set when `_pool` is given up
        self._callers = 0  # batches in the pool now

    def clean(
        self, ctx: RunContext, n: int, batch: list[str], line_stats_path: str | None
    ) -> list[BatchResult]:
        """Batch `n` cleaned in a worker; more than one result if a lost worker split it."""
        with self._lock:  # submits never race with the pool being given up (below)
            if self._pool is None:
                self._pool, self._broken = worker_pool(self.workers), Future()
            pool, broken = self._pool, self._broken
            self._callers += 1
            queued = self._callers  # batches in the pool, this one last: all may run first
            try:
                future: Future[BatchResult] | None = pool.submit(
                    self.clean_batch, ctx, n, batch, line_stats_path
                )
            except BrokenProcessPool:
                future = None
        try:
            if future is not None:
                # `broken` too: a batch submitted just as the pool broke may never be answered
                bound = deadline(ctx.settings.max_doc_seconds, len(batch) * queued)
                wait([future, broken], timeout=bound, return_when=FIRST_COMPLETED)
                if future.done() and not future.cancelled():  # cancelled: its pool stopped
                    return [future.result()]
        except BrokenProcessPool:
            pass
        finally:
            with self._lock:
                self._callers -= 1
        with self._lock:
            if self._pool is pool:  # the first caller to see the break replaces the pool
                self._pool = None
                stop_pool(pool, grace=0.0)  # kills a hung worker too
                broken.set_result(None)  # the batches still waiting on it go alone
        LOGGER.warning("run %s: a worker was lost; cleaning batch %d again alone", ctx.run_id, n)
        return _clean_alone(ctx, n, batch, line_stats_path, self.clean_batch)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            stop_pool(pool)


SPLIT_BATCH_BASE = 1_000_000  # batch numbers of single files split out of a batch


def _lost(ctx: RunContext, batch_no: int, path: Path, lost: WorkerLost) -> BatchResult:
    """A staged batch holding one reject: the input its cleaning process died or hung on."""
    size = None
    with contextlib.suppress(OSError):
        size = path.stat().st_size
    reason, detail = lost.reject()
    reject = reject_row(file_uri(path), reason, detail, size, input_hash(path))
    return write_staged(ctx, batch_no, [], [reject], {"rejected": 1}, 0.0)
