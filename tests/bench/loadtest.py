"""`make loadtest`: many concurrent analysts against a real uvicorn on 127.0.0.1, bounded in time.

    python -m tests.bench.loadtest [--data DIR | --synthetic N] [--clients 50] [--seconds 60]

By default the data is the demo's processed pages plus the synthetic index of N chunks (10,000) of
``tests/bench/chunkgen.py``: a copy of that index into which ``ess process`` adds the demo's WARC
files (``make demo`` must have crawled them once), built once under ``corpus/data/bench/``.

Each client loops over the same mix an analyst page produces: hybrid searches (most), semantic and
keyword searches, an entity page, a document, /health. Every response is checked (status < 400 and
JSON); throughput, p50/p95/p99 latency and errors are printed and written to
``corpus/data/bench/loadtest.json``. Exits with status 1 on any error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from pipeline.config import PROJECT_ROOT
from pipeline.store.writer import Store
from tests.bench.latency import shown
from tests.tests_support import free_port, wait_until_listening

OUT = PROJECT_ROOT / "corpus" / "data" / "bench" / "loadtest.json"
QUERIES = [
    "Coorace",
    "coopération territoriale contre le chômage",
    "clause sociale marchés publics",
    "PTCE",
    "épargne solidaire pour les entreprises d'insertion",
    "tiers-lieu associatif en zone rurale",
    "Le Labo de l'ESS",
    "des acteurs d'un territoire s'allient pour créer des emplois",
]


def requests_mix(client_number: int):
    """An endless sequence of (path, params) for one client, shifted so clients do not move in step."""
    step = client_number
    while True:
        query = QUERIES[step % len(QUERIES)]
        yield from [
            ("/search", {"q": query}),
            ("/search", {"q": query, "mode": "semantic", "limit": 20}),
            ("/search", {"q": query, "mode": "keyword"}),
            ("/search", {"q": query, "date_from": "2025"}),
            ("/entities/Coorace", {}),
            ("/health", {}),
        ]
        step += 1


async def client(number: int, base: str, deadline: float, latencies: list, outcomes: Counter, errors: list):
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for path, params in requests_mix(number):
            if time.monotonic() >= deadline:
                return
            started = time.perf_counter()
            try:
                response = await http.get(path, params=params)
                response.json()
                outcomes[response.status_code] += 1
                if response.status_code >= 400:
                    errors.append(f"{response.status_code} {path} {params}")
            except (httpx.HTTPError, ValueError) as exc:
                outcomes[type(exc).__name__] += 1
                errors.append(f"{exc!r} {path} {params}")
            latencies.append((time.perf_counter() - started) * 1000)


async def load(base: str, clients: int, seconds: float) -> dict:
    latencies, outcomes, errors = [], Counter(), []
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    await asyncio.gather(*(client(n, base, deadline, latencies, outcomes, errors) for n in range(clients)))
    elapsed = time.monotonic() - started
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 1),
        "requests/s": round(len(latencies) / elapsed, 1),
        "p50 ms": round(cuts[49], 1),
        "p95 ms": round(cuts[94], 1),
        "p99 ms": round(cuts[98], 1),
        "outcomes": {str(k): v for k, v in outcomes.items()},
        "errors": len(errors),
        "first errors": errors[:5],
    }


def peak_mb(pid: int) -> int | None:
    """The peak resident memory (VmHWM) of a running process, in MB."""
    status = Path(f"/proc/{pid}/status")
    lines = status.read_text().splitlines() if status.exists() else []
    return next((int(line.split()[1]) // 1024 for line in lines if line.startswith("VmHWM:")), None)


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (uvicorn's workers)."""
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children += [int(c) for c in (task / "children").read_text().split()] if (task / "children").exists() else []
    return [pid, *(p for child in children for p in process_tree(child))]


def tree_peak_mb(pid: int) -> dict[str, int | None]:
    """Peak resident memory of each process of the server, and their sum (an upper bound of the whole's)."""
    peaks = {str(p): peak_mb(p) for p in process_tree(pid)}
    return {**peaks, "sum": sum(v for v in peaks.values() if v)}


