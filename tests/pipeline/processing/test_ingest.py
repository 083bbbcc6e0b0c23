"""`ess ingest`: files, folders, JSONL and WARC through the same pipeline, bad files counted."""

from __future__ import annotations

import json
import shutil

import pytest
from fastapi.testclient import TestClient

from pipeline.archive.warc_writer import Exchange, WarcArchive
from pipeline.processing.run import process
from pipeline.store.reader import StoreReader
from tests_support import DEMO

ARTICLE = DEMO / "coop-actu" / "actualites" / "1042-ptce-val-d-argent.html"
REPORT = DEMO / "observatoire-ess" / "publications" / "etude-ptce-cooperation-2026.pdf"
NOTE = (
    "Note de synthèse\nLe 12 mars 2025, le Coorace et l'Avise ont réuni à Guéret les structures d'insertion de la "
    "Creuse pour préparer la rentrée. Cœur du sujet : l'accès à l'emploi dans les territoires ruraux, où les "
    "chantiers d'insertion manquent de moyens et de bénévoles. " * 3
)


BREVE = "Brève. La CRESS de Bretagne accueille sa nouvelle directrice le 2 mars à Rennes, après six ans au Labo."


@pytest.fixture(scope="module")
def ingested(tmp_path_factory, base_settings, ess, embedder):
    folder = tmp_path_factory.mktemp("files")
    shutil.copy(ARTICLE, folder / "article.html")
    shutil.copy(REPORT, folder / "rapport.pdf")
    (folder / "note.txt").write_bytes(NOTE.encode("cp1252"))
    (folder / "vide.html").write_text("   \n")
    (folder / "breve.html").write_text(f"<html><body><p>{BREVE}</p></body></html>", encoding="utf-8")
    shutil.copy(DEMO / "coop-actu" / "index.html", folder / "accueil.html")  # a home page, chosen by the analyst
    (folder / "binaire.html").write_bytes(bytes(range(256)) * 40)
    (folder / "tableur.xlsx").write_bytes(b"PK\x03\x04")
    lines = [
        json.dumps(
            {
                "id": "a1",
                "title": "Assemblée du RTES",
                "text": "Le RTES réunit les élus à Lyon le 3 avril. " * 30,
                "published": "2025-04-10",
                "source": "presse",
            }
        ),
        "{not json",
        json.dumps({"id": "a2", "title": "sans texte"}),
        "",
        json.dumps({"text": "La SCIC a ouvert une épicerie solidaire à Tours en juin 2024. " * 30}),
    ]
    (folder / "docs.jsonl").write_text("\n".join(lines), encoding="utf-8")
    archive = WarcArchive(folder, 10**6, prefix="export")
    page = (DEMO / "ess-mag" / "articles" / "entretien-elise-garnier-emploi-ess" / "index.html").read_bytes()
    archive.write(
        Exchange(
            "http://example.org/entretien",
            200,
            "OK",
            [],
            [("Content-Type", "text/html")],
            page,
            "2026-01-01T00:00:00Z",
            {},
        )
    )
    archive.close()
    settings = base_settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("ingest-data")})
    done = ess(settings, "ingest", str(folder), "--source", "dossier", "--no-process", "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    report = process(settings)  # in this process, where the models are already loaded
    return settings, {**json.loads(done.stdout), **{f"process: {k}": v for k, v in report.counts.items()}}


def test_every_file_has_a_counted_outcome(ingested):
    _, counts = ingested
    assert counts["archived"] == 10  # 3 html, pdf, txt, 2 JSONL lines, the WARC page, and the 2 bad .html
    assert counts["skipped: line 2: not JSON (JSONDecodeError)"] == 1
    assert counts["skipped: line 3: no 'text'"] == 1
    assert counts["skipped: unknown format .xlsx"] == 1
    assert counts["process: processed"] == 8
    assert counts["process: skipped: empty body"] == 1
    assert counts["process: skipped: binary content, not HTML"] == 1


def test_files_given_are_documents_whatever_their_length_or_shape(ingested):
    settings, counts = ingested
    assert counts["process: kept: file given to ess ingest"] == 7  # all but the page of the imported WARC
    assert counts["process: kept: article"] == 1  # which is judged like a crawled page
    store = StoreReader(settings.store_db)
    urls = [row[0] for row in store.db.execute("SELECT url FROM documents WHERE kind = 'html'")]
    store.close()
    assert any(u.endswith("/breve.html") for u in urls) and any(u.endswith("/accueil.html") for u in urls)


def test_documents_keep_their_kind_source_and_text(ingested):
    settings, _ = ingested
    store = StoreReader(settings.store_db)
    rows = {r["title"]: r for r in store.db.execute("SELECT * FROM documents")}
    kinds = sorted(kind for (kind,) in store.db.execute("SELECT kind FROM documents"))
    store.close()
    assert kinds == ["html", "html", "html", "html", "pdf", "text", "text", "text"]
    note = rows["Note de synthèse"]
    assert "Cœur du sujet" in note["text"] and note["source"] == "dossier"  # windows-1252 decoded
    rtes = rows["Assemblée du RTES"]
    assert rtes["source"] == "presse" and rtes["published"] == "2025-04-10" and rtes["url"].startswith("urn:ess:")


def test_documents_endpoint_returns_mentions_with_entities_and_dates(ingested):
    from search_api.app import create_app

    settings, _ = ingested
    store = StoreReader(settings.store_db)
    doc_id = store.db.execute("SELECT id FROM documents WHERE title = 'Note de synthèse'").fetchone()[0]
    store.close()
    with TestClient(create_app(settings)) as client:
        body = client.get(f"/documents/{doc_id}").json()
        assert client.get("/documents/0000000000000000").status_code == 404
        assert client.get("/documents/..%2F..%2Fetc").status_code in (404, 422)
    mentions = {(m["text"], m["label"]): m for m in body["mentions"]}
    assert mentions[("Coorace", "ORG")]["entity"] == "Coorace"
    assert mentions[("12 mars 2025", "DATE")]["value"] == "2025-03-12"
    assert body["text"][mentions[("Coorace", "ORG")]["start"] :].startswith("Coorace")
