"""Distributed processing: two `ess worker` processes pinned to a core each, beside one worker on one core.

    python -m tests.bench.workers [--pages N] [--runs R]

The synthetic sites of ``tests/bench/sitegen.py`` (N article pages) are served on loopback and crawled once by
the real ``ess crawl``. Each run processes a fresh copy of the crawled data directory with the real
``ess process --distributed`` over a real redis-server on loopback, its batches made by real ``ess worker``
processes (default settings, one batch at a time), each pinned with ``taskset`` to a core of its own: two
machines simulated by two processes on one core each. The coordinator and redis-server are not pinned: beside
two workers they can only take CPU from them, which is what the ratio must show. The workers are started and
their models loaded before the run (their log says "ready for batches"); the two sides alternate (ABBA).

Per run: documents per second over the seconds ``ess process`` reports for processing; CPU seconds over that
run of the coordinator (start-up included), of the workers and of redis-server, and the coordinator's share of
them; the coordinator's CPU milliseconds per document while processing (what bounds the workers one coordinator
can keep busy); each worker's memory (peak, resident and proportional, of its main process and of the pool
process that makes batches); the bytes of the data directory's parts, also per 100k chunks. Reported: every
run, each side's median and interquartile range, and the per-pair ratio of throughputs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from redis import Redis

from crawler.sitehost import SiteHost
from pipeline.config import Settings
from tests.bench.endtoend import registry, timed_ess
from tests.bench.latency import quartiles
from tests.bench.sitegen import write_sites
from tests.tests_support import ess_command, redis_process, stop_groups

SIDES = {"one worker, one core": [0], "two workers, a core each": [0, 1]}
READY = "ready for batches"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a live process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def status_mb(pid: int, field: str) -> float:
    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith(field + ":"))
    return round(int(line.split()[1]) / 1024)


def peak_mb(pid: int) -> float:
    """The process's peak resident memory."""
    return status_mb(pid, "VmHWM")


def resident_mb(pid: int) -> float:
    """The process's resident memory now."""
    return status_mb(pid, "VmRSS")


def proportional_mb(pid: int) -> float:
    """The process's proportional set size now: pages it shares (with the process it was forked from) are
    divided among their sharers, so the figures of a worker's processes add up."""
    line = next(x for x in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines() if x.startswith("Pss:"))
    return round(int(line.split()[1]) / 1024)


def memory(pid: int) -> dict:
    return {"peak MB": peak_mb(pid), "resident MB": resident_mb(pid), "PSS MB": proportional_mb(pid)}


def children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@contextmanager
def pinned_workers(settings: Settings, broker: str, cores: list[int], logs: Path) -> Iterator[list[int]]:
    """One `ess worker` per core, pinned to it; yields their pids once each has loaded its models."""
    command, env = ess_command(settings, "worker", ESS_BROKER_URL=broker, OMP_NUM_THREADS="1")
    logs.mkdir(parents=True, exist_ok=True)
    started = [
        subprocess.Popen(
            ["taskset", "-c", str(core), *command],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(logs / f"worker{core}.log", "w"),
            start_new_session=True,
        )
        for core in cores
    ]
    try:
        deadline = time.monotonic() + 300
        while not all(READY in (logs / f"worker{c}.log").read_text() for c in cores):
            if time.monotonic() > deadline or any(p.poll() is not None for p in started):
                raise RuntimeError(f"a worker did not start: {(logs / f'worker{cores[0]}.log').read_text()[-1500:]}")
            time.sleep(0.2)
        yield [p.pid for p in started]
    finally:
        stop_groups(started)


def folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.is_dir() else folder.stat().st_size


def data_sizes(settings: Settings, chunks: int) -> dict:
    """Bytes of each part of a processed data directory, and the same per 100k chunks."""
    parts = {
        "raw archive": settings.raw_dir,
        "store (SQLite)": settings.store_db,
        "vector index (Chroma)": settings.chroma_dir,
        "keyword index (tantivy)": settings.data_dir / "keywords",
    }
    sizes = {name: folder_bytes(path) for name, path in parts.items() if path.exists()}
    return {
        "bytes": sizes,
        "chunks": chunks,
        "MB per 100k chunks": {name: round(n / chunks * 100_000 / 1e6) for name, n in sizes.items()},
    }


