"""The API (a real uvicorn) keeps answering, without a 5xx, while `ess ingest` processes new documents."""

from __future__ import annotations

import json
import shutil
import threading
from collections import Counter

import httpx
import pytest

from tests_support import chantier_documents, run_ess_async, serving

pytestmark = pytest.mark.slow  # the API read while the pipeline writes

QUERIES = ["coopération territoriale emploi", "Coorace", "épargne solidaire", "tiers-lieu"]


def hammer(base: str, stop: threading.Event, statuses: Counter, errors: list) -> None:
    with httpx.Client(base_url=base, timeout=30) as http:
        while not stop.is_set():
            for path, params in [("/search", {"q": q}) for q in QUERIES] + [("/health", {}), ("/entities", {})]:
                try:
                    statuses[http.get(path, params=params).status_code] += 1
                except httpx.HTTPError as exc:
                    errors.append(repr(exc))


def test_reads_do_not_fail_while_processing_writes(processed, tmp_path):
    settings = processed[0].model_copy(update={"data_dir": tmp_path / "data"})
    shutil.copytree(processed[0].data_dir, settings.data_dir)
    (tmp_path / "new.jsonl").write_text(chantier_documents(40), encoding="utf-8")
    stop, statuses, errors = threading.Event(), Counter(), []
    with serving(settings) as base:
        reader = threading.Thread(target=hammer, args=(base, stop, statuses, errors))
        reader.start()
        try:
            writer = run_ess_async(settings, "ingest", str(tmp_path / "new.jsonl"), "--json")
            out, err = writer.communicate(timeout=600)
        finally:
            stop.set()
            reader.join(timeout=60)
        assert writer.returncode == 0, err[-2000:]
        assert json.loads(out)["process: processed"] == 40
        with httpx.Client(base_url=base, timeout=30) as http:
            found = http.get("/search", params={"q": "chantier maraîchage Guéret", "mode": "keyword"}).json()
            semantic = http.get("/search", params={"q": "maraîchage en insertion à Guéret", "mode": "semantic"}).json()
            health = http.get("/health").json()
    assert not errors and set(statuses) == {200}, (statuses, errors[:3])
    assert sum(statuses.values()) > 20
    assert found["total"] >= 40  # new documents are searchable without a restart, by keyword…
    assert semantic["hits"][0]["title"].startswith("Chantier")  # …and through the vectors
    assert health["documents"] == processed[1].counts["processed"] + 40
    assert health["agree"], health  # the API's Chroma client sees the other process's vectors
