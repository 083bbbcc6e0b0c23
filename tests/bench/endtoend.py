"""End to end: `ess process` from the raw archive to searchable, on both cores and forced onto one.

    python -m tests.bench.endtoend [--pages N] [--runs R]

The synthetic sites of ``tests/bench/sitegen.py`` (N article pages) are served on loopback and crawled once by
the real ``ess crawl``. The archive is then processed by the real ``ess process`` 2R times, each time into a
fresh copy of the crawled data directory, the two sides alternating (ABBA): as it runs normally (every core)
and forced onto one (``taskset -c 0``, one thread for torch and onnxruntime). Per run: documents and chunks
per second over the seconds ``ess process`` reports for processing (models loaded, so loading is timed apart:
the rest of the wall time), the same over wall time, CPU seconds over wall seconds (cores kept busy) and peak
memory. Reported: every run, each side's medians, and the median and interquartile range of the per-pair
ratio of throughputs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from crawler.sitehost import SiteHost
from pipeline.config import Settings
from tests.bench.latency import quartiles
from tests.bench.sitegen import write_sites
from tests.tests_support import ess_command

PROCESS_TIMEOUT = 7200


def registry(urls: list[str], path: Path) -> Path:
    """A sources registry for the served sites (loopback: private addresses allowed)."""
    tables = [
        f'[[source]]\nname = "site{i}"\ntitle = "Site {i}"\nkind = "media"\nhomepage = "{url}/"\n'
        "max_pages = 100000\nallow_private = true\n"
        for i, url in enumerate(urls)
    ]
    path.write_text("\n".join(tables), encoding="utf-8")
    return path


def timed_ess(settings: Settings, *args: str, prefix: tuple[str, ...] = (), **env: str) -> dict:
    """Run `ess ARGS --json`; its report, wall and CPU seconds, and peak memory (max RSS of the child)."""
    command, variables = ess_command(settings, *args, "--json", **env)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([*prefix, *command], env=variables, capture_output=True, text=True, timeout=PROCESS_TIMEOUT)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"`ess {' '.join(args)}` failed: {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"report": json.loads(done.stdout), "seconds": round(wall, 1), "cpu seconds": round(cpu, 1),
            "cores busy": round(cpu / wall, 2), "peak MB": round(after.ru_maxrss / 1024)}  # fmt: skip


STARTING = "seconds starting (imports, models)"


def process_run(crawled: Settings, folder: Path, one_core: bool) -> dict:
    """`ess process` into a fresh copy of the crawled data directory, removed afterwards."""
    shutil.copytree(crawled.data_dir, folder)
    settings = crawled.model_copy(update={"data_dir": folder})
    prefix, env = (("taskset", "-c", "0"), {"OMP_NUM_THREADS": "1"}) if one_core else ((), {})
    try:
        run = timed_ess(settings, "process", prefix=prefix, **env)
    finally:
        shutil.rmtree(folder)
    counts, processing = run["report"], run["report"].get("seconds processing") or run["seconds"]
    run[STARTING] = round(run["seconds"] - processing, 1)
    run["docs/s"] = round(counts.get("processed", 0) / processing, 3)
    run["docs/s over wall time"] = round(counts.get("processed", 0) / run["seconds"], 3)
    run["chunks/s"] = round(counts.get("chunks", 0) / processing, 3)
    return run


SIDES = {"both cores": False, "one core": True}


def main(pages: int = 120, runs: int = 3) -> dict:
    with tempfile.TemporaryDirectory(prefix="ess-e2e-") as tmp:
        root = Path(tmp)
        sites = write_sites(root / "sites", pages)
        with SiteHost([(site, 0) for site in sites]) as host:
            settings = Settings(data_dir=root / "crawled", sources=registry(host.urls(), root / "sources.toml"))
            crawl = timed_ess(settings, "crawl")
        pairs = []
        for n in range(runs):
            order = list(SIDES) if n % 2 == 0 else list(SIDES)[::-1]
            pair = {side: process_run(settings, root / side.replace(" ", "-"), SIDES[side]) for side in order}
            pair["ratio"] = round(pair["both cores"]["docs/s"] / pair["one core"]["docs/s"], 3)
            pairs.append(pair)
    keys = ("docs/s", "docs/s over wall time", "chunks/s", STARTING, "cores busy", "peak MB")
    return {
        "pages": pages,
        "cpus": os.cpu_count(),
        "crawl": crawl,
        "runs": pairs,
        **{side: {key: quartiles([p[side][key] for p in pairs]) for key in keys} for side in SIDES},
        "ratio": quartiles([p["ratio"] for p in pairs]),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=120, help="Article pages of the synthetic sites (default 120).")
    parser.add_argument("--runs", type=int, default=3, help="Runs per side, alternated (default 3).")
    args = parser.parse_args()
    print(json.dumps(main(args.pages, args.runs), indent=1))
