"""Search filters: sources, publication dates, entities (names or aliases, all of them), gone pages."""

from __future__ import annotations

import pytest


def sources_of(client, **params) -> list[str]:
    body = client.get("/search", params={"q": "emploi coopération économie locale", "limit": 20, **params}).json()
    return [hit["source"] for hit in body["hits"]]


def test_source_filter_in_every_mode(client):
    for mode in ("hybrid", "semantic", "keyword"):
        found = sources_of(client, source="beta", mode=mode)
        assert set(found) <= {"beta"}
    assert set(sources_of(client, source=["alpha", "beta"])) == {"alpha", "beta"}


def test_date_filters_bound_publication(client):
    hits = client.get("/search", params={"q": "emploi", "date_from": "2025-04", "limit": 20}).json()["hits"]
    assert hits and all(hit["published"] >= "2025-04" for hit in hits)
    hits = client.get("/search", params={"q": "emploi", "date_to": "2025-03-10", "limit": 20}).json()["hits"]
    assert hits and all(hit["published"] <= "2025-03-10" for hit in hits)
    assert client.get("/search", params={"q": "emploi", "date_to": "mars"}).status_code == 422


@pytest.mark.parametrize("value", ["2024-13-45", "2025-02-30", "2025-02-29", "2024-00", "2024-1-05", "0000"])
def test_an_impossible_calendar_date_is_a_loud_422(client, value):
    assert client.get("/search", params={"q": "emploi", "date_from": "2024-02-29"}).status_code == 200
    response = client.get("/search", params={"q": "emploi", "date_from": value})
    assert response.status_code == 422
    assert "date_from" in response.json()["message"] and "calendar date" in response.json()["message"]
    page = client.get("/", params={"q": "emploi", "date_to": value}).text
    assert f"« {value} » n&#39;est pas de la forme" in page


def test_entity_filter_keeps_documents_that_name_it(client):
    hits = client.get("/search", params={"q": "projet", "entity": "le COORACE", "limit": 20}).json()["hits"]
    assert hits
    for hit in hits:
        names = {m["entity"] for m in client.get(f"/documents/{hit['id']}").json()["mentions"]}
        assert "Coorace" in names
    nothing = client.get("/search", params={"q": "projet", "entity": "Entité inconnue"}).json()
    assert nothing["total"] == 0 and nothing["hits"] == []


def test_kind_and_language_filters(client):
    assert sources_of(client, kind="pdf") == []  # the fixture sites have no PDF
    assert len(sources_of(client, kind="html", lang="fr")) > 0
    assert sources_of(client, lang="en") == []
    assert client.get("/search", params={"q": "emploi", "kind": "docx"}).status_code == 422
    assert client.get("/search", params={"q": "emploi", "lang": "french"}).status_code == 422
