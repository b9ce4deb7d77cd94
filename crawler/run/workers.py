"""THE crash-isolating pool: worker processes where a worker that dies or hangs costs only its
own input.

`IsolatingPool` is the one implementation; `corpus ingest` (`clean_batches`), the Prefect
flow's batch tasks (`WorkerPool`) and the crawl's item pipeline (`crawler.crawl.pipelines`) all call
it, from one thread or several. Its rules:
- bounded waits: a call waits on its worker at most `deadline` (the inputs in the pool, each
  at the per-document limit, plus a worker's start-up); a worker past it is killed;
- a dead (or killed) worker breaks the pool: the pool is given up and its workers killed, and
  every call that was on it, answered or not ("stranded": CPython's pool can leave a call
  submitted as it broke unanswered), is run again alone, in a worker process of its own;
- lost alone too, the call raises `WorkerLost` (the caller's input is a `crashed` or `timeout`
  reject; a batch of files is first split, one file per process, by `clean_isolated`);
- kill on stop: `close` kills every worker, alone ones too; calls still waiting raise
  `PoolClosed` instead of being retried;
- lazy: no process starts before the first call (a re-crawl with nothing new starts none);
- a pool that cannot start at all (no forkserver socket, no fork) raises `WorkersUnavailable`,
  a ConfigError with the reason on one line: the run stops rather than lose every input
  (`check_workers_start` finds the usual cause before a run begins, starting nothing).
Workers ignore Ctrl-C (the run decides when to stop them) and exit on their own when the
process that started them is gone (no orphans holding its pipes).
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import (
    FIRST_COMPLETED,
    CancelledError,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    as_completed,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import forkserver, spawn
from pathlib import Path
from typing import Any, TypeVar

from crawler.errors import ConfigError
from crawler.readers.files import file_uri, input_kind
from crawler.readers.inputs import Input
from crawler.reasons import Rejected
from crawler.run.clean import (
    CRASHED_DETAIL,
    clean_batch,
    input_hash,
    reject_row,
    save_batch,
    saved_inputs,
    write_staged,
)
from crawler.run.progress import NoProgress, Progress
from crawler.run_types import BatchResult, RunContext

LOGGER = logging.getLogger(__name__)

T = TypeVar("T")

CleanBatch = Callable[[RunContext, int, list[str], str | None], BatchResult]

WORKER_START_SECONDS = 120.0  # a worker's start-up (it imports the chain) on a busy machine
STOP_GRACE_SECONDS = 5.0  # a closed pool's workers get this long to exit before being killed
ORPHAN_POLL_SECONDS = 1.0
BROKEN_POLL_SECONDS = 0.5  # how often a waiting call looks whether its pool broke unseen


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


class WorkersUnavailable(ConfigError):
    """No worker process can start here (the CLI exits 2 with this one line)."""

    @classmethod
    def because(cls, exc: OSError) -> WorkersUnavailable:
        hint = ""
        if "path too long" in str(exc):
            hint = (
                f": the forkserver's Unix socket goes under TMPDIR ({tempfile.gettempdir()}) "
                "and its path may not exceed 107 bytes; set TMPDIR to a shorter folder"
            )
        return cls(f"worker processes cannot start ({exc.strerror or exc}){hint}")


def check_workers_start() -> None:
    """Raise WorkersUnavailable when worker processes cannot start here: binds (and closes) a
    Unix socket where the forkserver puts its own, under TMPDIR. Starts no process."""
    try:
        with multiprocessing.connection.Listener(family="AF_UNIX"):
            pass
    except OSError as exc:
        raise WorkersUnavailable.because(exc) from None


class PoolClosed(RuntimeError):
    """The pool was closed (the run is stopping) while a call was waiting on it."""


def deadline(max_doc_seconds: float, inputs: int) -> float:
    """How long `inputs` inputs may take in one worker: each gets the per-document limit,
    plus the worker's start-up."""
    return WORKER_START_SECONDS + inputs * max_doc_seconds


WARM_HTML = "crawler.run.warm_html"  # the forkserver's HTML warm-up (crawler/run/warm_html.py)
WARM_TEXT = "crawler.run.warm_text"  # the language model, for every run (crawler/run/warm_text.py)
MAIN_SCRIPT = "crawler.run.main_script"  # the run's script, once (crawler/run/main_script.py)
MAIN_SCRIPT_ENV = "CORPUS_FORKSERVER_MAIN_SCRIPT"  # its path, for the forkserver


