"""Search latency: `GET /search` through a real uvicorn, beside the bare libraries on the same index and queries.

    python -m tests.bench.latency [--chunks N] [--queries Q] [--data DIR]

The index is either an existing data directory (``--data``, e.g. the demo's ``corpus/data/demo``) or
the synthetic index of N chunks (default 10,000) that `tests/bench/chunkgen.py` builds once and
caches under ``corpus/data/bench/latency-<N>/<model>/``.

``ess serve`` runs as a child process on a free port of 127.0.0.1 with ESS_DATA_DIR pointing at the
index; once ``/health`` answers, this process also opens the bare libraries on the same index: the
query embedding alone (``embedder.query(q)``), the embedding plus
``collection.query(query_embeddings=[v], n_results=10)`` on the same Chroma collection opened with
chromadb directly (on a private copy, as the API reads it), and for reference the depth the API asks
for (200 candidates from Chroma; tantivy's 200 best chunks for the query's French terms, without the
store lookups). The API and the bare query embedding both embed on one thread. First a cold pass (the
first ``COLD`` queries after the server started, reported apart), the rest of a warm-up of other queries,
then Q distinct queries: the analysts' list below, then PIAF's natural French questions; for each, every
row runs once, one call at a time (sequential requests, httpx, keep-alive), in an order rotated from
query to query, so that the load of a shared machine falls on every row alike. The synthetic indexes carry
the mentions of their generator's names, so facets and hit entities do their real work. Latencies are
wall-clock per call, in milliseconds; p50/p95/p99 are
printed and written with the machine, model and index sizes to ``corpus/data/bench/latency-<N or DIR name>.json``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import httpx

from pipeline.config import PROJECT_ROOT, Settings
from pipeline.embed.embedder import embedder_name
from pipeline.index.analysis import query_terms
from search_api.timing import parse_server_timing
from tests.bench.chunkgen import BENCH_DIR, build_index, slug
from tests.eval.shared import SHARED_EVAL

MODES = ("hybrid", "semantic", "keyword")
LIMIT = 10  # hits per page asked of the API, as its default
API_CANDIDATES = 200  # what search_api.retrieval asks of each retriever (CANDIDATES)
COLD = 20  # the first warm-up queries, timed apart: what the first analysts after a start wait
HEALTH_TIMEOUT = 300.0  # seconds for `ess serve` to load the model and answer /health
STOP_TIMEOUT = 15.0

# What an analyst of the ESS press types: names, acronyms, legal forms, places, paraphrases.
QUERIES = (
    "Coorace",
    "PTCE",
    "pôle territorial de coopération économique",
    "coopérer entre acteurs d'un territoire pour créer des emplois",
    "clause sociale d'insertion dans les marchés publics",
    "comment les acheteurs publics réservent des heures de travail à l'insertion",
    "IAE",
    "insertion par l'activité économique et chômage de longue durée",
    "Territoires zéro chômeur de longue durée",
    "entreprise à but d'emploi à Bressuire",
    "Scic gouvernance partagée",
    "reprise d'une entreprise par ses salariés en Scop",
    "France Active",
    "financer une association employeuse",
    "épargne solidaire label Finansol",
    "où va l'argent placé dans les fonds solidaires",
    "ressourcerie réemploi",
    "donner une seconde vie aux objets",
    "tiers-lieu rural",
    "CRESS Bretagne",
    "loi du 31 juillet 2014",
    "agrément ESUS",
    "DLA accompagnement",
    "mutuelle complémentaire santé adhérents",
    "habitants actionnaires de panneaux solaires",
    "circuits courts cantine scolaire",
    "Le Labo de l'ESS",
    "Avise innovation sociale",
    "RTES collectivités locales",
    "l'emploi dans l'ESS résiste-t-il ?",
    "microcrédit Adie création d'entreprise",
    "travailleurs handicapés en entreprise adaptée",
    "Romans-sur-Isère",
    "subventions publiques et modèle économique fragile",
)


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def distinct_queries(timed: int, warmup: int) -> tuple[list[str], list[str]]:
    """(timed, warm-up) queries, all distinct: the analysts' list, then PIAF's questions in file order (natural
    French questions written by others); cycled only where ../shared/eval is absent."""
    piaf = SHARED_EVAL / "retrieval-piaf" / "queries.jsonl"
    questions = [json.loads(line)["text"] for line in piaf.open(encoding="utf-8")] if piaf.exists() else []
    pool = list(dict.fromkeys([*QUERIES, *questions]))
    every = [pool[i % len(pool)] for i in range(timed + warmup)]
    return every[:timed], every[timed:]


def percentiles(milliseconds: list[float]) -> dict:
    cuts = statistics.quantiles(milliseconds, n=100, method="inclusive")
    return {
        "n": len(milliseconds),
        "p50": round(cuts[49], 2),
        "p95": round(cuts[94], 2),
        "p99": round(cuts[98], 2),
        "mean": round(statistics.fmean(milliseconds), 2),
        "max": round(max(milliseconds), 2),
    }


def quartiles(values: list[float]) -> dict:
    """Median and interquartile range of rounds: the spread a ratio must be read with."""
    q1, median, q3 = statistics.quantiles([float(v) for v in values], n=4, method="inclusive")
    return {"median": round(median, 3), "q1": round(q1, 3), "q3": round(q3, 3)}


def machine() -> dict:
    cpuinfo, meminfo = Path("/proc/cpuinfo"), Path("/proc/meminfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    model = names[0] if names else platform.processor()
    memory = round(int(meminfo.read_text().split()[1]) / 2**20, 1) if meminfo.exists() else None
    import torch

    versions = {}
    for package in ("torch", "sentence-transformers", "chromadb", "fastapi", "uvicorn", "httpx"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": model,
        "memory_gib": memory,
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def check_index(settings: Settings) -> dict:
    """Documents, chunks and vectors of the data directory; a clear error when there is no index."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from pipeline.index.vectors import COLLECTION
    from pipeline.store.reader import StoreReader
    from pipeline.store.schema import SchemaError

    hint = "run `ess process` (or `ess demo`) with ESS_DATA_DIR pointing there first"
    if not settings.store_db.exists():
        raise SystemExit(f"error: no store at {settings.store_db}: {hint}")
    if not settings.chroma_dir.is_dir():
        raise SystemExit(f"error: no vector index at {settings.chroma_dir}: {hint}")
    try:
        store = StoreReader(settings.store_db)
    except SchemaError as exc:
        raise SystemExit(f"error: {exc}") from None
    counts = store.counts()
    store.close()
    client = chromadb.PersistentClient(
        path=str(settings.chroma_dir), settings=ChromaSettings(anonymized_telemetry=False)
    )
    try:
        collection = client.get_collection(COLLECTION)
        built_by, vectors = (collection.metadata or {}).get("embedding_model"), collection.count()
    except Exception:  # noqa: BLE001 - chroma raises different types per version
        raise SystemExit(f"error: no collection {COLLECTION!r} in {settings.chroma_dir}: {hint}") from None
    finally:
        client.close()
    if built_by != embedder_name(settings):
        raise SystemExit(
            f"error: the index was built with {built_by}, not {embedder_name(settings)} "
            "(ESS_EMBEDDING_MODEL, ESS_EMBEDDING_ENGINE)"
        )
    if not counts["chunks"] or not vectors:
        raise SystemExit(f"error: the index in {settings.data_dir} is empty: {hint}")
    return {"documents": counts["documents"], "chunks": counts["chunks"], "vectors": vectors}


