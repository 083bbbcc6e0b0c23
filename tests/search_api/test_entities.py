"""Entity listing and entity pages: names and aliases resolved, counts by source and month, co-occurrence."""

from __future__ import annotations

import json
from urllib.parse import quote


def test_listing_counts_mentions_and_documents(client):
    body = client.get("/entities", params={"q": "coora"}).json()
    coorace = next(e for e in body["entities"] if e["name"] == "Coorace")
    assert coorace["type"] == "ORG" and coorace["gazetteer"] and coorace["documents"] >= 1
    assert coorace["mentions"] >= coorace["documents"]
    people = client.get("/entities", params={"type": "PER", "sort": "name"}).json()["entities"]
    assert people and all(e["type"] == "PER" for e in people)
    assert [e["name"] for e in people] == sorted((e["name"] for e in people), key=str.casefold)


def test_entity_page_resolves_variants_and_aggregates(client):
    canonical = client.get("/entities/Coorace").json()
    for variant in ("le COORACE", "coorace", "du Coorace"):
        assert client.get(f"/entities/{quote(variant)}").json()["name"] == "Coorace"
    assert canonical["aliases"] and canonical["mentions"] == sum(s["mentions"] for s in canonical["by_source"])
    assert sum(m["documents"] for m in canonical["by_month"]) >= canonical["documents"] - 1
    assert canonical["cooccurring"] and all(c["name"] != "Coorace" for c in canonical["cooccurring"])
    published = [d["published"] for d in canonical["document_list"] if d["published"]]
    assert published == sorted(published, reverse=True)


def test_a_gazetteer_alias_finds_its_entity(client):
    page = client.get("/entities/paca").json()
    assert page["name"] == "Provence-Alpes-Côte d'Azur" and page["type"] == "LOC" and "PACA" in page["aliases"]
    assert client.get("/entities/" + quote("CG Scop")).json()["name"] == "Confédération générale des Scop et des Scic"


def test_unknown_names_get_404_with_the_closest_names(client):
    response = client.get("/entities/Cooracee")
    assert response.status_code == 404
    assert "Coorace" in response.json()["detail"]["closest"]


def test_odd_inputs_are_plain_data(client):
    assert client.get("/entities", params={"q": "%_'\"; DROP TABLE entities; --"}).status_code == 200
    assert client.get("/entities/" + quote("../../etc/passwd", safe="")).status_code == 404
    assert client.get("/entities", params={"type": "THING"}).status_code == 422


def test_ess_entity_mirrors_the_api(processed, ess):
    settings, _ = processed
    shown = ess(settings, "entity", "show", "le COORACE", "--json")
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert json.loads(shown.stdout)["name"] == "Coorace"
    missing = ess(settings, "entity", "show", "Cooracee")
    assert missing.returncode == 1 and "closest: Coorace" in missing.stderr


def test_a_store_of_another_schema_is_a_clear_503(tmp_path, base_settings):
    import sqlite3

    from fastapi.testclient import TestClient

    from search_api.app import create_app

    settings = base_settings.model_copy(update={"data_dir": tmp_path})
    sqlite3.connect(settings.store_db).execute("CREATE TABLE documents (id TEXT)").connection.commit()
    with TestClient(create_app(settings)) as client:
        response = client.get("/entities")
    assert response.status_code == 503 and "ess process --rebuild" in response.json()["detail"]