def coordinator_run(settings: Settings, logs: Path, **env: str) -> dict:
    """`ess process --distributed --json`: its report, wall and CPU seconds and peak memory, its own (wait4)."""
    command, variables = ess_command(settings, "process", "--distributed", "--json", **env)
    out, err = logs / "coordinator.json", logs / "coordinator.log"
    started = time.perf_counter()
    with open(out, "w") as stdout, open(err, "w") as stderr:
        child = subprocess.Popen(command, env=variables, stdout=stdout, stderr=stderr)
        _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if child.returncode != 0:
        raise RuntimeError(f"`ess process --distributed` failed: {err.read_text()[-2000:]}")
    cpu = round(usage.ru_utime + usage.ru_stime, 1)
    return {"report": json.loads(out.read_text()), "seconds": round(wall, 1), "cpu seconds": cpu,
            "peak MB": round(usage.ru_maxrss / 1024)}  # fmt: skip


def distributed_run(crawled: Settings, folder: Path, cores: list[int], redis: tuple[subprocess.Popen, str]) -> dict:
    """`ess process --distributed` into a fresh copy of the crawled data directory, removed afterwards."""
    server, broker = redis
    Redis.from_url(broker).flushall()  # no message or result of an earlier run
    shutil.copytree(crawled.data_dir, folder)
    settings = crawled.model_copy(update={"data_dir": folder})
    try:
        with pinned_workers(settings, broker, cores, folder.with_name(folder.name + "-logs")) as pids:
            processes = {pid: [pid, *children(pid)] for pid in pids}
            watched = [server.pid, *(p for group in processes.values() for p in group)]
            before = {pid: cpu_seconds(pid) for pid in watched}
            run = coordinator_run(settings, folder.with_name(folder.name + "-logs"), ESS_BROKER_URL=broker)
            used = {pid: cpu_seconds(pid) - before[pid] for pid in watched}
            memories = [{**memory(main), "pool": [memory(c) for c in group[1:]]} for main, group in processes.items()]
        run["sizes"] = data_sizes(settings, run["report"].get("chunks", 0))
    finally:
        shutil.rmtree(folder)
    return summarise(run, used, processes, server.pid, memories)


def summarise(run: dict, used: dict, processes: dict, server: int, memories: list) -> dict:
    counts = run["report"]
    processing = counts.get("seconds processing") or run["seconds"]
    workers = sum(used[p] for group in processes.values() for p in group)
    total = run["cpu seconds"] + workers + used[server]
    return {
        "processed": counts.get("processed", 0),
        "chunks": counts.get("chunks", 0),
        "seconds processing": processing,
        "docs/s": round(counts.get("processed", 0) / processing, 3),
        "docs/hour per worker": round(counts.get("processed", 0) / processing * 3600 / len(processes)),
        "cpu seconds": {
            "coordinator": run["cpu seconds"],
            "workers": round(workers, 1),
            "redis-server": round(used[server], 1),
        },  # fmt: skip
        "coordinator share of CPU": round(run["cpu seconds"] / total, 3),
        "coordinator cores busy": round(run["cpu seconds"] / run["seconds"], 3),
        "coordinator peak MB": run["peak MB"],
        "coordinator CPU ms per document, processing": round(
            counts.get("cpu seconds processing", 0) / max(counts.get("processed", 0), 1) * 1000, 1
        ),
        "workers": memories,
        "sizes": run["sizes"],
    }


def main(pages: int = 300, runs: int = 3) -> dict:
    if shutil.which("redis-server") is None or shutil.which("taskset") is None:
        raise SystemExit("this benchmark needs redis-server and taskset (Debian: redis-server, util-linux)")
    with tempfile.TemporaryDirectory(prefix="ess-workers-") as tmp:
        root = Path(tmp)
        sites = write_sites(root / "sites", pages)
        with SiteHost([(site, 0) for site in sites]) as host:
            settings = Settings(data_dir=root / "crawled", sources=registry(host.urls(), root / "sources.toml"))
            timed_ess(settings, "crawl")
        pairs = []
        with redis_process(root / "broker") as redis:
            for n in range(runs):
                order = list(SIDES) if n % 2 == 0 else list(SIDES)[::-1]
                pair = {side: distributed_run(settings, root / f"run{n}-{len(SIDES[side])}", SIDES[side], redis)
                        for side in order}  # fmt: skip
                one, two = (pair[side]["docs/s"] for side in SIDES)
                pair["ratio"] = round(two / one, 3)
                pairs.append(pair)
    keys = ("docs/s", "docs/hour per worker", "coordinator share of CPU", "coordinator cores busy",
            "coordinator CPU ms per document, processing")  # fmt: skip
    return {
        "pages": pages,
        "cpus": os.cpu_count(),
        "runs": pairs,
        **{side: {key: quartiles([p[side][key] for p in pairs]) for key in keys} for side in SIDES},
        "ratio": quartiles([p["ratio"] for p in pairs]),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=300, help="Article pages of the synthetic sites (default 300).")
    parser.add_argument("--runs", type=int, default=3, help="Runs per side, alternated (default 3).")
    args = parser.parse_args()
    print(json.dumps(main(args.pages, args.runs), indent=1))