def wait_healthy(server: subprocess.Popen, base: str, log: Path) -> dict:
    deadline = time.monotonic() + HEALTH_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"`ess serve` exited with {server.returncode}:\n{tail(log)}")
        try:
            answer = httpx.get(f"{base}/health", timeout=5)
        except httpx.HTTPError:
            time.sleep(0.5)
            continue
        if answer.status_code == 200 and answer.json().get("status") == "ok":
            return answer.json()
        raise RuntimeError(f"/health answered {answer.status_code}: {answer.text}\n{tail(log)}")
    raise RuntimeError(f"`ess serve` did not answer /health within {HEALTH_TIMEOUT:.0f} s:\n{tail(log)}")


def tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(STOP_TIMEOUT)


@contextmanager
def serve(settings: Settings, expected: dict) -> Iterator[tuple[str, dict]]:
    """``ess serve`` on a free port of 127.0.0.1 for the data directory: (base URL, facts); stopped on exit."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "ESS_CHROMA_HOST"}
    env.update({"ESS_DATA_DIR": str(settings.data_dir), "ESS_EMBEDDING_MODEL": settings.embedding_model})
    command = [sys.executable, "-m", "search_api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "serve.log"
        with open(log, "wb") as output:
            started = time.perf_counter()
            server = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
            try:
                health = wait_healthy(server, base, log)
                startup = time.perf_counter() - started
                if (health["chunks"], health["vectors"]) != (expected["chunks"], expected["vectors"]):
                    raise RuntimeError(f"the server sees {health}, the index has {expected}")
                yield base, {"command": " ".join(["ess", *command[3:]]), "startup_seconds": round(startup, 2)}
            finally:
                stop(server)


class ApiSearch:
    """One mode of GET /search; remembers how many hits each answer had."""

    def __init__(self, client: httpx.Client, mode: str):
        self.client, self.mode = client, mode
        self.hits: list[int] = []
        self.stages: list[dict[str, float]] = []  # the server's own timing of each stage (Server-Timing)

    def __call__(self, q: str) -> None:
        answer = self.client.get("/search", params={"q": q, "mode": self.mode, "limit": LIMIT})
        if answer.status_code != 200:
            raise RuntimeError(f"/search?q={q!r}&mode={self.mode} answered {answer.status_code}: {answer.text[:500]}")
        self.hits.append(len(answer.json()["hits"]))
        self.stages.append(parse_server_timing(answer.headers.get("server-timing", "")))

    def profile(self, skip: int) -> dict[str, dict]:
        """Per stage, the percentiles in ms of the answers after the first ``skip`` (0 where a stage did not run)."""
        timed = self.stages[skip:]
        names = list(dict.fromkeys(name for stages in timed for name in stages))
        return {name: percentiles([stages.get(name, 0.0) for stages in timed]) for name in names}


def bare_rows(embedder, collection, keywords, queries: list[str]) -> dict[str, Callable[[str], object]]:
    """The bare libraries on the same index: embedding, Chroma (as asked, and at the API's depth), tantivy."""
    vectors = {q: embedder.query(q) for q in queries}
    depth = min(API_CANDIDATES, collection.count())
    return {
        "embed": lambda q: embedder.query(q),
        "embed + chroma n=10": lambda q: collection.query(query_embeddings=[embedder.query(q)], n_results=10),
        "chroma n=10 (vector given)": lambda q: collection.query(query_embeddings=[vectors[q]], n_results=10),
        f"embed + chroma n={depth}, distances": lambda q: collection.query(
            query_embeddings=[embedder.query(q)], n_results=depth, include=["distances"]
        ),
        f"tantivy, the query's terms OR'd, top {API_CANDIDATES}": lambda q: keywords.search(
            query_terms(q), API_CANDIDATES
        ),
    }


def measure(rows: dict[str, Callable[[str], object]], queries: list[str], warmup: list[str]) -> tuple[dict, dict]:
    """Milliseconds per call of every row: (the cold pass, the timed queries). The cold pass is the first
    ``COLD`` warm-up queries, the first the server and the bare libraries answer; the rest of the warm-up is
    discarded."""
    cold = timed_pass(rows, warmup[:COLD])
    timed_pass(rows, warmup[COLD:])
    return cold, timed_pass(rows, queries)


def timed_pass(rows: dict[str, Callable[[str], object]], queries: list[str]) -> dict[str, list[float]]:
    """Each query through every row, in an order rotated per query."""
    names = list(rows)
    times: dict[str, list[float]] = {name: [] for name in names}
    for i, q in enumerate(queries):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            started = time.perf_counter()
            rows[name](q)
            times[name].append((time.perf_counter() - started) * 1000)
        if (i + 1) % 50 == 0:
            say(f"  {i + 1}/{len(queries)} queries")
    return times


def run_rows(settings: Settings, counts: dict, queries: list[str], warmup: list[str]) -> tuple[dict, dict, dict]:
    """(API latency per mode, bare latency per row, server facts)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from pipeline.embed.embedder import get_embedder
    from pipeline.index.copies import reading_copy
    from pipeline.index.keywords import KeywordIndex
    from pipeline.index.vectors import COLLECTION

    with serve(settings, counts) as (base, server), reading_copy(settings) as copy:
        embedder = get_embedder(settings, threads=1)  # this process's own, for the bare rows: one thread, as the API
        chroma = chromadb.PersistentClient(path=str(copy.chroma), settings=ChromaSettings(anonymized_telemetry=False))
        try:
            with httpx.Client(base_url=base, timeout=60) as client:
                api = {mode: ApiSearch(client, mode) for mode in MODES}
                keywords = KeywordIndex(settings, copy.keywords)
                bare = bare_rows(embedder, chroma.get_collection(COLLECTION), keywords, [*queries, *warmup])
                rows = {**{f"api {mode}": search for mode, search in api.items()}, **bare}
                say(f"{len(rows)} rows: {len(warmup)} warm-up calls each, then {len(queries)} timed calls each")
                cold, times = measure(rows, queries, warmup)
        finally:
            chroma.close()
    api_result = {}
    for mode, search in api.items():
        hits = search.hits[len(warmup) :]  # the cold pass and the warm-up came first
        answered = [ms for ms, h in zip(times[f"api {mode}"], hits, strict=True) if h]
        api_result[mode] = {
            **percentiles(times[f"api {mode}"]),
            "mean_hits": round(statistics.fmean(hits), 2),
            "empty_answers": sum(h == 0 for h in hits),
            "answers with hits": percentiles(answered) if len(answered) > 1 else None,
            "stages (Server-Timing)": search.profile(len(warmup)),
        }
    server["cold pass"] = {name: percentiles(ms) for name, ms in cold.items() if len(ms) > 1}
    return api_result, {name: percentiles(times[name]) for name in bare}, server


def table(result: dict) -> str:
    index = result["index"]
    lines = [
        f"{index['label']}: {index['chunks']:,} chunks, {index['documents']:,} documents; "
        f"model {result['model']}; {result['machine']['cpu_count']} CPUs; "
        f"{result['queries']['timed_per_row']} timed calls per row ({result['queries']['distinct']} distinct queries)",
        f"{'ms':<52}{'p50':>9}{'p95':>9}{'p99':>9}{'mean':>9}",
    ]
    rows = [(f"API GET /search mode={m} (limit {LIMIT})", r) for m, r in result["api"].items()]
    rows += [(f"bare {name}", r) for name, r in result["bare"].items()]
    for name, r in rows:
        lines.append(f"{name:<52}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['p99']:>9.1f}{r['mean']:>9.1f}")
    return "\n".join(lines)


def shown(path: Path) -> str:
    """A path as the report shows it: inside the project, relative to it; elsewhere, its name only."""
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else path.name


def main(chunks: int, queries: int, warmup: int, data: Path | None, out: Path | None, random: bool = False) -> dict:
    base = Settings().model_copy(update={"chroma_host": None})
    load_before = os.getloadavg()
    build = None
    if data is not None:
        settings = base.model_copy(update={"data_dir": data.resolve()})
        label, out = f"data dir {data}", out or BENCH_DIR / f"latency-{slug(data.resolve().name)}.json"
    else:
        settings, build = build_index(chunks, base, say=say, random_vectors=random)
        name = f"latency-{chunks}{'-random' if random else ''}.json"
        label, out = f"synthetic index ({build['data_dir']})", out or BENCH_DIR / name
    counts = check_index(settings)
    timed_queries, warmup_queries = distinct_queries(queries, warmup)
    api, bare, server = run_rows(settings, counts, timed_queries, warmup_queries)
    result = {
        "date": datetime.date.today().isoformat(),
        "machine": {**machine(), "load_average_before": load_before, "load_average_after": os.getloadavg()},
        "model": f"{settings.embedding_model} ({settings.embedding_engine})",
        "index": {"label": label, "data_dir": shown(settings.data_dir), **counts, "build": build},
        "queries": {
            "distinct": len(set(timed_queries)),
            "timed_per_row": queries,
            "warmup_per_row": warmup,
            "order": "each query through every row, one call at a time, row order rotated per query",
            "source": f"the {len(QUERIES)} analyst queries of tests/bench/latency.py, then PIAF questions",
            "first": timed_queries[len(QUERIES) : len(QUERIES) + 5],
        },
        "server": server,
        "api": api,
        "bare": bare,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(table(result), file=sys.stderr)
    print(f"written to {out}", file=sys.stderr)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, default=10_000, help="Chunks of the synthetic index (default 10000).")
    parser.add_argument("--queries", type=int, default=200, help="Timed requests per mode and per row (default 200).")
    parser.add_argument(
        "--warmup", type=int, default=COLD + 30, help=f"Calls first, per mode and row (the first {COLD} timed apart)."
    )
    parser.add_argument("--data", type=Path, help="Measure this existing data directory instead (e.g. the demo's).")
    parser.add_argument(
        "--random-vectors",
        action="store_true",
        help="Random vectors instead of real ones (built in minutes): the keyword rows only mean anything.",
    )
    parser.add_argument("--out", type=Path, help="JSON result file (default corpus/data/bench/latency-<N|DIR>.json).")
    args = parser.parse_args()
    if args.queries < 2 or args.chunks < 1 or args.warmup < 0:
        parser.error("--queries must be at least 2, --chunks at least 1, --warmup at least 0")
    print(
        json.dumps(
            main(args.chunks, args.queries, args.warmup, args.data, args.out, args.random_vectors), ensure_ascii=False
        )
    )
