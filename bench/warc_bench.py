"""Which WARC library, and what the archive way in costs against loose files.

    .venv/bin/python bench/warc_bench.py libs [--records 5000]
    .venv/bin/python bench/warc_bench.py ingest [--records 5000] [--sample 300] [--run-records N]
    .venv/bin/python bench/warc_bench.py sample     # (re)writes eval/warc/sample.warc.gz

`libs`: warcio and fastwarc (resiliparse) read the same generated files (a per-record gzip
.warc.gz, as Common Crawl writes them, and the same uncompressed .warc): every record's headers
and HTTP payload, best of 3, records/s and the ratio; then both read a copy cut inside a
gzip member (how many records each gives before the damage, and what it raises); and which
of them reads ARC at all. fastwarc is only imported here (it is not a project dependency:
install it by hand into the venv to run `libs`).

`ingest`: the same pages as loose .html files and as one .warc.gz of response records. CPU
seconds (not wall-clock: the machine is shared) per record of the way in (the scan, which
hashes each input, plus the load a worker does), on all `--records`; of the chain, on
`--sample` records each way; the docs/s per core they give each way and the archive's cost
as a ratio to the files' (the target: <= 1.10); the parent's peak RSS. With `--run-records
N`, whole `corpus ingest` runs (`run_ingest`, the parallel clean stage) of N pages each way:
wall-clock docs/s and the workers' peak RSS (sampled from /proc).

Pages: /work/shared/eval/dragnet-train/html (read in place, never copied into the repo),
repeated under distinct URLs up to `--records`, each copy made distinct by a line of its own
(or exact dedup would make most of the run a no-op).
"""

from __future__ import annotations

import argparse
import hashlib
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
from typing import Any

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


def read_cost(loose: Path, archive: Path, settings: Any) -> dict[str, Any]:
    """CPU seconds to turn every page into a RawInput, each way (the scan, hashing each input,
    and the load a worker does), in this process; a digest of each text (to compare), and
    the inputs."""
    from crawler.readers.inputs import read_inputs

    out: dict[str, Any] = {}
    for name, files in (("files", sorted(loose.iterdir())), ("warc", [archive])):
        started = time.process_time()
        inputs = [item for path in files for item in read_inputs(path, settings)]
        scanned = time.process_time()
        texts = [hashlib.sha1(item.load().text.encode()).digest() for item in inputs]
        out[name] = (scanned - started, time.process_time() - scanned, texts, inputs)
    return out


def chain_cost(items: list[Any], settings: Any) -> float:
    """CPU seconds of the chain (clean_input: extract, normalize, filters, MinHash) per input."""
    from crawler.dedup.minhash import MinHasher
    from crawler.run.clean import clean_input

    hasher = MinHasher(settings.num_perm)
    started = time.process_time()
    for item in items:
        clean_input(item, settings, None, hasher)
    return (time.process_time() - started) / len(items)