def may_hold_html(files: Iterable[str | Path]) -> bool:
    """Whether any of a run's input files may hold an HTML page: any but a page dump (.txt)."""
    return any(input_kind(Path(f)) != "text" for f in files)


def worker_pool(
    workers: int, preload: str = "crawler.run.clean", warm_html: bool = False
) -> ProcessPoolExecutor:
    """Worker processes forked from a forkserver: they start clean (no inherited threads,
    locks or reactor), and the forkserver imports `preload` (the chain) once for all, and with
    `warm_html` pays the HTML path's first-use costs once for all (`crawler.run.warm_html`).
    Workers ignore Ctrl-C (the run decides when to stop them) and exit when orphaned."""
    mp = multiprocessing.get_context("forkserver")
    # the forkserver ignores Ctrl-C before it imports the chain (crawler/run/no_ctrl_c.py);
    # its workers do without pandas (crawler/run/no_pandas.py)
    start_forkserver(preload, warm_html)
    return ProcessPoolExecutor(
        workers, mp_context=mp, initializer=_worker_started, initargs=(os.getpid(),)
    )


def start_forkserver(preload: str, warm_html: bool = False) -> None:
    """Start the forkserver (if it is not running) with `preload` (and the HTML warm-up with
    `warm_html`; a forkserver already running keeps what it was started with: its workers
    then pay the HTML path's first-use costs themselves, as they would without). It returns
    at once: the forkserver imports (and warms) in its own process, on another core, until
    its first worker is asked for. From the main thread it
    starts with Ctrl-C ignored: a signal ignored across fork and exec stays ignored, and
    Python then installs no KeyboardInterrupt handler, so a Ctrl-C sent to the process group
    while the forkserver is still importing (before its preload ignores Ctrl-C; seconds on a
    busy machine) cannot print a traceback from it. Only the main thread may change a signal's
    handler: callers that use the pool from other threads call this first from the main one
    (a blocked signal would not do: the forkserver starts with an empty signal mask). Raises
    WorkersUnavailable when no worker process can start here."""
    multiprocessing.get_context("forkserver").set_forkserver_preload(
        ["crawler.run.no_ctrl_c", "crawler.run.no_pandas", preload, WARM_TEXT, MAIN_SCRIPT]
        + ([WARM_HTML] if warm_html else [])
    )
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None  # one fork+exec
    try:
        with _main_script_told():
            forkserver.ensure_running()
    except OSError as exc:  # no forkserver socket, no fork: no worker can start here
        raise WorkersUnavailable.because(exc) from exc
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)


_ENVIRON_LOCK = threading.Lock()


@contextlib.contextmanager
def _main_script_told() -> Iterator[None]:
    """The path of this process's main script in the environment a forkserver started inside
    inherits (`crawler.run.main_script` imports it there once for all workers)."""
    # none for `python -c` or `-m`. Under `-m`, multiprocessing has each worker import that
    # module by name unless it is a package's `__main__`: which is why the entry points run
    # as `python -m flows.ingest`, `python -m crawler.crawl` (packages' `__main__`)
    path = spawn.get_preparation_data("forkserver").get("init_main_from_path")
    told = json.dumps({"path": path, "argv": sys.argv}) if path else ""
    with _ENVIRON_LOCK:
        os.environ[MAIN_SCRIPT_ENV] = told
        try:
            yield
        finally:
            os.environ.pop(MAIN_SCRIPT_ENV, None)


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


def _broke(pool: ProcessPoolExecutor) -> bool:
    """Whether CPython marked `pool` broken (a worker died): a call submitted just as it broke
    may never be answered, and no other call may be there to notice."""
    return bool(getattr(pool, "_broken", False))


