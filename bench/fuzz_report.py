"""Hostile inputs through `corpus ingest`: the fuzz report of issue 7 ("nothing lost, nothing
crashes").

    .venv/bin/python bench/fuzz_report.py [--per-class 10] [--seed 7] [--work DIR]

Generates PER_CLASS seeded inputs of each class below, runs the `corpus ingest` CLI on all of
them in one run into a fresh dataset (a subprocess: worker processes, limits and all), then
times every input alone through the same chain in this process. Prints the inputs per class,
crashes (a non-zero exit of the run, an exception escaping the chain), what became of each
input (record, merge, or reject and its reason; inputs without an outcome must be 0), the
slowest documents, the run's wall time and its peak memory (RSS high-water mark of the largest
process, and of the process tree summed, polled every 50 ms). Figures, never a timed test.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import subprocess
import sys
import tempfile
import time
import traceback
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gen_corpus import OUTLETS, Writer, dump

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.config import Settings  # noqa: E402
from crawler.config_file import load_config  # noqa: E402
from crawler.dedup.minhash import MinHasher  # noqa: E402
from crawler.extract.limits import DocumentTimeout  # noqa: E402
from crawler.readers.files import RawInput, read_input  # noqa: E402
from crawler.record import MERGES_SCHEMA, RECORDS_SCHEMA, REJECTS_SCHEMA  # noqa: E402
from crawler.run.clean import PendingInput, clean_input  # noqa: E402
from crawler.store.dataset import Dataset  # noqa: E402

MB = 1 << 20
SAMPLES = {  # encoding: text in a language written with it
    "utf-16": "Regional council approves the new water plan for the whole valley. ",
    "cp1252": "The minister’s “plan” costs 5 € — according to the officials. ",
    "latin-1": "Le conseil régional a approuvé mardi un nouveau plan pour l'eau. ",
    "shift_jis": "東京都は火曜日、老朽化した水道管を交換する新しい計画を発表した。",
    "koi8-r": "Городской совет во вторник одобрил новый план замены старых труб. ",
}
ODD = ["\x00", "\x01", "\x1b", "\x7f", "\ud800", "\udfff", "\u200b", "\u200d", "\u202e", "\u2066",
       "\u200f", "\ufeff", "\ufffe", "\U0010ffff", "\u2028", "\r", "\t", "&#x1b;", "&#0;", "<p>",
       "<div>", "<script>", "<!--", "-->", "</p>", "<b>", "\n", " "]  # fmt: skip

SOUP = ["<p>", "</p>", "<div>", "</div>", "<b>", "<i>", "</b>", "<table><tr><td>", "<li>",
        "<a href='x'>", "</a>", "<script>", "</script>", "<!--", "-->", "<![CDATA[", "<svg>",
        "<title>", "<meta charset='utf-7'>", "&amp;", "&#x1b;", "&#xFFFE;", '<p a="', "'",
        ]  # fmt: skip

Input = tuple[str, bytes]  # file suffix, content
Make = Callable[[random.Random, Writer], Input]


def article(rng: random.Random, w: Writer) -> Input:
    """A seed-like page dump or its HTML version: the control group, records expected."""
    paragraphs = [w.paragraph() for _ in range(rng.randint(4, 10))]
    if rng.random() < 0.5:
        return ".txt", dump(w, w.headline(), rng.choice(OUTLETS), paragraphs, 2).encode()
    return ".html", html_page(w.headline(), paragraphs)


def html_page(title: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    page = f"<html><head><title>{title}</title></head><body><article>{body}</article></body></html>"
    return page.encode()


def encoded(rng: random.Random, w: Writer) -> Input:
    """An article in another encoding; HTML may declare it, page dumps cannot."""
    encoding, sample = rng.choice(sorted(SAMPLES.items()))
    text = "\n".join(sample * rng.randint(2, 5) for _ in range(rng.randint(4, 8)))
    if rng.random() < 0.5:
        return ".txt", text.encode(encoding)
    meta = f"<meta charset='{encoding}'>" if rng.random() < 0.5 else ""
    body = "".join(f"<p>{line}</p>" for line in text.split("\n"))
    return ".html", f"<html><head>{meta}</head><body>{body}</body></html>".encode(encoding)


def random_bytes(rng: random.Random, w: Writer) -> Input:
    return rng.choice([".txt", ".html", ".html.gz"]), rng.randbytes(rng.randint(0, 64 * 1024))


def random_unicode(rng: random.Random, w: Writer) -> Input:
    """Controls, NUL, lone surrogates, RTL and zero-width marks among prose."""
    pieces = [rng.choice(ODD) if rng.random() < 0.5 else w.sentence() for _ in range(200)]
    text = "".join(pieces)
    return rng.choice([".txt", ".html"]), text.encode("utf-8", "surrogatepass")


def long_line(rng: random.Random, w: Writer) -> Input:
    """One line of 1 to 10 MB."""
    sentence = w.sentence() + " "
    line = (sentence * (rng.randint(1, 10) * MB // len(sentence))).encode()
    page = b"<html><body><p>" + line + b"</p></body></html>"
    return (".txt", line) if rng.random() < 0.5 else (".html", page)


def many_lines(rng: random.Random, w: Writer) -> Input:
    """10,000 to 200,000 short lines."""
    lines = [w.sentence() for _ in range(200)]
    text = "\n".join(rng.choice(lines) for _ in range(rng.randint(10_000, 200_000)))
    return ".txt", text.encode()


def deep_html(rng: random.Random, w: Writer) -> Input:
    """An article nested 100 to 10,000 elements deep."""
    depth = rng.choice([100, 250, 300, 1_000, 10_000])
    tag = rng.choice(["div", "span", "b", "section"])
    body = "".join(f"<p>{w.paragraph()}</p>" for _ in range(6))
    return ".html", f"<html><body>{f'<{tag}>' * depth}{body}{f'</{tag}>' * depth}".encode()


def gzip_bomb(rng: random.Random, w: Writer) -> Input:
    """A .html.gz inflating to 21 to 256 MB of one byte, or corrupt, or a fine small page."""
    kind = rng.choice(["bomb", "bomb", "corrupt", "fine"])
    if kind == "fine":
        page = html_page(w.headline(), [w.paragraph() for _ in range(6)])
        return ".html.gz", zlib.compress(page, wbits=16 + zlib.MAX_WBITS)
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes([rng.choice(b" <a")]) * MB
    data = b"".join(packer.compress(chunk) for _ in range(rng.randint(21, 256))) + packer.flush()
    return ".html.gz", data[: len(data) // 2] if kind == "corrupt" else data


def attribute_bomb(rng: random.Random, w: Writer) -> Input:
    """A tag with 100 to 1,000,000 attributes (the parser's time grows with their square)."""
    n = rng.choice([100, 10_000, 100_000, 1_000_000])
    attributes = " ".join(f"a{i}" if i % 2 else f'b{i}="{i}"' for i in range(n))
    return ".html", f"<html><body><p {attributes}>{w.paragraph()}</p></body></html>".encode()


def many_elements(rng: random.Random, w: Writer) -> Input:
    """10,000 to 200,000 elements."""
    cells = "".join(
        f"<span>{rng.choice(w.nouns)}</span>" for _ in range(rng.randint(10, 200) * 1000)
    )
    return ".html", f"<html><body><p>{w.paragraph()}</p><div>{cells}</div></body></html>".encode()


def tag_soup(rng: random.Random, w: Writer) -> Input:
    """Markup fragments, unclosed and misnested, among prose."""
    pieces = [rng.choice(SOUP) if rng.random() < 0.6 else w.sentence() for _ in range(400)]
    return ".html", "".join(pieces).encode()


CLASSES: dict[str, Make] = {
    "article": article,
    "encoding": encoded,
    "random_bytes": random_bytes,
    "random_unicode": random_unicode,
    "long_line": long_line,
    "many_lines": many_lines,
    "deep_html": deep_html,
    "gzip_bomb": gzip_bomb,
    "attribute_bomb": attribute_bomb,
    "many_elements": many_elements,
    "tag_soup": tag_soup,
}


def generate(folder: Path, per_class: int, seed: int) -> dict[str, str]:
    """Write the inputs; {file name: class}."""
    rng = random.Random(seed)
    w = Writer(rng)
    classes = {}
    for name, make in CLASSES.items():
        for i in range(per_class):
            suffix, data = make(rng, w)
            path = folder / f"{name}-{i:03d}{suffix}"
            path.write_bytes(data)
            classes[path.name] = name
    return classes


@dataclass
class Measured:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_process: int  # bytes: the largest VmHWM of any process of the tree
    peak_tree: int  # bytes: the largest sum of VmRSS over the tree at one poll


def _tree(pid: int) -> list[int]:
    """A process and its descendants (Linux /proc)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _memory(pid: int) -> tuple[int, int]:
    """(VmHWM, VmRSS) of a process in bytes; zeros once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0, 0
    values = {k: int(v.split()[0]) * 1024 for k, _, v in (s.partition(":") for s in status)
              if k in ("VmHWM", "VmRSS")}  # fmt: skip
    return values.get("VmHWM", 0), values.get("VmRSS", 0)


def run_measured(command: list[str]) -> Measured:
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err, text=True)
        peak_process = peak_tree = 0
        while child.poll() is None:
            sizes = [_memory(pid) for pid in _tree(child.pid)]
            peak_process = max(peak_process, *(hwm for hwm, _ in sizes))
            peak_tree = max(peak_tree, sum(rss for _, rss in sizes))
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        return Measured(child.returncode, out.read(), err.read(), seconds, peak_process, peak_tree)