def ingest(records: int, workers: int, sample: int, run_records: int) -> None:
    """The archive way in against loose files: CPU per record of reading (all `records`) and
    of the chain (`sample` of them, each way), the docs/s per core they give and the ratio;
    then (with `run_records`) whole `corpus ingest` runs of each, wall-clock docs/s."""
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
        before = max_rss_mb(resource.RUSAGE_SELF)
        costs = read_cost(loose, archive / "bench.warc.gz", settings)
        print(
            f"{records} pages, {sum(p.stat().st_size for p in loose.iterdir()) / 2**20:.0f} MB "
            f"as files, {(archive / 'bench.warc.gz').stat().st_size / 2**20:.0f} MB as .warc.gz"
        )
        per_doc, reads, chains = {}, {}, {}
        chain_cost(costs["files"][3][-20:], settings)  # warm-up: lazy imports, first-call caches
        for name, (scan, load, raws, inputs) in costs.items():
            assert len(raws) == records, (name, len(raws))
            chain = chain_cost(inputs[:sample], settings)
            read = (scan + load) / records
            per_doc[name], reads[name], chains[name] = read + chain, read, chain
            print(
                f"{name}: read {1000 * read:.2f} ms/record CPU (scan {scan:.1f} s + load "
                f"{load:.1f} s), chain {1000 * chain:.0f} ms/record CPU (on {sample}) -> "
                f"{1 / per_doc[name]:.2f} docs/s per core",
                flush=True,
            )
        same = sum(a == b for a, b in zip(costs["files"][2], costs["warc"][2], strict=True))
        print(f"same decoded text both ways: {same}/{records}")
        print(f"archive cost vs files (CPU per record): {per_doc['warc'] / per_doc['files']:.3f}")
        # the texts are the same, so the chain's cost differs only by noise: the reading alone
        extra = (reads["warc"] - reads["files"]) / (reads["files"] + chains["files"])
        print(f"archive reading's extra cost, as a share of a file's whole cost: {extra:+.1%}")
        print(
            f"parent peak RSS: {before:.0f} MB before reading, "
            f"{max_rss_mb(resource.RUSAGE_SELF):.0f} MB after ({records} inputs each way held)"
        )
        del costs
        for name, folder in [("files", loose), ("warc", archive)] if run_records else []:
            part = Path(tmp) / f"part-{name}"
            part.mkdir()
            if name == "files":
                for path in sorted(folder.iterdir())[:run_records]:
                    os.link(path, part / path.name)
            else:
                write_warc(part / "bench.warc.gz", pages(run_records))
            out = Path(tmp) / f"out-{name}"
            started = time.perf_counter()
            with WorkerMemory() as memory:
                summary = run_ingest([str(part)], out, settings)
            secs = time.perf_counter() - started
            print(
                f"corpus ingest, {name}: {run_records} inputs in {secs:.1f} s = "
                f"{run_records / secs:.2f} docs/s wall-clock ({summary.processed} cleaned, "
                f"{summary.rejected} rejected, scan {summary.seconds.get('scan', 0):.1f} s); "
                f"worker RSS peak {memory.largest:.0f} MB (all at once {memory.total:.0f} MB)",
                flush=True,
            )
            size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
            print(
                f"  dataset: {size / 2**20:.1f} MB for {summary.added} records "
                f"({size / max(summary.added, 1) / 1024:.1f} KB per record, audit and indexes "
                f"included)",
                flush=True,
            )
            shutil.rmtree(out)


SAMPLE = ROOT / "eval" / "warc" / "sample.warc.gz"


def sample() -> None:
    """eval/warc/sample.warc.gz, the README's example archive: three eval/dev pages (MIT, as
    eval/LICENSE.md says) as response records with their request records, a PDF response and
    a revisit record (both counted as rejects, not errors)."""
    dev = sorted((ROOT / "eval" / "dev" / "html").glob("*.html"))[:3]
    SAMPLE.parent.mkdir(exist_ok=True)
    with open(SAMPLE, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        date = {"WARC-Date": "2026-10-05T08:30:00Z"}
        for n, path in enumerate(dev):
            url = f"https://news.example.org/2026/10/story-{n}.html"
            line = f"GET /2026/10/story-{n}.html HTTP/1.1"
            ask = StatusAndHeaders(line, [], is_http_request=True)
            writer.write_record(
                writer.create_warc_record(
                    url,
                    "request",
                    payload=io.BytesIO(b""),
                    http_headers=ask,
                    warc_headers_dict=date,
                )
            )
            got = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            writer.write_record(
                writer.create_warc_record(
                    url,
                    "response",
                    payload=io.BytesIO(path.read_bytes()),
                    http_headers=got,
                    warc_headers_dict=date,
                )
            )
        pdf = StatusAndHeaders("200 OK", [("Content-Type", "application/pdf")], protocol="HTTP/1.1")
        writer.write_record(
            writer.create_warc_record(
                "https://news.example.org/report.pdf",
                "response",
                payload=io.BytesIO(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
                http_headers=pdf,
                warc_headers_dict=date,
            )
        )
        url = "https://news.example.org/2026/10/story-0.html"
        writer.write_record(
            writer.create_revisit_record(
                url, "sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", url, "2026-10-05T08:30:00Z"
            )
        )
    print(f"wrote {SAMPLE.relative_to(ROOT)} ({SAMPLE.stat().st_size} bytes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["libs", "ingest", "sample"])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sample", type=int, default=300, help="records run through the chain")
    parser.add_argument("--run-records", type=int, default=0, help="whole ingest runs of N")
    args = parser.parse_args()
    if args.what == "sample":
        sample()
    elif args.what == "libs":
        libs(args.records)
    else:
        ingest(args.records, args.workers, args.sample, args.run_records)


if __name__ == "__main__":
    main()