class IsolatingPool:
    """Worker processes shared by callers on any number of threads (see the module's rules).

    `call(fn, args, inputs, max_doc_seconds)` returns `fn(*args)` run in a worker, or raises
    `WorkerLost` when the call was lost alone too, `PoolClosed` once the pool is closed, or
    what `fn` raised. `fn` and its arguments must pickle; `inputs` is how many documents the
    call holds (its share of the deadline)."""

    def __init__(
        self, workers: int, preload: str = "crawler.run.clean", *, warm_html: bool = False
    ) -> None:
        self.workers = max(1, workers)
        self.preload = preload  # what the forkserver imports once for all workers
        self.warm_html = warm_html  # whether it pays the HTML path's first-use costs too
        self.starts = 0  # worker pools started, lazily (0: no call needed a worker)
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._broken: Future[None] = Future()  # set when `_pool` is given up
        self._queued = 0  # inputs in `_pool` now
        self._alone = threading.BoundedSemaphore(self.workers)  # calls run alone at once
        self._alone_pools: set[ProcessPoolExecutor] = set()
        self._closed = False

    def start_forkserver(self) -> None:
        """Start the workers' forkserver now, from the main thread, when the pool's calls will
        come from other threads (see `start_forkserver`)."""
        start_forkserver(self.preload, self.warm_html)

    def call(
        self, fn: Callable[..., T], args: tuple[Any, ...], inputs: int, max_doc_seconds: float
    ) -> T:
        with self._lock:  # submits never race with the pool being given up
            if self._closed:
                raise PoolClosed("the worker pool is closed")
            if self._pool is None:
                self._pool = worker_pool(self.workers, self.preload, self.warm_html)
                self._broken = Future()
                self.starts += 1
            pool, broken = self._pool, self._broken
            # every input in the pool may be cleaned before this call's, one after another
            bound = deadline(max_doc_seconds, self._queued + inputs)
            try:
                future: Future[T] | None = pool.submit(fn, *args)  # may start the forkserver
            except (BrokenProcessPool, RuntimeError):  # RuntimeError: it broke mid-submit
                future = None
            except OSError as exc:  # no worker could start (nor will one alone)
                self._pool = None
                stop_pool(pool, grace=0.0)
                raise WorkersUnavailable.because(exc) from exc
            self._queued += inputs
        try:
            if future is not None and self._answered(future, pool, broken, bound):
                return future.result()  # what `fn` returned or raised
        finally:
            with self._lock:
                self._queued -= inputs
        self._give_up(pool, broken)
        return self.alone(fn, args, deadline(max_doc_seconds, inputs))

    @staticmethod
    def _answered(
        future: Future[T], pool: ProcessPoolExecutor, broken: Future[None], bound: float
    ) -> bool:
        """Wait (at most `bound` s) for `future`: True if its worker answered it, False if the
        pool broke, was given up or the deadline passed."""
        end = time.monotonic() + bound
        while not _broke(pool) and (left := end - time.monotonic()) > 0:
            waiting: list[Future[Any]] = [future, broken]
            done, _ = wait(waiting, min(left, BROKEN_POLL_SECONDS), return_when=FIRST_COMPLETED)
            if done:
                break
        if not future.done() or future.cancelled():  # cancelled: its pool was stopped
            return False
        return not isinstance(future.exception(), BrokenProcessPool)

    def _give_up(self, pool: ProcessPoolExecutor, broken: Future[None]) -> None:
        """Kill `pool`'s workers (a hung one too) and wake every call still waiting on it: they
        go alone. The next call starts a new pool."""
        with self._lock:
            if self._pool is pool:  # the first call to see the break (or the deadline)
                self._pool = None
                stop_pool(pool, grace=0.0)
                broken.set_result(None)

    def alone(self, fn: Callable[..., T], args: tuple[Any, ...], seconds: float) -> T:
        """`fn(*args)` in a worker process of its own, for at most `seconds`; `workers` such
        calls at a time. Raises WorkerLost if the worker dies or is killed at the deadline."""
        with self._alone:  # a bounded wait: every holder's call is bounded
            with self._lock:
                if self._closed:
                    raise PoolClosed("the worker pool is closed")
                pool = worker_pool(1, self.preload, self.warm_html)
                self._alone_pools.add(pool)
            try:
                try:
                    future = pool.submit(fn, *args)
                except OSError as exc:
                    raise WorkersUnavailable.because(exc) from exc
                return future.result(timeout=seconds)
            except (BrokenProcessPool, CancelledError) as exc:
                if self._closed:
                    raise PoolClosed("the worker pool is closed") from exc
                raise WorkerLost(hung=False, seconds=seconds) from exc
            except TimeoutError as exc:
                raise WorkerLost(hung=True, seconds=seconds) from exc
            except RuntimeError as exc:  # "cannot schedule new futures": closed meanwhile
                if self._closed:
                    raise PoolClosed("the worker pool is closed") from exc
                raise
            finally:
                with self._lock:
                    self._alone_pools.discard(pool)
                stop_pool(pool, grace=0.0)  # done with it (answered or lost)

    def close(self) -> None:
        """Stop every worker: calls waiting raise PoolClosed; workers not gone in a few
        seconds are killed. Nothing here waits unbounded."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
            alone = list(self._alone_pools)
            if not self._broken.done():
                self._broken.set_result(None)
        for stranded in alone:
            stop_pool(stranded, grace=0.0)
        if pool is not None:
            stop_pool(pool)


SPLIT_BATCH_BASE = 1_000_000  # batch numbers of single files split out of a batch


def clean_isolated(
    pool: IsolatingPool,
    ctx: RunContext,
    n: int,
    batch: list[str],
    line_stats_path: str | None,
    clean: CleanBatch = clean_batch,
) -> list[BatchResult]:
    """Batch `n` cleaned in `pool`; if it is lost alone too, each of its files in a process of
    its own, so only the file that kills its process is lost (a `crashed` or `timeout`
    reject). More than one result if it was split."""
    max_doc = ctx.settings.max_doc_seconds
    try:
        return [pool.call(clean, (ctx, n, batch, line_stats_path), len(batch), max_doc)]
    except WorkerLost as lost:
        known = saved_inputs(ctx, n, batch)  # as the scan hashed them: never read again here
        if len(batch) == 1:
            LOGGER.warning("run %s: the cleaning process was lost on %s", ctx.run_id, batch[0])
            return [_lost(ctx, (n + 1) * SPLIT_BATCH_BASE, known.get(batch[0]) or batch[0], lost)]
    LOGGER.warning("run %s: batch %d was lost alone; cleaning it input by input", ctx.run_id, n)
    results = []
    for i, key in enumerate(batch):
        sub_batch = (n + 1) * SPLIT_BATCH_BASE + i  # its own staging file names
        item = known.get(key)
        if item is not None:
            save_batch(ctx, sub_batch, [item])
        try:
            args = (ctx, sub_batch, [key], line_stats_path)
            results.append(pool.alone(clean, args, deadline(max_doc, 1)))
        except WorkerLost as lost:
            LOGGER.warning("run %s: the cleaning process was lost on %s", ctx.run_id, key)
            results.append(_lost(ctx, sub_batch, item or key, lost))
    return results


def clean_batches(
    ctx: RunContext,
    batches: list[list[str]],
    line_stats_path: str | None,
    progress: Progress | None = None,
    clean: CleanBatch = clean_batch,
    pool: IsolatingPool | None = None,
) -> list[BatchResult]:
    """Clean every batch (`corpus ingest`): in an IsolatingPool when there are several batches
    and workers, one batch per worker at a time; in this process otherwise. `clean` is the
    batch function (tests swap it); `pool` the run's pool if it has one (it is closed here)."""
    progress = progress or NoProgress()
    progress.start("clean", sum(len(b) for b in batches))
    workers = min(ctx.settings.workers or os.cpu_count() or 1, len(batches))
    if workers <= 1:
        results = []
        for n, batch in enumerate(batches):
            results.append(clean(ctx, n, batch, line_stats_path))
            progress.advance(len(batch))
        return results

    pool = pool or IsolatingPool(workers, warm_html=may_hold_html(k for b in batches for k in b))
    if batches:
        pool.start_forkserver()
    threads = ThreadPoolExecutor(workers, thread_name_prefix="clean")  # one batch per worker
    try:
        futures = {
            threads.submit(clean_isolated, pool, ctx, n, batch, line_stats_path, clean): n
            for n, batch in enumerate(batches)
        }
        for future in as_completed(futures):  # bounded: every call on the pool is
            future.result()  # what `clean` raised stops the run
            progress.advance(len(batches[futures[future]]))
        parts = {n: future.result() for future, n in futures.items()}
    finally:
        pool.close()  # first: calls still waiting (Ctrl-C, an error) return at once
        threads.shutdown(wait=True, cancel_futures=True)
    return [result for n in sorted(parts) for result in parts[n]]


