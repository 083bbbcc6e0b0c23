"""What a search answers besides hits: facets, entities, marked snippets, CSV exports, hints, duplicates."""

from __future__ import annotations

import csv
import datetime
import io
import json

import pytest
from fastapi.testclient import TestClient

from search_api.app import create_app
from search_api.exports import XLSX_MEDIA_TYPE as XLSX


def search(client, **params) -> dict:
    response = client.get("/search", params={"q": "emploi coopération", "limit": 3, **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_facets_count_the_whole_result_set_not_the_page(client):
    body = search(client, limit=2)
    facets = body["facets"]
    assert sum(f["documents"] for f in facets["source"]) == body["total"] > len(body["hits"])
    assert sum(f["documents"] for f in facets["year"]) == body["total"]
    assert {f["value"] for f in facets["source"]} == {"alpha", "beta"}
    assert [f["value"] for f in facets["year"]] == sorted((f["value"] for f in facets["year"]), reverse=True)
    orgs = facets["entities"]["ORG"]
    assert orgs and all(0 < f["documents"] <= body["total"] for f in orgs)


def test_a_source_facet_count_is_what_filtering_on_it_gives(client):
    facets = search(client)["facets"]
    for facet in facets["source"]:
        assert search(client, source=facet["value"])["total"] == facet["documents"]
    orgs = search(client, q="Coorace insertion")["facets"]["entities"]["ORG"]
    coorace = next(f for f in orgs if f["value"] == "Coorace")
    assert search(client, q="Coorace insertion", entity="Coorace")["total"] == coorace["documents"]


def test_hits_carry_their_entities_and_marked_snippets(client):
    hit = search(client, q="Coorace", mode="keyword", limit=1)["hits"][0]
    assert {"name": "Coorace", "type": "ORG"} in hit["entities"]
    assert "<mark>Coorace</mark>" in hit["snippet"]
    names = [e["name"] for e in hit["entities"]]
    assert len(names) == len(set(names)) <= 8


def test_search_exports_csv(client):
    body = search(client, limit=100)
    response = client.get("/search", params={"q": "emploi coopération", "format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert [r["id"] for r in rows] == [h["id"] for h in body["hits"]]
    assert rows[0]["rank"] == "1" and "<mark>" not in "".join(r["snippet"] for r in rows)


def test_entity_mentions_export_csv_with_their_sentence(client):
    page = client.get("/entities/coorace").json()
    response = client.get("/entities/le COORACE", params={"format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert len(rows) == page["mentions"]
    assert {r["document"] for r in rows} == {d["id"] for d in page["document_list"]}
    for row in rows:
        assert row["surface"] in row["sentence"] and "\n" not in row["sentence"]
        assert len(row["sentence"]) < 1200 and row["source"] in ("alpha", "beta")
    assert client.get("/entities/Inconnue du corpus", params={"format": "csv"}).status_code == 404


def workbook_rows(response) -> tuple[list[list], object]:
    from openpyxl import load_workbook

    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()], sheet


def test_search_and_mentions_export_as_excel_with_typed_cells_and_a_frozen_header(client):
    body = search(client, limit=100)
    rows, sheet = workbook_rows(client.get("/search", params={"q": "emploi coopération", "format": "xlsx"}))
    header, rows = rows[0], rows[1:]
    assert header[:4] == ["rank", "id", "title", "source"] and sheet.freeze_panes == "A2"
    assert [r[1] for r in rows] == [h["id"] for h in body["hits"]] and rows[0][0] == 1
    published = {h["id"]: h["published"] for h in body["hits"]}
    for row in rows:
        day = published[row[1]]
        if day and len(day) == 10:
            assert row[4] == datetime.datetime.fromisoformat(day)  # a date cell, not text
        assert isinstance(row[8], int | float) and "<mark>" not in (row[-1] or "")
    mentions, _ = workbook_rows(client.get("/entities/coorace", params={"format": "xlsx"}))
    assert len(mentions) - 1 == client.get("/entities/coorace").json()["mentions"]


def test_a_cell_that_looks_like_a_formula_stays_text():
    from openpyxl import load_workbook

    from search_api.exports import workbook

    data = workbook(["title", "published", "start"], [['=HYPERLINK("http://x")', "2024-02", 3]], "t")
    cells = next(load_workbook(io.BytesIO(data)).active.iter_rows(min_row=2))
    assert [c.data_type for c in cells] == ["s", "s", "n"] and cells[0].value.startswith("=HYPERLINK")


def test_long_queries_and_bad_formats_are_refused_with_a_message(client):
    assert search(client, q="coopération " * 83)["hits"]  # 996 characters: allowed
    response = client.get("/search", params={"q": "x" * 1001})
    assert response.status_code == 422
    assert response.json()["message"] == "q: String should have at most 1000 characters"
    assert client.get("/search", params={"q": "x", "format": "xml"}).status_code == 422


def test_health_reports_the_index_model_and_agreement(client, embedder):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["agree"] is True and body["problem"] is None
    assert body["chunks"] == body["keyword_rows"] == body["vectors"] > 0
    assert body["index_model"] == body["embedding_model"] == embedder.name
    assert body["dimensions"] == embedder.dim and body["chroma"] == "embedded"


def test_an_empty_data_directory_answers_zero_hits_with_a_hint(base_settings, tmp_path):
    settings = base_settings.model_copy(update={"data_dir": tmp_path})
    with TestClient(create_app(settings)) as client:
        for mode in ("hybrid", "semantic", "keyword"):
            body = search(client, mode=mode)
            assert body["total"] == 0 and body["hits"] == [] and "ess process" in body["hint"]
        assert client.get("/search", params={"q": "x", "format": "csv"}).status_code == 200
        assert client.get("/health").json()["status"] == "empty"
        for path in ("/", "/corpus", "/sources", "/entities"):
            assert client.get(path).status_code == 200, path
    assert list(tmp_path.iterdir()) == []  # the API made no folder, no index, no store


@pytest.fixture(scope="module")
def duplicated(tmp_path_factory, base_settings, ess, embedder):
    """The same press release published by two sources, and one other text."""
    from pipeline.processing.run import process

    text = "Le Coorace et France Active lancent un fonds pour les entreprises d'insertion de la Creuse. " * 20
    other = "À Tours, une ressourcerie ouvre un atelier de réparation de vélos avec la mairie. " * 20
    lines = [
        {"id": "r1", "title": "Un fonds pour l'insertion", "text": text, "source": "presse-a"},
        {"id": "r2", "title": "Un fonds pour l'insertion", "text": text, "source": "presse-b"},
        {"id": "r3", "title": "Ressourcerie", "text": other, "source": "presse-a"},
    ]
    folder = tmp_path_factory.mktemp("dup-files")
    (folder / "docs.jsonl").write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    settings = base_settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("dup-data")})
    done = ess(settings, "ingest", str(folder), "--no-process")
    assert done.returncode == 0, done.stderr[-2000:]
    process(settings)
    with TestClient(create_app(settings)) as client:
        yield client


def test_duplicates_collapse_in_search_and_show_on_the_document(duplicated):
    body = duplicated.get("/search", params={"q": "fonds insertion Creuse"}).json()
    first = body["hits"][0]
    assert body["total"] == 1 and len(first["also_on"]) == 1  # the release once; the Tours workshop is not counted
    other = first["also_on"][0]
    assert {first["source"], other["source"]} == {"presse-a", "presse-b"}
    document = duplicated.get(f"/documents/{other['id']}").json()
    assert [d["id"] for d in document["duplicates"]] == [first["id"]]
    uncollapsed = duplicated.get("/search", params={"q": "fonds insertion Creuse", "collapse": False}).json()
    assert uncollapsed["total"] == 2  # both copies


@pytest.mark.parametrize(("similarity_floor", "keyword_floor"), [(1.01, 1.01), (-1.0, 0.0)])
def test_total_and_facets_count_the_documents_relevant_enough(processed, similarity_floor, keyword_floor):
    settings = processed[0].model_copy(update={"similarity_floor": similarity_floor, "keyword_floor": keyword_floor})
    with TestClient(create_app(settings)) as client:
        for mode in ("semantic", "hybrid"):
            body = client.get("/search", params={"q": "emploi coopération", "mode": mode, "limit": 50}).json()
            assert body["hits"], "hits go on whatever the floors"
            counted = 0 if similarity_floor > 1 else len(body["hits"])
            assert body["total"] == counted == sum(f["documents"] for f in body["facets"]["source"]), (mode, body)
