"""Paths and helpers shared by the tests."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
SITES = FIXTURES / "sites"
DEMO = Path(__file__).resolve().parents[1] / "corpus" / "demo"


def ess_command(settings, *args: str, **env: str) -> tuple[list[str], dict[str, str]]:
    """The `ess` command line and environment for ``settings`` (no politeness delay on loopback)."""
    variables = {
        **os.environ,
        "ESS_DATA_DIR": str(settings.data_dir),
        "ESS_SOURCES": str(settings.sources),
        "ESS_CRAWL_DELAY": "0",
        "ESS_SPACY_MODEL": settings.spacy_model,
        "ESS_INDEX_REFRESH_SECONDS": str(settings.index_refresh_seconds),
        "ESS_CURATION": str(settings.curation),
        **env,
    }
    return [sys.executable, "-m", "search_api.cli", *args], variables


def run_ess(settings, *args: str, timeout: int = 300, **env: str) -> subprocess.CompletedProcess:
    """The real `ess` command in a child process (Scrapy's reactor runs once per process)."""
    command, variables = ess_command(settings, *args, **env)
    return subprocess.run(command, env=variables, capture_output=True, text=True, timeout=timeout)


def run_ess_async(settings, *args: str, **env: str) -> subprocess.Popen:
    """Start the real `ess` command without waiting for it."""
    command, variables = ess_command(settings, *args, **env)
    return subprocess.Popen(command, env=variables, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_listening(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    """Return once 127.0.0.1:port accepts connections; fail if ``process`` exits or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {seconds} s")


@contextmanager
def serving(settings) -> Iterator[str]:
    """The real `ess serve` (uvicorn) over ``settings``' data on a free loopback port; yields its base URL."""
    port = free_port()
    command, variables = ess_command(settings, "serve", "--host", "127.0.0.1", "--port", str(port))
    server = subprocess.Popen(command, env=variables, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_listening(port, server, seconds=120)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=20)


def chantier_documents(count: int) -> str:
    """``count`` new documents for `ess ingest` (JSONL), all about a Coorace work-integration site at Guéret."""
    text = "Le chantier d'insertion numéro {n} rejoint le réseau Coorace à Guéret pour le maraîchage bio. " * 25
    rows = [
        {"id": f"n{n}", "title": f"Chantier {n} à Guéret", "text": text.format(n=n), "source": "ajouts"}
        for n in range(count)
    ]
    return "\n".join(json.dumps(row, ensure_ascii=False) for row in rows)


def stop_groups(processes: list[subprocess.Popen]) -> None:
    """SIGTERM to the process group of each process still running (a worker and the processes it forked,
    started with ``start_new_session``), then wait for each."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        process.wait(timeout=60)


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """A real redis-server on a free loopback port, persisting nothing; yields its URL. Skips the test where
    redis-server is not installed."""
    import pytest

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (Debian package redis-server; .ci/run installs it)")
    with redis_process(folder) as (_, url):
        yield url


@contextmanager
def redis_process(folder: Path) -> Iterator[tuple[subprocess.Popen, str]]:
    """``redis_server``'s process and URL, for a caller that reads the server's CPU time."""
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield process, f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def snapshot(settings, embedder) -> dict:
    """What a processed data directory holds: ids of documents, chunks, vectors and keyword rows, clusters,
    mentions (document, entity, span, label, value), and whether the three stores agree."""
    from pipeline.index.keywords import KeywordIndex
    from pipeline.index.vectors import VectorIndex
    from pipeline.processing.consistency import compare
    from pipeline.store.reader import StoreReader

    store = StoreReader(settings.store_db)
    db = store.db
    state = {
        "documents": sorted(r[0] for r in db.execute("SELECT id FROM documents")),
        "chunks": sorted(r[0] for r in db.execute("SELECT id FROM chunks")),
        "mentions": sorted(
            tuple(row)
            for row in db.execute(
                "SELECT m.doc_id, coalesce(e.key, ''), m.start, m.end, m.label, coalesce(m.value, '') "
                "FROM mentions m LEFT JOIN entities e ON e.id = m.entity_id"
            )
        ),
        "clusters": sorted(tuple(r) for r in db.execute("SELECT id, cluster FROM documents")),
        "vectors": sorted(VectorIndex(settings, embedder.name, embedder.dim).ids()),
    }
    keywords = KeywordIndex(settings)
    state["keyword rows"] = sorted(chunk for chunk, _ in store.chunks_at(sorted(keywords.rowids())).values())
    agreement = compare(store, VectorIndex(settings, embedder.name, embedder.dim), keywords)
    store.close()
    state["agree"] = agreement.agree
    return state


def unprocessed_copy(processed, folder):
    """The crawled archive of the fixture sites, without anything processed."""
    settings = processed[0].model_copy(update={"data_dir": folder})
    shutil.copytree(
        processed[0].data_dir, folder, ignore=shutil.ignore_patterns("ess.sqlite*", "chroma", "keywords", "*.lock")
    )
    return settings
