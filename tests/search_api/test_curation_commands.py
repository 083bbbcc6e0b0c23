"""`ess entity merge|alias|reject|retype`: recorded, applied to the store at once without touching the
indexes, shown on the entity page, and held by later runs."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

from fastapi.testclient import TestClient

from search_api.app import create_app


def tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


def top_entities(settings, label: str, gazetteer: int = 0) -> list[str]:
    with sqlite3.connect(settings.store_db) as db:
        rows = db.execute(
            "SELECT e.name FROM entities e JOIN mentions m ON m.entity_id = e.id WHERE e.label = ? AND e.gazetteer = ? "
            "GROUP BY e.id ORDER BY count(*) DESC, e.name",
            (label, gazetteer),
        )
        return [row[0] for row in rows]


def test_decisions_change_entities_and_mentions_only_and_hold_after_a_rebuild(processed, tmp_path, ess):
    data = tmp_path / "data"
    shutil.copytree(processed[0].data_dir, data)
    settings = processed[0].model_copy(
        update={"data_dir": data, "sources": data / "sources.toml", "curation": tmp_path / "curation.json"}
    )
    kept, merged = top_entities(settings, "ORG")[:2]
    person, place = top_entities(settings, "PER")[0], top_entities(settings, "LOC")[0]
    with TestClient(create_app(settings)) as client:
        before = {name: client.get(f"/entities/{name}").json() for name in (kept, merged, person, place)}
    indexes = {folder: tree_hash(data / folder) for folder in ("chroma", "keywords")}

    for command in (["merge", kept, merged], ["alias", "Coorace", "Réseau Coorace"], ["reject", person],
                    ["retype", place, "MISC"]):  # fmt: skip
        done = ess(settings, "entity", *command)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "mention rows changed in" in done.stdout and str(settings.curation) in done.stdout
    assert {folder: tree_hash(data / folder) for folder in indexes} == indexes  # no vector, no keyword row written

    def check(client) -> None:
        page = client.get(f"/entities/{merged}").json()  # the merged name is now an alias of the kept entity
        assert page["name"] == kept and merged in page["aliases"]
        assert [d["action"] for d in page["decisions"]] == ["merge"]
        assert page["mentions"] == before[kept]["mentions"] + before[merged]["mentions"]
        assert client.get("/entities/Réseau Coorace").json()["name"] == "Coorace"
        rejected = client.get(f"/entities/{person}")  # kept with no mention, or never made again by a rebuild
        assert rejected.status_code == 404 or rejected.json()["mentions"] == 0
        assert person not in {e["name"] for e in client.get("/entities", params={"limit": 500}).json()["entities"]}
        retyped = client.get(f"/entities/{place}").json()
        assert retyped["type"] == "MISC" and retyped["mentions"] == before[place]["mentions"]
        document = client.get(f"/documents/{retyped['document_list'][0]['id']}").json()
        assert {m["label"] for m in document["mentions"] if m["entity"] == place} == {"MISC"}
        html = client.get(f"/entity/{kept}").text
        assert "Décisions des analystes" in html and f"« {merged} » fusionné dans « {kept} »" in html

    with TestClient(create_app(settings)) as client:
        check(client)
    with sqlite3.connect(settings.store_db) as db:
        early = db.execute("SELECT id FROM documents LIMIT 1").fetchone()[0]
        db.execute("UPDATE documents SET first_seen = '2001-01-01T00:00:00Z' WHERE id = ?", (early,))
    rebuilt = ess(settings, "process", "--rebuild", timeout=900)
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
    with sqlite3.connect(settings.store_db) as db:  # a rebuild keeps when documents were first seen
        assert db.execute("SELECT first_seen FROM documents WHERE id = ?", (early,)).fetchone()[0].startswith("2001")
    assert not (data / "first-seen.json").exists()
    with TestClient(create_app(settings)) as client:
        check(client)


def test_a_decision_about_an_unknown_entity_is_refused(processed, tmp_path, ess):
    settings = processed[0].model_copy(update={"curation": tmp_path / "curation.json"})
    refused = ess(settings, "entity", "merge", "Coorace", "Cooracee national inconnu")
    assert refused.returncode == 1 and "no entity named" in refused.stderr
    bad_type = ess(settings, "entity", "retype", "Coorace", "DATE")
    assert bad_type.returncode == 1 and "not one of" in bad_type.stderr
    assert not settings.curation.exists()