def time_each(paths: list[Path], settings: Settings) -> tuple[list[tuple[float, str, str]], int]:
    """Each input alone through the chain: [(seconds, file, outcome)] and the crashes (an
    exception escaping `clean_input`)."""
    hasher = MinHasher(settings.num_perm)
    timings, crashes = [], 0
    for path in paths:

        def load(path: Path = path) -> RawInput:
            return read_input(path, settings.max_input_bytes)

        item = PendingInput(path.as_uri(), path.stat().st_size, "", load)
        started = time.perf_counter()
        try:
            row, reject = clean_input(item, settings, None, hasher)
            outcome = "record" if row is not None else f"reject {reject and reject['reason']}"
        except (Exception, DocumentTimeout):  # escaping clean_input: what is counted here
            crashes += 1
            outcome = "CRASH " + traceback.format_exc(limit=1).splitlines()[-1]
        timings.append((time.perf_counter() - started, path.name, outcome))
    return timings, crashes


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--per-class", type=int, default=10, help="inputs of each class")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary one)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        work = args.work or Path(scratch)
        inputs, out = work / "inputs", work / "corpus"
        inputs.mkdir(parents=True)
        classes = generate(inputs, args.per_class, args.seed)
        size = sum(p.stat().st_size for p in inputs.iterdir())
        print(f"inputs: {len(classes)} files, {size / MB:.0f} MB, seed {args.seed}")
        for name, count in Counter(classes.values()).items():
            print(f"  {name:15} {count}")

        command = [sys.executable, "-m", "flows.cli", "ingest", str(inputs)]
        run = run_measured([*command, "--out", str(out), "--json", "-q"])
        print(f"\ncorpus ingest: exit {run.returncode}, {run.seconds:.1f} s wall")
        print(f"  peak RSS: largest process {run.peak_process / MB:.0f} MB, "
              f"process tree {run.peak_tree / MB:.0f} MB")  # fmt: skip
        crashes, lost = int(run.returncode != 0), 0
        if run.returncode:
            print("  stderr: " + "\n  ".join(run.stderr.strip().splitlines()[-15:]))
        else:
            lost = report_outcomes(out, classes, json.loads(run.stdout))

        with contextlib.chdir(ROOT):  # the settings the CLI ran with (./corpus.toml, CORPUS_*)
            settings = load_config().settings
        timings, escaped = time_each(sorted(inputs.iterdir()), settings)
        crashes += escaped
        total = sum(seconds for seconds, *_ in timings)
        print(f"\neach input alone through the chain (this process), {total:.1f} s; slowest:")
        for seconds, name, outcome in sorted(timings, reverse=True)[:5]:
            print(f"  {seconds:6.2f} s  {name:32} {outcome}")
        print(f"\ncrashes: {crashes}, inputs without exactly one outcome: {lost}")
        return 1 if crashes or lost else 0


