"""The API never writes in the data directory.

Served from a data directory made read-only (as an unprivileged user, since root ignores permissions), every
endpoint and page answers and no file changes. Served beside a crawl and `ess process` (both under strace), each
file of the embedded index has one writer, the pipeline, and the API writes only in its private copy."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import threading
from collections import Counter, defaultdict
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.routing import APIRoute
from starlette.routing import Route

from search_api.app import create_app
from search_api.watches import WatchIn, WatchStore
from tests_support import chantier_documents, ess_command, free_port, wait_until_listening

pytestmark = pytest.mark.slow  # the API traced with strace over a read-only data directory

NOBODY = 65534
WRITING_CALLS = ("creat", "rename", "unlink", "mkdir", "rmdir", "link", "symlink", "truncate")
OPEN_FOR_WRITING = re.compile(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC")
TRACED = "openat,open,creat,rename,renameat,renameat2,unlink,unlinkat,mkdir,mkdirat,rmdir,link,linkat,symlink,truncate"


def tree_hashes(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder``: its content's hash, or "folder"."""
    found = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        found[key] = "folder" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def route_templates() -> set[str]:
    """The path of every GET route of the app, pages and API explorer included."""
    routes = [r for r in create_app().routes if isinstance(r, APIRoute | Route) and "GET" in (r.methods or ())]
    return {r.path for r in routes}


def requests_for(http: httpx.Client) -> list[tuple[str, str, dict]]:
    """(route template, path, parameters) reaching every route, searches in every mode and with every filter."""
    answer = http.get("/search", params={"q": "Coorace insertion", "mode": "keyword"})
    assert answer.status_code == 200, answer.text
    found = answer.json()["hits"]
    assert found, "the fixture corpus has documents about Coorace"
    doc_id, entity = found[0]["id"], found[0]["entities"][0]["name"]
    searches = [{"q": "coopération territoriale contre le chômage", "mode": mode} for mode in ("hybrid", "semantic")]
    searches += [
        {"q": "Coorace", "mode": "keyword", "source": "alpha", "date_from": "2020", "date_to": "2030-12-31"},
        {"q": "insertion", "entity": entity, "kind": "html", "lang": "fr", "collapse": "true", "format": "csv"},
        {"q": "Coorace", "exclude_gone": "true", "limit": 3, "offset": 1},
    ]
    return [
        *[("/search", "/search", params) for params in searches],
        ("/documents/{doc_id}", f"/documents/{doc_id}", {}),
        ("/entities", "/entities", {"q": "co", "type": "ORG", "sort": "name"}),
        ("/entities/{name}", f"/entities/{entity}", {}),
        ("/entities/{name}", f"/entities/{entity}", {"format": "csv"}),
        ("/entities/{name}", f"/entities/{entity}", {"format": "xlsx"}),
        ("/sources", "/sources", {}),
        ("/stats", "/stats", {}),
        ("/health", "/health", {}),
        ("/", "/", {}),
        ("/", "/", {"q": "Coorace", "mode": "hybrid", "source": "alpha"}),
        ("/entity/{name}", f"/entity/{entity}", {}),
        ("/document/{doc_id}", f"/document/{doc_id}", {}),
        ("/corpus", "/corpus", {}),
        ("/watches", "/watches", {}),
        ("/watches/{watch_id}/feed.atom", "/watches/1/feed.atom", {}),
        ("/watchlist", "/watchlist", {}),
        ("/attention", "/attention", {"q": ["Coorace", "insertion"], "interval": "week"}),
        ("/attention", "/attention", {"q": "Coorace", "source": "alpha", "format": "xlsx"}),
        ("/coverage", "/coverage", {"q": ["Coorace", "insertion"]}),
        ("/graph.gexf", "/graph.gexf", {"type": ["ORG", "PER"], "min_documents": 1, "source": "alpha"}),
        ("/openapi.json", "/openapi.json", {}),
        ("/docs", "/docs", {}),
        ("/docs/oauth2-redirect", "/docs/oauth2-redirect", {}),
        ("/redoc", "/redoc", {}),
        ("/static", "/static/style.css", {}),
        ("/static", "/static/app.js", {}),
    ]


def exercise_every_route(base: str) -> Counter:
    """Status codes of a request to every route; fails when a route of the app is not exercised."""
    statuses: Counter = Counter()
    with httpx.Client(base_url=base, timeout=60) as http:
        requests = requests_for(http)
        for _, path, params in requests:
            statuses[(path, http.get(path, params=params).status_code)] += 1
    assert route_templates() <= {template for template, _, _ in requests}
    return statuses


@contextmanager
def served(settings, wrapper: list[str] = (), **popen):
    """The real `ess serve` on a free loopback port, possibly wrapped (strace) or run as another user."""
    port = free_port()
    command, variables = ess_command(settings, "serve", "--host", "127.0.0.1", "--port", str(port))
    variables |= popen.pop("env", {})
    server = subprocess.Popen(
        [*wrapper, *command], env=variables, stderr=subprocess.PIPE, text=True, start_new_session=True, **popen
    )
    try:
        wait_until_listening(port, server, seconds=180)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server itself, not only a wrapper that would leave it running
        _, err = server.communicate(timeout=60)
        assert "Traceback" not in err, err[-3000:]


def obeying_permissions() -> list[str]:
    """A command prefix under which file permissions hold: root drops the capabilities that override them."""
    if os.geteuid() != 0:
        return []
    assert shutil.which("setpriv"), "setpriv (util-linux) drops root's permission override"
    dropped = "-dac_override,-dac_read_search,-fowner"
    return ["setpriv", "--bounding-set", dropped, "--inh-caps", dropped]


