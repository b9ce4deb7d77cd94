"""`python -m flows.prefect_uvicorn UVICORN-ARGS`: uvicorn's command line, with Prefect's server
modules loaded first while Python's cyclic garbage collector is paused.

The temporary server's start costs ~4 s of CPU, ~85% of it importing Prefect's server
(pydantic models, SQLAlchemy tables, routes: ~290k objects that live as long as the server).
With the collector on, each of its full collections during that import walks all the objects
made so far again: ~20% of the import's CPU (docs/speed.md). Here the import runs with the
collector off; one collection then frees what the import left as garbage, and `gc.freeze()`
moves the rest out of the collected generations, so the server's collections while it runs
skip them too. uvicorn then runs as `python -m uvicorn` would, with the same arguments.

The import also runs without beartype's import hook: py-key-value (docket's store, which the
server imports) calls `beartype.claw.beartype_this_package()` in `key_value.aio`, so each of the
20 of its modules imported with the server is parsed from source, rewritten with a `@beartype`
on every function and compiled again at every start (the hook keeps no bytecode), and every
later import goes through the hook's loader: ~8% of the import's instructions (docs/speed.md).
What the hook adds only warns (`violation_type=UserWarning`, in a server logging at error
level); py-key-value's own `@bear_enforce` checks, which raise, are plain decorators and stay.

Once running, the server's background worker polls every 2 s instead of 250 ms
(`slower_docket_polling`).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import sys
from collections.abc import Iterator
from datetime import timedelta

from flows.collector import paused

# the app factory's module, as flows/prefect_server.py passes it to uvicorn (--factory)
APP_MODULE = "prefect.server.api.server"
# how often the server's background worker (docket) polls its in-memory store; docket's default
# is 250 ms, most of the idle server's CPU (docs/speed.md)
DOCKET_POLL = timedelta(seconds=2)


@contextlib.contextmanager
def beartype_claw_off() -> Iterator[None]:
    """Packages imported within do not register beartype's import hook (a no-op
    `beartype.claw.beartype_this_package`); without beartype installed, nothing to do."""
    try:
        import beartype.claw as claw
    except ImportError:
        yield
        return
    register = getattr(claw, "beartype_this_package", None)
    if register is None:  # a beartype without it: nothing registers the hook this way
        yield
        return
    claw.beartype_this_package = _not_registered
    try:
        yield
    finally:
        claw.beartype_this_package = register


def _not_registered(*args: object, **kwargs: object) -> None:
    """`beartype_this_package`, doing nothing."""


def load_frozen(module: str = APP_MODULE) -> None:
    """Import `module` with the collector paused and without beartype's import hook, collect
    once, freeze what is left."""
    with paused():
        try:
            with beartype_claw_off():
                __import__(module)
        finally:
            gc.collect()
            gc.freeze()


def slower_docket_polling(poll: timedelta = DOCKET_POLL) -> None:
    """The worker Prefect's server starts for its background tasks (`background_workers.Worker`)
    polls every `poll`: its scheduler loop (future tasks due) and its reads of new tasks.

    The temporary server serves one flow run, which waits on none of those tasks (they clean up
    cancelled, late or deleted runs, vacuum old events and evaluate automations); at docket's
    250 ms the idle server spends ~0.7-0.9 s of CPU a minute polling. A server whose Prefect no
    longer builds its worker there is left as it is."""
    from prefect.server.api import background_workers

    worker = getattr(background_workers, "Worker", None)
    if worker is None or isinstance(worker, functools.partial):
        return
    slower = functools.partial(worker, scheduling_resolution=poll, minimum_check_interval=poll)
    setattr(background_workers, "Worker", slower)  # noqa: B010 (docket's Worker, not exported)


def main(argv: list[str] | None = None) -> None:
    load_frozen()
    slower_docket_polling()
    from uvicorn.main import main as uvicorn_main

    uvicorn_main.main(args=sys.argv[1:] if argv is None else argv, prog_name="uvicorn")


if __name__ == "__main__":
    main()
