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
"""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Iterator

from flows.collector import paused

# the app factory's module, as flows/prefect_server.py passes it to uvicorn (--factory)
APP_MODULE = "prefect.server.api.server"


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


def main(argv: list[str] | None = None) -> None:
    load_frozen()
    from uvicorn.main import main as uvicorn_main

    uvicorn_main.main(args=sys.argv[1:] if argv is None else argv, prog_name="uvicorn")


if __name__ == "__main__":
    main()