def proportional_mb(pid: int) -> int:
    """A process's proportional set size (PSS) in MB: its private pages, plus each shared page divided among
    the mappings that share it. Pages of a file mapped by several connections or workers count once in all."""
    rollup = Path(f"/proc/{pid}/smaps_rollup")
    lines = rollup.read_text().splitlines() if rollup.exists() else []
    return next((int(line.split()[1]) // 1024 for line in lines if line.startswith("Pss:")), 0)


class PeakProportional(threading.Thread):
    """Samples the summed PSS of the server's processes every half second while the load runs; ``peak`` in MB."""

    def __init__(self, pids: list[int]):
        super().__init__(daemon=True)
        self.pids, self.peak, self.done = pids, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.5):
            self.peak = max(self.peak, sum(proportional_mb(pid) for pid in self.pids))

    def stop(self) -> int:
        self.done.set()
        self.join()
        return self.peak


def counts(data: Path) -> dict:
    db = sqlite3.connect(f"file:{data / 'ess.sqlite'}?mode=ro", uri=True)
    try:
        return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in ("documents", "chunks")}
    finally:
        db.close()


def serve(data: Path, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "ESS_DATA_DIR": str(data)}
    command = [sys.executable, "-m", "search_api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_listening(port, server, seconds=300)
    return server, f"http://127.0.0.1:{port}"


DEMO = PROJECT_ROOT / "corpus" / "data" / "demo"


def demo_plus_synthetic(chunks: int) -> Path:
    """A data directory holding the demo's documents and ``chunks`` synthetic chunks (built once)."""
    from tests.bench.chunkgen import BENCH_DIR, build_index

    folder = BENCH_DIR / f"loadtest-demo+{chunks}"
    if (folder / "complete").exists():
        Store(folder / "ess.sqlite").close()  # brings a store built before a schema change up to date
        return folder
    synthetic, _ = build_index(chunks)
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(synthetic.data_dir, folder)
    (folder / "raw").mkdir(exist_ok=True)
    for warc in (DEMO / "raw").glob("*.warc.gz"):
        shutil.copy2(warc, folder / "raw" / warc.name)
    env = {**os.environ, "ESS_DATA_DIR": str(folder)}
    subprocess.run([sys.executable, "-m", "search_api.cli", "process"], env=env, check=True, capture_output=True)
    (folder / "complete").touch()
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.loadtest", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="a processed data directory (default: demo + synthetic chunks)")
    parser.add_argument("--synthetic", type=int, default=10_000, help="synthetic chunks added to the demo's")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=1, help="API worker processes (ess serve --workers)")
    options = parser.parse_args(argv)
    if options.data is None:
        if not (DEMO / "raw").is_dir():
            print(f"no demo crawl in {DEMO}: run `make demo` once first", file=sys.stderr)
            return 2
        options.data = demo_plus_synthetic(options.synthetic)
    if not (options.data / "ess.sqlite").exists():
        print(f"no processed data in {options.data}: run `make demo` (or `ess process`) first", file=sys.stderr)
        return 2
    server, base = serve(options.data, options.workers)
    try:
        for _ in range(4 * options.workers):  # every worker loads its encoder and index copy before the clock
            httpx.get(f"{base}/search", params={"q": "warm-up"}, timeout=120)
        sampler = PeakProportional(process_tree(server.pid))
        sampler.start()
        result = asyncio.run(load(base, options.clients, options.seconds))
        result["API peak PSS MB"] = sampler.stop()
        peaks = tree_peak_mb(server.pid)
        result["API peak MB"], result["API peak MB per process"] = peaks.pop("sum"), peaks
    finally:
        server.terminate()
        server.wait(timeout=30)
    result |= {
        "data": shown(options.data.resolve()),
        "documents and chunks": counts(options.data),
        "clients": options.clients,
        "API workers": options.workers,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
