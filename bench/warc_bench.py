"""Which WARC library, and what the archive way in costs against loose files.

    .venv/bin/python bench/warc_bench.py libs [--records 5000]
    .venv/bin/python bench/warc_bench.py ingest [--records 5000] [--workers 2] [--rounds 2]

`libs`: warcio and fastwarc (resiliparse) read the same generated files (a per-record gzip
.warc.gz, as Common Crawl writes them, and the same uncompressed .warc): every record's headers
and HTTP payload, best of 3, records/s and the ratio; then both read a copy cut inside a
gzip member (how many records each gives before the damage, and what it raises); and which
of them reads ARC at all. fastwarc is only imported here (it is not a project dependency:
install it by hand into the venv to run `libs`).

`ingest`: the same pages as loose .html files and as one .warc.gz of response records, each
through `corpus ingest` (`run_ingest`, the parallel clean stage) into a fresh dataset;
docs/s of each (best of `--rounds` interleaved runs), the archive's cost as a ratio to the
files' (the target: <= 1.10), and the peak memory (max RSS) of the parent process (by
`resource`) and of its workers (sampled from /proc).

Pages: /work/shared/eval/dragnet-train/html (read in place, never copied into the repo),
repeated under distinct URLs up to `--records`, each copy made distinct by a line of its own
(or exact dedup would make most of the run a no-op).
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from warcio.archiveiterator import ArchiveIterator  # noqa: E402
from warcio.statusandheaders import StatusAndHeaders  # noqa: E402
from warcio.warcwriter import WARCWriter  # noqa: E402

PAGES = Path("/work/shared/eval/dragnet-train/html")


def pages(n: int) -> Iterator[tuple[str, bytes]]:
    """`n` (url, html) pairs: the bench pages, repeated, each copy made distinct."""
    files = sorted(PAGES.glob("*.html"))
    if not files:
        raise SystemExit(f"no pages under {PAGES}")
    bodies = [p.read_bytes() for p in files]
    for i in range(n):
        body = bodies[i % len(bodies)]
        marker = f"<p>Copy {i} of this page, for the bench.</p>".encode()
        at = body.lower().rfind(b"</body>")
        body = body[:at] + marker + body[at:] if at >= 0 else body + marker
        yield f"https://news{i % 50}.example.com/2026/article-{i}.html", body


def write_warc(path: Path, items: Iterator[tuple[str, bytes]], gz: bool = True) -> int:
    """A WARC of one response record per page (per-record gzip when `gz`); the record count."""
    count = 0
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=gz)
        for url, body in items:
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=headers
            )
            writer.write_record(record)
            count += 1
    return count


def read_warcio(path: Path) -> tuple[int, int]:
    """Records read and payload bytes, by warcio."""
    records = size = 0
    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream):
            records += 1
            if record.http_headers is not None:
                record.http_headers.get_header("Content-Type")
            size += len(record.content_stream().read())
    return records, size


def read_fastwarc(path: Path) -> tuple[int, int]:
    """Records read and payload bytes, by fastwarc."""
    from fastwarc.warc import ArchiveIterator as FastIterator

    records = size = 0
    with open(path, "rb") as stream:
        for record in FastIterator(stream, parse_http=True):
            records += 1
            _ = record.http_content_type
            size += len(record.reader.read())
    return records, size


READERS: dict[str, Callable[[Path], tuple[int, int]]] = {
    "warcio": read_warcio,
    "fastwarc": read_fastwarc,
}


def best_of(fn: Callable[[], object], runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def truncated_reads(path: Path, reader: Callable[[Path], tuple[int, int]]) -> str:
    """What `reader` makes of the archive cut in the middle of a gzip member."""
    cut = path.with_name("cut-" + path.name)
    data = path.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    try:
        records, _ = reader(cut)
        return f"{records} records, no error (the cut record silently short)"
    except Exception as exc:
        return f"raises {type(exc).__name__}: {str(exc)[:70]}"


def libs(records: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        gz, plain = Path(tmp) / "bench.warc.gz", Path(tmp) / "bench.warc"
        write_warc(gz, pages(records))
        write_warc(plain, pages(records), gz=False)
        print(f"{records} response records: .warc.gz {gz.stat().st_size / 2**20:.1f} MB, ", end="")
        print(f".warc {plain.stat().st_size / 2**20:.1f} MB")
        for name, path in (("warc.gz", gz), ("warc", plain)):
            secs = {}
            for lib, reader in READERS.items():
                assert reader(path)[0] == records, lib
                secs[lib] = best_of(partial(reader, path))
            line = ", ".join(f"{lib} {records / s:,.0f} rec/s" for lib, s in secs.items())
            ratio = secs["warcio"] / secs["fastwarc"]
            print(f".{name}: {line}; warcio/fastwarc time ratio {ratio:.2f}")
        for lib, reader in READERS.items():
            print(f"truncated .warc.gz, {lib}: {truncated_reads(gz, reader)}")
        arc = Path(tmp) / "one.arc"
        arc.write_bytes(
            b"filedesc://one.arc 0.0.0.0 20260101000000 text/plain 69\n"
            b"1 0 InternetArchive\nURL IP-address Archive-date Content-type Archive-length\n\n"
            + b"http://example.com/ 1.2.3.4 20260101000000 text/html 38\n"
            + b"HTTP/1.0 200 OK\r\n\r\n<html>hello</html>\n\n"
        )
        for lib, reader in READERS.items():
            try:
                got = f"{reader(arc)[0]} records"
            except Exception as exc:
                got = f"raises {type(exc).__name__}"
            print(f"ARC, {lib}: {got}")


def max_rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


class WorkerMemory:
    """Samples the RSS of this process's descendants (the forkserver's workers are not our
    children, so `resource` does not see them) every 0.2 s: the largest one, and the largest
    sum (all workers at once)."""

    def __init__(self) -> None:
        self.largest = self.total = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> WorkerMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.2):
            parents, rss = {}, {}
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    status = (entry / "status").read_text()
                except OSError:
                    continue
                fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
                parents[int(entry.name)] = int(fields.get("PPid", "0"))
                rss[int(entry.name)] = int(fields.get("VmRSS", "0 kB").split()[0]) / 1024
            mine = [p for p in parents if self._descends(p, me, parents)]
            if mine:
                self.largest = max(self.largest, max(rss[p] for p in mine))
                self.total = max(self.total, sum(rss[p] for p in mine))

    @staticmethod
    def _descends(pid: int, root: int, parents: dict[int, int]) -> bool:
        for _ in range(10):
            pid = parents.get(pid, 0)
            if pid == root:
                return True
            if pid <= 1:
                return False
        return False


def ingest(records: int, workers: int, rounds: int) -> None:
    from crawler.config import Settings
    from crawler.run.ingest import run_ingest

    settings = Settings(workers=workers)
    with tempfile.TemporaryDirectory() as tmp:
        loose, archive = Path(tmp) / "loose", Path(tmp) / "archive"
        loose.mkdir()
        archive.mkdir()
        for i, (_, body) in enumerate(pages(records)):
            (loose / f"page-{i:05d}.html").write_bytes(body)
        write_warc(archive / "bench.warc.gz", pages(records))
        rates: dict[str, float] = {}
        # twice each, interleaved, best kept: the machine is shared, its load drifts
        for name, folder in [("files", loose), ("warc", archive)] * rounds:
            out = Path(tmp) / f"out-{name}"
            started = time.perf_counter()
            with WorkerMemory() as memory:
                summary = run_ingest([str(folder)], out, settings)
            secs = time.perf_counter() - started
            rates[name] = max(rates.get(name, 0.0), records / secs)
            print(
                f"{name}: {records} inputs in {secs:.1f} s = {records / secs:.1f} docs/s "
                f"({summary.processed} cleaned, {summary.rejected} rejected, "
                f"scan {summary.seconds.get('scan', 0):.1f} s); worker RSS peak "
                f"{memory.largest:.0f} MB (all at once {memory.total:.0f} MB)",
                flush=True,
            )
            shutil.rmtree(out)
        print(f"archive cost vs files (time ratio): {rates['files'] / rates['warc']:.3f}")
        print(f"peak RSS of the parent (bench included): {max_rss_mb(resource.RUSAGE_SELF):.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["libs", "ingest"])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="runs of each way in (best kept)")
    args = parser.parse_args()
    if args.what == "libs":
        libs(args.records)
    else:
        ingest(args.records, args.workers, args.rounds)


if __name__ == "__main__":
    main()
