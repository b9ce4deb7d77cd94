"""The clean stage's per-worker warm-up (`crawler.run.clean.warm_up`, run by the worker pool's
forkserver through `crawler.run.warm_text`): it pays first-use costs and changes no output."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import pytest
from helpers import EVAL, ROOT

from crawler.run import clean as clean_module

# a worker's staged rows for some dev dumps, digested; with `warm` the warm-up runs first
_ROWS_DIGEST = """
import hashlib, pickle, sys
from pathlib import Path
import crawler.run.no_pandas
from crawler.config import Settings
from crawler.dedup.minhash import MinHasher
from crawler.readers.inputs import read_inputs
from crawler.run import clean
if sys.argv[2] == "warm":
    clean.warm_up()
settings = Settings()
inputs = [i for p in sorted(Path(sys.argv[1]).glob("*.txt"))[:12] for i in read_inputs(p, settings)]
stats = clean.learn_line_stats(inputs).pruned()
hasher = MinHasher(settings.num_perm)
rows = [clean.clean_input(i, settings, stats, hasher) for i in inputs]
print(hashlib.sha256(pickle.dumps(rows)).hexdigest())
"""


def _fresh_python(*args: str) -> str:
    """stdout of this interpreter started outside the checkout with the checkout's code first
    on its path (`python -c` puts its working directory first)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with tempfile.TemporaryDirectory() as cwd:
        done = subprocess.run(
            [sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True, check=True
        )
    return done.stdout


def test_the_forkserver_preload_pays_the_text_paths_first_use_costs() -> None:
    got = _fresh_python(
        "-c",
        "import sys, crawler.run.no_pandas, crawler.run.clean, crawler.run.warm_text\n"
        "import gc\n"
        "print('numpy.random' in sys.modules, '_strptime' in sys.modules, gc.get_freeze_count())",
    )
    loaded, dates, frozen = got.split()
    assert (loaded, dates) == ("True", "True")
    # the imports' objects are out of the collector's sight: a worker's collections skip them
    assert int(frozen) > 10_000


def test_a_worker_cleans_alike_with_and_without_the_warm_up() -> None:
    folder = str(EVAL / "dev" / "text")
    cold = _fresh_python("-c", _ROWS_DIGEST, folder, "cold")
    warm = _fresh_python("-c", _ROWS_DIGEST, folder, "warm")
    assert cold == warm


def test_the_warm_up_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in the chain")

    monkeypatch.setattr(clean_module, "process", broken)
    clean_module.warm_up()  # a worker pays on first use instead