class WorkerPool:
    """The Prefect flow's batch tasks (several threads) sharing one IsolatingPool: cleaning
    runs on every core, not under one interpreter lock, with `clean_batches`' rules."""

    def __init__(self, workers: int, clean: CleanBatch = clean_batch) -> None:
        self.workers = workers
        self.clean_batch = clean  # the batch function (tests swap it)
        self.pool = IsolatingPool(workers)

    def clean(
        self, ctx: RunContext, n: int, batch: list[str], line_stats_path: str | None
    ) -> list[BatchResult]:
        """Batch `n` cleaned in a worker; more than one result if a lost worker split it."""
        return clean_isolated(self.pool, ctx, n, batch, line_stats_path, self.clean_batch)

    def close(self) -> None:
        self.pool.close()


def _lost(ctx: RunContext, batch_no: int, item: Input | str, lost: WorkerLost) -> BatchResult:
    """A staged batch holding one reject: the input its cleaning process died or hung on
    (its uri, size and hash as the scan found them; a bare key is taken as a file's path)."""
    reason, detail = lost.reject()
    if isinstance(item, Input):
        reject = reject_row(item.source_uri, reason, detail, item.size_bytes, item.input_hash)
    else:
        path, size = Path(item), None
        with contextlib.suppress(OSError):
            size = path.stat().st_size
        reject = reject_row(file_uri(path), reason, detail, size, input_hash(path))
    return write_staged(ctx, batch_no, [], [reject], {"rejected": 1}, 0.0)


