"""`make loadtest`: many concurrent analysts against a real uvicorn on 127.0.0.1, bounded in time.

    python -m tests.bench.loadtest [--data DIR] [--clients 50] [--seconds 60]

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
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

from pipeline.config import PROJECT_ROOT, Settings
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


def serve(data: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "ESS_DATA_DIR": str(data)}
    command = [sys.executable, "-m", "pipeline.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_listening(port, server, seconds=300)
    return server, f"http://127.0.0.1:{port}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.loadtest", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Settings().data_dir / "demo", help="a processed data directory")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    options = parser.parse_args(argv)
    if not (options.data / "ess.sqlite").exists():
        print(f"no processed data in {options.data}: run `make demo` (or `ess process`) first", file=sys.stderr)
        return 2
    server, base = serve(options.data)
    try:
        httpx.get(f"{base}/search", params={"q": "warm-up"}, timeout=120)
        result = asyncio.run(load(base, options.clients, options.seconds))
    finally:
        server.terminate()
        server.wait(timeout=30)
    result |= {
        "data": str(options.data),
        "clients": options.clients,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
