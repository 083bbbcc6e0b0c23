"""The API through a real uvicorn, and the whole pipeline on a Chroma server (`chroma run`) instead of on disk."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from search_api.app import create_app
from tests_support import ess_command, free_port, serving, wait_until_listening


@pytest.fixture
def served(processed):
    """`ess serve` (uvicorn) on a free loopback port over the processed fixture sites."""
    with serving(processed[0]) as base:
        yield base


def test_the_api_answers_through_a_real_uvicorn(served):
    with httpx.Client(base_url=served, timeout=30) as http:
        assert http.get("/health").json()["status"] == "ok"
        found = http.get("/search", params={"q": "coopération territoriale pour l'emploi"}).json()
        assert found["hits"] and "<mark>" in "".join(h["snippet"] for h in found["hits"])
        document = http.get(f"/documents/{found['hits'][0]['id']}").json()
        assert document["text"] and document["url"] == found["hits"][0]["url"]
        assert http.get("/entities/coorace").json()["name"] == "Coorace"
        assert http.get("/search", params={"q": "x" * 1001}).status_code == 422
        assert http.get("/openapi.json").json()["paths"]["/search"]


@pytest.fixture
def chroma_server(tmp_path):
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if chroma is None:
        pytest.skip("the `chroma` command (from the chromadb package) is not on PATH")
    port = free_port()
    server = subprocess.Popen(
        [chroma, "run", "--path", str(tmp_path / "chroma-server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_listening(port, server)
        yield port, server
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_the_pipeline_and_the_api_run_on_a_chroma_server(chroma_server, base_settings, tmp_path, ess, embedder):
    from pipeline.processing.run import process

    port, server = chroma_server
    settings = base_settings.model_copy(
        update={"data_dir": tmp_path / "data", "chroma_host": "127.0.0.1", "chroma_port": port}
    )
    ptce = "Entreprises et associations du Bocage coopèrent pour l'emploi. " * 20
    finance = "Un livret d'épargne solidaire finance des entreprises d'insertion. " * 20
    lines = [
        {"id": "1", "title": "Le PTCE du Bocage", "text": ptce},
        {"id": "2", "title": "Finance solidaire", "text": finance},
    ]
    (tmp_path / "docs.jsonl").write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    env = {"ESS_CHROMA_HOST": "127.0.0.1", "ESS_CHROMA_PORT": str(port)}
    assert ess(settings, "ingest", str(tmp_path / "docs.jsonl"), "--no-process", **env).returncode == 0
    assert process(settings).counts["processed"] == 2
    assert not settings.chroma_dir.exists(), "nothing may be written to the embedded index"

    with TestClient(create_app(settings)) as client:
        health = client.get("/health").json()
        assert health["chroma"] == f"server http://127.0.0.1:{port}" and health["vectors"] == health["chunks"] > 0
        hits = client.get("/search", params={"q": "des acteurs d'un territoire s'allient pour créer du travail"})
        assert hits.json()["hits"][0]["title"] == "Le PTCE du Bocage"
        semantic = client.get("/search", params={"q": "placement éthique", "mode": "semantic"}).json()
        assert semantic["hits"][0]["title"] == "Finance solidaire"
        checked = ess(settings, "check", "--json", **env)
        assert checked.returncode == 0 and json.loads(checked.stdout)["agree"]

        server.terminate()
        server.wait(timeout=20)
        down = client.get("/search", params={"q": "emploi", "mode": "semantic"})
        assert down.status_code == 503 and f"127.0.0.1:{port}" in down.json()["detail"]
        assert client.get("/search", params={"q": "emploi", "mode": "keyword"}).status_code == 200
        assert client.get("/health").json()["status"] == "degraded"


def test_the_api_serves_from_several_worker_processes(processed):
    port = free_port()
    address = ("--host", "127.0.0.1", "--port", str(port))
    command, variables = ess_command(processed[0], "serve", *address, "--workers", "2")
    server = subprocess.Popen(command, env=variables, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_listening(port, server, seconds=120)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            answers = [http.get("/search", params={"q": "Coorace", "mode": "hybrid"}) for _ in range(6)]
        assert all(a.status_code == 200 and a.json()["hits"] for a in answers)
        workers = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        assert len(workers) >= 2  # uvicorn's two workers (and its process watcher, on some versions)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_worker_runs_at_most_its_thread_count_of_requests_at_once(processed):
    from anyio import to_thread

    settings = processed[0].model_copy(update={"api_threads": 3})
    with TestClient(create_app(settings)) as client:
        assert client.get("/search", params={"q": "Coorace"}).status_code == 200
        assert client.portal.call(lambda: to_thread.current_default_thread_limiter().total_tokens) == 3
