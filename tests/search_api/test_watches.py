"""Watched searches: kept in their own database, changed only from this site, each with a valid Atom feed."""

from __future__ import annotations

import shutil
import sqlite3

import feedparser
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from search_api.app import create_app
from search_api.watches import WatchExists, WatchIn, WatchStore

SAME_SITE = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
HOSTILE_TITLE = 'Coorace <script>alert("x")</script> & « les SIAE »'


@pytest.fixture(scope="module")
def watched(processed, tmp_path_factory):
    """A private copy of the processed fixture sites (watches and store edits stay here) and a client."""
    data = tmp_path_factory.mktemp("watches") / "data"
    shutil.copytree(processed[0].data_dir, data)
    settings = processed[0].model_copy(update={"data_dir": data, "sources": data / "sources.toml"})
    with TestClient(create_app(settings)) as client:
        yield settings, client


def store_write(settings, sql: str, *params) -> None:
    with sqlite3.connect(settings.store_db) as db:
        db.execute(sql, params)


def test_watches_are_kept_apart_from_the_store_and_reading_creates_nothing(tmp_path):
    store = WatchStore(tmp_path / "watches.sqlite")
    assert store.all() == [] and store.get("x") is None and not (tmp_path / "watches.sqlite").exists()
    added = store.add(WatchIn(name="PTCE", q="pôle territorial", mode="keyword", source=["alpha"], kind=["pdf"]))
    assert store.get(added.id) == added == store.get("PTCE") and store.all() == [added]
    with pytest.raises(WatchExists):
        store.add(WatchIn(name="PTCE", q="autre"))
    assert store.remove("PTCE") == added and store.all() == [] and store.remove("PTCE") is None


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"name": "x", "q": "y", "mode": "fuzzy"}, "mode"),
        ({"name": "x", "q": "y", "date_from": "2024-13"}, "date_from"),
        ({"name": "a\x07b", "q": "y"}, "name"),
        ({"name": "x", "q": "   "}, "q"),
        ({"name": "x" * 101, "q": "y"}, "name"),
        ({"name": "x", "q": "y", "kind": ["exe"]}, "kind"),
        ({"name": "x", "q": "y", "owner": "me"}, "owner"),
    ],
)
def test_every_field_is_validated(fields, field):
    with pytest.raises(ValidationError) as error:
        WatchIn.model_validate(fields)
    assert field in str(error.value)


def test_a_watch_is_added_listed_and_removed_through_the_api(watched):
    _, client = watched
    body = {"name": "Coorace alpha", "q": "Coorace", "mode": "keyword", "source": ["alpha"], "date_from": "2020"}
    added = client.post("/watches", json=body, headers=SAME_SITE)
    assert added.status_code == 201, added.text
    watch = added.json()
    assert watch["search"]["source"] == ["alpha"] and watch["feed"] == f"/watches/{watch['id']}/feed.atom"
    assert watch in client.get("/watches").json()
    assert client.post("/watches", json=body, headers=SAME_SITE).status_code == 409
    refused = client.post("/watches", json={**body, "name": "autre", "date_to": "2024-02-30"}, headers=SAME_SITE)
    assert refused.status_code == 422 and "date_to" in refused.json()["detail"]
    assert client.delete(f"/watches/{watch['id']}", headers=SAME_SITE).status_code == 204
    assert watch not in client.get("/watches").json()
    assert client.delete(f"/watches/{watch['id']}", headers=SAME_SITE).status_code == 404


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "null"},
    ],
)
def test_a_write_from_another_site_is_refused(watched, headers):
    settings, client = watched
    kept = WatchStore(settings.watches_db).add(WatchIn(name=f"kept {sorted(headers.items())}", q="Coorace"))
    form = {"name": "intrus", "q": "Coorace"}
    assert client.post("/watches", data=form, headers=headers, follow_redirects=False).status_code == 403
    assert client.post(f"/watches/{kept.id}/delete", headers=headers, follow_redirects=False).status_code == 403
    assert client.delete(f"/watches/{kept.id}", headers=headers).status_code == 403
    names = [w["search"]["name"] for w in client.get("/watches").json()]
    assert "intrus" not in names and kept.name in names
    WatchStore(settings.watches_db).remove(kept.id)


def test_the_page_form_saves_a_watch_and_the_search_page_then_links_its_feed(watched):
    _, client = watched
    form = {"name": "Insertion", "q": "insertion", "mode": "keyword", "source": ["alpha", ""], "entity": ""}
    saved = client.post("/watches", data=form, headers=SAME_SITE, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].startswith("/watchlist#watch-")
    number = saved.headers["location"].rsplit("-", 1)[1]
    listing = client.get("/watchlist").text
    assert f'href="/watches/{number}/feed.atom"' in listing and 'rel="alternate"' in listing
    page = client.get("/", params={"q": "insertion", "mode": "keyword", "source": "alpha"}).text
    assert "Recherche suivie" in page and '<link rel="alternate" type="application/atom+xml"' in page
    assert "Suivre cette recherche" in client.get("/", params={"q": "insertion"}).text  # another search
    again = client.post("/watches", data=form, headers=SAME_SITE, follow_redirects=False)
    assert again.status_code == 409 and "Insertion" in again.text and "<html" in again.text
    removed = client.post(f"/watches/{number}/delete", headers=SAME_SITE, follow_redirects=False)
    assert removed.status_code == 303 and "Insertion" not in client.get("/watchlist").text


def test_the_feed_is_valid_atom_newest_arrival_first_with_its_text_escaped(watched):
    settings, client = watched
    watch = client.post("/watches", json={"name": "Coorace", "q": "Coorace", "mode": "keyword"}, headers=SAME_SITE)
    feed_path = watch.json()["feed"]
    first = feedparser.parse(client.get(feed_path).content)
    assert not first.bozo, first.bozo_exception
    assert len(first.entries) >= 2, "the fixture sites have several pages about Coorace"
    newest = first.entries[-1]
    doc_id = newest.id.rsplit("/", 1)[1]
    store_write(settings, "UPDATE documents SET first_seen = '2099-01-01T00:00:00Z', title = ? WHERE id = ?",
                HOSTILE_TITLE, doc_id)  # fmt: skip
    answer = client.get(feed_path)
    assert answer.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(answer.content)
    assert not feed.bozo and feed.feed.title == "ESS press search · Coorace"
    top = feed.entries[0]
    assert top.title == HOSTILE_TITLE and top.updated == "2099-01-01T00:00:00Z"
    assert top.link.startswith("http://127.0.0.1:") and any(
        link.href.endswith(f"/document/{doc_id}") for link in top.links
    )
    assert [e.updated for e in feed.entries] == sorted((e.updated for e in feed.entries), reverse=True)
    assert "<script>" not in answer.text and "&lt;script&gt;" in answer.text


def test_the_feed_holds_only_what_arrived_lately(watched):
    settings, client = watched
    watch = client.post("/watches", json={"name": "Récent", "q": "Coorace", "mode": "keyword"}, headers=SAME_SITE)
    feed_path = watch.json()["feed"]
    store_write(settings, "UPDATE documents SET first_seen = '2001-01-01T00:00:00Z'")
    assert feedparser.parse(client.get(feed_path).content).entries == []
    assert client.get("/watches/999999/feed.atom").status_code == 404
