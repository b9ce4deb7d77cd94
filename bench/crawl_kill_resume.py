"""A crawl SIGKILLed mid-way (its whole process group), then the same command again: what the
resumed crawl fetches, stores and commits.

    nice .venv/bin/python bench/crawl_kill_resume.py [--articles 250] [--kill-at 40]

`corpus crawl` of the fixture news site (tests/newssite.py) on 127.0.0.1 is killed once its
progress file counts `--kill-at` pages fetched; by then the site's articles are queued. The
same command is then run to its end with --json. Prints one line: the resumed crawl's exit
status, pages fetched, pages stored, records in the dataset (target: every article), and
whether a job file was left in the system temp folder.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from newssite import FAST, serve  # noqa: E402

from crawler.crawl.progress import read_progress  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=250)
    parser.add_argument("--kill-at", type=int, default=40, help="pages fetched")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="kill-resume-") as tmp,
        serve(args.articles, traps=False) as site,
    ):
        out, system_tmp = Path(tmp) / "c", Path(tmp) / "system-tmp"
        system_tmp.mkdir()
        env = {**os.environ, "TMPDIR": str(system_tmp)}
        sets = [a for k, v in FAST.items() for a in ("--set", f"{k}={json.dumps(v)}")]
        command = [
            *(sys.executable, "-m", "flows.cli", "crawl", site.url("/")),
            *("--sitemap", site.url("/sitemap.xml"), "--out", str(out)),
            *("--allow-net", "127.0.0.0/8", "--contact", "bench@x.test", "--json", *sets),
        ]
        child = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        while child.poll() is None:
            files = [*out.glob("_crawl/run-*/progress.json"), *system_tmp.glob("*/progress.json")]
            if (
                max((int(read_progress(f).get("pages", 0)) for f in files), default=0)
                >= args.kill_at
            ):
                os.killpg(child.pid, signal.SIGKILL)
                break
            time.sleep(0.05)
        child.wait()
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        report = json.loads(done.stdout)
        left = sorted(str(p.relative_to(system_tmp)) for p in system_tmp.rglob("job.json"))
        print(
            f"killed at {args.kill_at} pages of {args.articles} articles; resumed: exit "
            f"{done.returncode}, fetched {report['crawl']['pages_fetched']}, stored "
            f"{report['crawl']['stored']}, records {report['summary']['total_records']}, "
            f"job files in the system temp folder: {left or 'none'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
