"""Memory of a run's main process at each stage boundary (a bench probe, not the product's).

`install(log)` wraps the stage functions of `crawler.run.ingest` and `crawler.run.finish` (by
their module globals: nothing of the product's code changes) so that each call appends a line
to `log`: the stage's name, the main process's `VmRSS` when it ends, and its `VmHWM` (the
peak) during the stage: the peak is reset (`/proc/self/clear_refs`, 5) when each stage starts,
so a stage's peak is its own. Stages nest (the finish's inside the finish's).
`bench/scale_bench.py` installs it in its child when SCALE_BENCH_STAGES names a log file:

    SCALE_BENCH_STAGES=/tmp/stages.log .venv/bin/python bench/scale_bench.py --sizes 10000 \
        --no-baseline
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# (module, function): the stages of an ingest's main process, outermost first
STAGES = [
    ("crawler.run.ingest", "scan_inputs"),
    ("crawler.run.ingest", "save_batches"),
    ("crawler.run.ingest", "clean_batches"),
    ("crawler.run.session", "finish_run"),
    ("crawler.run.finish", "strip_site_lines"),
    ("crawler.run.finish", "resolve_run"),
    ("crawler.run.finish", "first_pass"),
    ("crawler.run.finish", "load_dedup_index"),
    ("crawler.run.finish", "resolve"),
    ("crawler.run.finish", "plan_revisions"),
    ("crawler.run.finish", "_write_run"),
]


def status_mb() -> dict[str, float]:
    """VmRSS and VmHWM of this process, MB."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def install(log: str | Path) -> None:
    """Wrap every stage of STAGES found (see the module's doc); lines go to `log`."""
    path = Path(log)
    started = time.perf_counter()
    depth = [0]
    peaks: list[float] = []  # the peak of each open stage so far (resets hide the outer ones)

    def write(text: str) -> None:
        with path.open("a") as out:
            out.write(f"{time.perf_counter() - started:8.1f} s {'  ' * depth[0]}{text}\n")

    def wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def probed(*args: Any, **kwargs: Any) -> Any:
            before = status_mb()
            if peaks:  # the peak of the stages around this one, up to now
                peaks[-1] = max(peaks[-1], before["VmHWM"])
            write(f"{name}: start, RSS {before['VmRSS']:.0f} MB")
            reset_peak()
            peaks.append(0.0)
            depth[0] += 1
            try:
                return fn(*args, **kwargs)
            finally:
                depth[0] -= 1
                after = status_mb()
                peak = max(peaks.pop(), after["VmHWM"])
                if peaks:
                    peaks[-1] = max(peaks[-1], peak)
                write(f"{name}: end, RSS {after['VmRSS']:.0f} MB, peak {peak:.0f} MB")

        return probed

    for module_name, name in STAGES:
        module = importlib.import_module(module_name)
        fn = getattr(module, name, None)
        if fn is not None:
            setattr(module, name, wrap(name, fn))
