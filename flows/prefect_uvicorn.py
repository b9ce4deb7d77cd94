"""`python -m flows.prefect_uvicorn UVICORN-ARGS`: uvicorn's command line, with Prefect's server
modules loaded first while Python's cyclic garbage collector is paused.

The temporary server's start costs ~4 s of CPU, ~85% of it importing Prefect's server
(pydantic models, SQLAlchemy tables, routes: ~290k objects that live as long as the server).
With the collector on, each of its full collections during that import walks all the objects
made so far again: ~20% of the import's CPU (docs/speed.md). Here the import runs with the
collector off; one collection then frees what the import left as garbage, and `gc.freeze()`
moves the rest out of the collected generations, so the server's collections while it runs
skip them too. uvicorn then runs as `python -m uvicorn` would, with the same arguments.
"""

from __future__ import annotations

import gc
import sys

# the app factory's module, as flows/prefect_server.py passes it to uvicorn (--factory)
APP_MODULE = "prefect.server.api.server"


def load_frozen(module: str = APP_MODULE) -> None:
    """Import `module` with the collector paused, collect once, freeze what is left."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        __import__(module)
    finally:
        gc.collect()
        gc.freeze()
        if was_enabled:
            gc.enable()


def main(argv: list[str] | None = None) -> None:
    load_frozen()
    from uvicorn.main import main as uvicorn_main

    uvicorn_main.main(args=sys.argv[1:] if argv is None else argv, prog_name="uvicorn")


if __name__ == "__main__":
    main()
