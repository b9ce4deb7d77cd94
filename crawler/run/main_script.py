"""Imported by the worker pool's forkserver (its preload list, after the chain): imports the run's
main script (`corpus`, pytest, a bench script) once, where multiprocessing would import it again
in every worker it starts (as `__mp_main__`, so that what the script defines unpickles there):
~0.2 s of CPU per worker for `corpus`. A worker forked from the forkserver then finds the script
imported and skips it. CPython 3.11's own forkserver preload of "__main__" never receives the
script's path (it asks `spawn.get_preparation_data` for a key that it names otherwise), so
`crawler.run.workers.start_forkserver` passes it (and the run's arguments) in MAIN_SCRIPT_ENV.
A script that fails to import here is left to the workers, as before."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from multiprocessing import process, spawn

from crawler.run.workers import MAIN_SCRIPT_ENV


def import_main_script() -> None:
    """Import the script named in MAIN_SCRIPT_ENV as the workers would (with the run's
    `sys.argv`, which they get before they import it); none named: nothing."""
    try:
        told = json.loads(os.environ.pop(MAIN_SCRIPT_ENV, "") or "{}")
        path, argv = told.get("path"), told.get("argv")
    except (ValueError, AttributeError):  # not ours: the workers import the script themselves
        return
    if not isinstance(path, str) or not isinstance(argv, list):
        return
    sys.argv[:] = [str(a) for a in argv]
    current = process.current_process()
    current._inheriting = True  # type: ignore[attr-defined]  # what spawn.prepare sets
    try:
        with contextlib.suppress(Exception, SystemExit):
            spawn.import_main_path(path)
    finally:
        del current._inheriting  # type: ignore[attr-defined]


import_main_script()