def report_outcomes(out: Path, classes: dict[str, str], summary: dict[str, object]) -> int:
    """Print what became of each input, per class; the number of inputs without exactly one
    outcome (record, merge or reject), which must be 0."""
    dataset = Dataset(out)
    outcomes: dict[str, list[str]] = defaultdict(list)
    for row in dataset.read("records", RECORDS_SCHEMA, ["source_uri"]).to_pylist():
        outcomes[Path(row["source_uri"]).name].append("record")
    for row in dataset.read("merges", MERGES_SCHEMA, ["source_uri"]).to_pylist():
        outcomes[Path(row["source_uri"]).name].append("merge")
    for row in dataset.read("rejects", REJECTS_SCHEMA, ["source_uri", "reason"]).to_pylist():
        outcomes[Path(row["source_uri"]).name].append(row["reason"])
    lost = [name for name in classes if len(outcomes.get(name, [])) != 1]
    per_class: dict[str, Counter[str]] = defaultdict(Counter)
    for name, cls in classes.items():
        per_class[cls].update(outcomes.get(name, []))
    total = Counter(o for found in outcomes.values() for o in found)
    rejects = sum(total.values()) - total["record"] - total["merge"]
    print(f"  records {total['record']}, merges {total['merge']}, rejects {rejects}")
    if lost:
        print(f"  inputs without exactly one outcome: {len(lost)}, e.g. {lost[:5]}")
    print(f"  summary: {summary['inputs']} inputs, {summary['added']} added, "
          f"{summary['rejected']} rejected")  # fmt: skip
    print("  outcomes by class:")
    for cls in CLASSES:
        shown = ", ".join(f"{reason} {n}" for reason, n in per_class[cls].most_common())
        print(f"    {cls:15} {shown}")
    print("  rejects by reason: " + ", ".join(
        f"{reason} {n}" for reason, n in total.most_common() if reason not in ("record", "merge")
    ))  # fmt: skip
    return len(lost)


if __name__ == "__main__":
    raise SystemExit(main())