def map_in_order(
    fn: Callable[[Any], T],
    items: list[Any],
    pool: IsolatingPool | None,
    max_seconds: float,
    ahead: int = 4,
) -> Iterator[T]:
    """`fn(item)` of every item, yielded in the items' order, the work shared by this thread
    and `pool`'s workers (a thread per worker calls it): items are taken in order by whichever
    is free, at most `ahead` per worker beyond the one yielded next (results waiting are
    bounded). A helper takes items once its worker is up (a forkserver that is still
    importing leaves them to this thread), and the pool is closed at the end. A worker lost
    on an item (`WorkerLost`) leaves it to its thread, here; what `fn` raised is raised here.
    Without a pool, a plain map. `fn` and the items must pickle;
    `max_seconds` bounds one item's call in a worker."""
    if pool is None or len(items) < 2:
        yield from map(fn, items)
        return
    slots = threading.Semaphore(ahead * (pool.workers + 1))  # taken and not yet yielded
    futures: list[Future[T]] = [Future() for _ in items]
    taken = iter(range(len(items)))
    lock = threading.Lock()
    stop = threading.Event()

    def take(wait: bool) -> int | None:
        if stop.is_set() or not slots.acquire(blocking=wait):
            return None
        with lock:
            k = next(taken, None)
        if k is None or stop.is_set():
            slots.release()
            return None
        return k

    def run(k: int, in_pool: bool) -> None:
        future = futures[k]
        try:
            if in_pool:
                try:
                    future.set_result(pool.call(fn, (items[k],), 1, max_seconds))
                    return
                except WorkerLost:
                    LOGGER.warning("a finish worker was lost; its item is done in the run")
            future.set_result(fn(items[k]))
        except BaseException as exc:  # raised where it is yielded
            future.set_exception(exc)

    def helper() -> None:
        try:  # a worker up first: an item taken must not wait on a forkserver's start
            pool.call(os.getpid, (), 1, max_seconds)
        except Exception:  # no worker (lost, closed, none can start): this thread's share
            return
        while (k := take(wait=True)) is not None:
            run(k, in_pool=True)

    threads = [
        threading.Thread(target=helper, name=f"map-{n}", daemon=True) for n in range(pool.workers)
    ]
    for thread in threads:
        thread.start()
    try:
        for k, future in enumerate(futures):
            while not future.done() and (mine := take(wait=False)) is not None:
                run(mine, in_pool=False)  # this thread works too while it waits
            result = future.result()
            futures[k] = Future()  # its result is no longer held here
            slots.release()
            yield result
    finally:
        stop.set()
        pool.close()  # a helper still waiting for its worker to start returns now
        for _ in threads:  # wake helpers waiting for a slot: they see `stop`
            slots.release()
        for thread in threads:
            thread.join()  # bounded: a call on the pool is
