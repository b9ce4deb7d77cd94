"""Do the per-document limits agree? The largest inputs the size limits let through, in several
shapes, cleaned as `corpus ingest` cleans them (read, decode, chain, under the time limit), with
the seconds each took against `max_doc_seconds` and the margin; then the cost per MB at three
sizes of one shape, whose ratio shows whether cleaning is linear in the input's size.

    .venv/bin/python bench/limits_bench.py [--sizes 1,5,19] [--quick]

The time limit counts CPU time (`crawler.extract.limits`), so CPU seconds are the figure to compare
with it; wall-clock seconds are printed too (they grow with the machine's load). Inputs are
generated from the words of eval/dev/text (distinct lines, so no step can take a shortcut on
repeats); `--quick` uses a tenth of each size.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.config import Settings  # noqa: E402
from crawler.dedup.minhash import MinHasher  # noqa: E402
from crawler.extract.normalize import detect_language  # noqa: E402
from crawler.readers.files import read_input  # noqa: E402
from crawler.run.clean import PendingInput, clean_input  # noqa: E402

MB = 2**20
WORDS = sorted(
    {
        w
        for p in sorted((ROOT / "eval" / "dev" / "text").glob("*.txt"))
        for w in p.read_text().split()
    }
)
CHROME = ["Home", "News", "Sport", "Subscribe", "Share on Facebook", "Read more", "Log in"]


def prose(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[:1].upper() + text[1:] + "."


def lines_of(size: int, line: Callable[[random.Random], str]) -> str:
    """Distinct lines from `line` until `size` bytes."""
    rng, out, total = random.Random(7), [], 0
    while total < size:
        out.append(line(rng))
        total += len(out[-1].encode()) + 1
    return "\n".join(out) + "\n"


def mixed_line(rng: random.Random) -> str:
    """A page dump's mix: 60% paragraphs of 60-130 words, 40% menu and interface lines."""
    if rng.random() < 0.6:
        return prose(rng, rng.randint(60, 130))
    return f"{rng.choice(CHROME)} {prose(rng, rng.randint(1, 6))}"


def html_page(size: int) -> str:
    """An HTML page of paragraphs, under the element limit (about 400 bytes a paragraph)."""
    body = lines_of(size - 200, lambda rng: f"<p>{escape(prose(rng, rng.randint(50, 70)))}</p>")
    return f"<!DOCTYPE html><html><head><title>Bench</title></head><body>{body}</body></html>"


def shapes(settings: Settings, scale: float) -> dict[str, tuple[str, str]]:
    """name -> (file suffix, content): the largest input of each shape the size limits allow."""
    top = int((settings.max_input_bytes - MB) * scale)  # just under max_input_bytes
    short = lines_of(int(settings.max_lines * 60 * scale), lambda rng: prose(rng, 8))
    huge = settings.max_line_chars - 1_000
    return {
        "mixed dump, max_lines lines": (".txt", lines_of(top, mixed_line)),
        "many short lines (max_lines)": (".txt", short),
        "long prose lines (~12 KB)": (".txt", lines_of(top, lambda rng: prose(rng, 2000))),
        "huge lines (< max_line_chars)": (
            ".txt",
            lines_of(top, lambda rng: prose(rng, huge // 6)[: huge - 1]),
        ),
        "HTML paragraphs": (".html", html_page(top)),
    }


def clean(path: Path, settings: Settings) -> tuple[str, float, float]:
    """(outcome, CPU seconds, wall seconds) of one input through `clean_input`."""
    item = PendingInput(
        path.as_uri(),
        path.stat().st_size,
        "0" * 64,
        lambda: read_input(path, settings.max_input_bytes),
    )
    cpu, wall = time.process_time(), time.perf_counter()
    row, reject = clean_input(item, settings, None, MinHasher(settings.num_perm))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    outcome = "record" if row is not None else f"reject {reject['reason'] if reject else '?'}"
    return outcome, cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,5,19", help="MB sizes for the linearity rows")
    parser.add_argument("--quick", action="store_true", help="a tenth of every size")
    args = parser.parse_args()
    scale = 0.1 if args.quick else 1.0
    settings = Settings()
    detect_language("warm up the language model " * 5)  # loaded once per worker, not per input
    limit = settings.max_doc_seconds
    print(
        f"limits: max_input_bytes {settings.max_input_bytes / MB:.0f} MiB, max_lines "
        f"{settings.max_lines}, max_line_chars {settings.max_line_chars}, "
        f"max_doc_seconds {limit:g} (CPU time)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        print(f"\n{'worst case':32} {'MB':>6} {'lines':>7} {'outcome':14} {'cpu s':>7} "
              f"{'wall s':>7} {'margin':>7}")  # fmt: skip
        for name, (suffix, text) in shapes(settings, scale).items():
            path = Path(tmp) / f"input{suffix}"
            path.write_text(text)
            outcome, cpu, wall = clean(path, settings)
            size = path.stat().st_size / MB
            print(f"{name:32} {size:6.1f} {text.count(chr(10)):7} {outcome:14} {cpu:7.2f} "
                  f"{wall:7.2f} {limit / max(cpu, 1e-9):6.1f}x")  # fmt: skip
        sizes = [float(s) * scale for s in args.sizes.split(",")]
        print(f"\n{'linearity (mixed dump)':32} {'MB':>6} {'cpu s':>7} {'s/MB':>7} {'ratio':>7}")
        first = None
        for mb in sizes:
            path = Path(tmp) / "linear.txt"
            path.write_text(lines_of(int(mb * MB), mixed_line))
            outcome, cpu, _ = clean(path, Settings(max_lines=10**7))
            per_mb = cpu / mb
            first = first or per_mb
            print(f"{'':32} {mb:6.1f} {cpu:7.2f} {per_mb:7.3f} {per_mb / first:6.2f}x  {outcome}")
    print("\nratio: s/MB against the smallest size (1.00x = linear; 4x the size at 4x the cost)")


if __name__ == "__main__":
    main()