def test_a_read_only_data_directory_is_served_and_left_unchanged(processed, tmp_path):
    data, copies = tmp_path / "data", tmp_path / "copies"
    shutil.copytree(processed[0].data_dir, data)
    settings = processed[0].model_copy(update={"data_dir": data, "sources": data / "sources.toml"})
    copies.mkdir()
    WatchStore(settings.watches_db).add(WatchIn(name="Coorace", q="Coorace"))  # the analysts' data, read here
    subprocess.run(["chmod", "-R", "a-w", str(data)], check=True)
    before = tree_hashes(data)

    try:
        with served(settings, obeying_permissions(), env={"ESS_INDEX_COPIES": str(copies)}) as base:
            health = httpx.get(f"{base}/health", timeout=60).json()
            statuses = exercise_every_route(base)
            assert any(copies.iterdir()), "the API reads its own copy of the index"
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(data)], check=True)  # so that pytest can remove it

    assert {status for (_, status) in statuses} == {200}, statuses
    assert health["status"] == "ok" and health["vectors"] > 0 and health["agree"], health
    assert tree_hashes(data) == before
    assert not any(copies.iterdir()), "the copy is deleted when the server stops"


def traced(trace: Path) -> list[str]:
    """strace following forks, writing every file-naming call with whole paths to ``trace``."""
    return ["strace", "-f", "-qq", "--seccomp-bpf", "-s", "4096", "-e", f"trace={TRACED}", "-o", str(trace)]


def writes(trace: Path) -> dict[str, set[str]]:
    """Path -> the calls that succeeded in writing it (opening it for writing, creating, renaming, removing)."""
    written: dict[str, set[str]] = defaultdict(set)
    for line in trace.read_text(errors="replace").splitlines():
        call = re.match(r"\d+\s+(\w+)\((.*)\)\s+=\s+(-?\d+)", line)
        if not call or call.group(3).startswith("-"):
            continue
        name, arguments = call.group(1), call.group(2)
        paths = re.findall(r'"((?:[^"\\]|\\.)*)"', arguments)
        if name.startswith("open") and OPEN_FOR_WRITING.search(arguments) or name.startswith(WRITING_CALLS):
            for path in paths:
                written[path].add(name)
    return written


def hammer(base: str, stop: threading.Event, statuses: Counter) -> None:
    queries = ["coopération territoriale emploi", "Coorace", "chantier maraîchage Guéret", "épargne solidaire"]
    with httpx.Client(base_url=base, timeout=60) as http:
        while not stop.is_set():
            for query in queries:
                for mode in ("hybrid", "keyword"):
                    statuses[http.get("/search", params={"q": query, "mode": mode}).status_code] += 1
            statuses[http.get("/health").status_code] += 1
            statuses[http.get("/sources").status_code] += 1


def run_traced(settings, trace: Path, *args: str) -> dict:
    command, variables = ess_command(settings, *args)
    done = subprocess.run([*traced(trace), *command], env=variables, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed (apt-get install strace)")
def test_each_index_file_has_one_writer_while_the_api_serves_a_crawl_and_processing(
    base_settings, fixture_sites, tmp_path
):
    from conftest import with_registry

    settings = with_registry(
        base_settings.model_copy(update={"data_dir": tmp_path / "data"}),
        dict(zip(("alpha", "beta"), fixture_sites.urls(), strict=True)),
    )
    data, copies = settings.data_dir.resolve(), (tmp_path / "copies").resolve()
    copies.mkdir()
    (tmp_path / "new.jsonl").write_text(chantier_documents(20), encoding="utf-8")
    stop, statuses = threading.Event(), Counter()
    api_trace, crawl_trace = tmp_path / "api.trace", tmp_path / "crawl.trace"
    process_trace, ingest_trace = tmp_path / "process.trace", tmp_path / "ingest.trace"
    with served(settings, traced(api_trace), env={"ESS_INDEX_COPIES": str(copies)}) as base:
        reader = threading.Thread(target=hammer, args=(base, stop, statuses))
        reader.start()
        try:
            run_traced(settings, crawl_trace, "crawl", "--json")
            processed = run_traced(settings, process_trace, "process", "--json")
            ingested = run_traced(settings, ingest_trace, "ingest", str(tmp_path / "new.jsonl"), "--json")
        finally:
            stop.set()
            reader.join(timeout=120)
        found = httpx.get(f"{base}/search", params={"q": "chantier maraîchage Guéret", "mode": "semantic"}, timeout=60)
    assert processed["processed"] > 0 and ingested["process: processed"] == 20
    assert set(statuses) == {200} and sum(statuses.values()) > 20, statuses
    assert found.json()["hits"][0]["title"].startswith("Chantier")  # the API followed the pipeline's writes

    api = writes(api_trace)
    pipeline = {
        path: calls for trace in (crawl_trace, process_trace, ingest_trace) for path, calls in writes(trace).items()
    }
    index_files = [p for p in pipeline if p.startswith(f"{data}/chroma/")]
    assert any(p.endswith(".bin") for p in index_files) and any(p.endswith("chroma.sqlite3") for p in index_files)
    in_data = {p.removeprefix(f"{data}/") for p in api if p.startswith(f"{data}/")}
    # SQLite's WAL protocol: a reader opens the -wal and -shm files beside a database read-write (making them if
    # the writer has not) to agree with the writer on what it may read. Its connections are read-only, and
    # nothing else under the data directory, no index file in particular, is opened for writing.
    assert in_data <= {f"{db}.sqlite-{wal}" for db in ("ess", "crawl") for wal in ("wal", "shm")}, in_data
    assert any(p.startswith(f"{copies}/") and p.endswith(".bin") for p in api), "Chroma writes in the API's copy"
