"""A small network site of short news items, crawled over HTTP and processed: every item is a document,
no listing or legal page is, skipped pages are remembered, listed and can be forced in."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from crawler.sitehost import SiteHost
from pipeline.extract import article_rule
from pipeline.processing.run import process
from pipeline.store.reader import StoreReader
from tests_support import SITES

pytestmark = pytest.mark.slow  # a site crawled and processed

EXPECTED = json.loads((SITES / "breves.json").read_text(encoding="utf-8"))
FAMILIES = {"listing": article_rule.LISTING, "site page": article_rule.SITE_PAGE}


@pytest.fixture(scope="module")
def short_news(base_settings, registry, ess, embedder, tmp_path_factory):
    """(settings, first report, second report) for the site crawled by `ess crawl` and processed twice."""
    settings = base_settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("breves")})
    with SiteHost([(SITES / "breves", 0)]) as host:
        settings = registry(settings, {"breves": host.urls()[0]})
        done = ess(settings, "crawl", "--json")
        assert done.returncode == 0, done.stderr[-3000:]
    return settings, process(settings), process(settings)


def paths(rows) -> dict[str, dict]:
    return {urlsplit(row["url"]).path: dict(row) for row in rows}


def test_every_short_item_is_a_document_and_nothing_else(short_news):
    settings, report, _ = short_news
    store = StoreReader(settings.store_db)
    documents = paths(store.db.execute("SELECT url, text FROM documents"))
    store.close()
    assert sorted(documents) == sorted(EXPECTED["articles"])
    assert report.counts["kept: short article"] == len(EXPECTED["articles"])
    assert all(len(doc["text"].split()) < 120 for doc in documents.values())  # all would have been lost before


def test_the_windows_1252_item_reads_right(short_news):
    settings, _, _ = short_news
    store = StoreReader(settings.store_db)
    (text,) = store.db.execute("SELECT text FROM documents WHERE url LIKE '%nomination%'").fetchone()
    store.close()
    assert "’" in text and "œ" in text and "Ã" not in text


def test_each_other_page_is_skipped_with_its_reason_and_remembered(short_news):
    settings, _, second = short_news
    store = StoreReader(settings.store_db)
    skipped = paths(store.skipped_pages())
    store.close()
    for path, family in EXPECTED["not_articles"].items():
        assert skipped[path]["reason"] == FAMILIES[family], path
        assert skipped[path]["words"] > 0
    assert second.counts["unchanged, skipped before"] == len(skipped)  # not extracted again
    assert not any(key.startswith("skipped:") for key in second.counts)


def test_ess_skipped_lists_and_filters(short_news, ess):
    settings, _, _ = short_news
    listed = json.loads(ess(settings, "skipped", "--json", "--reason", article_rule.SITE_PAGE).stdout)
    assert {urlsplit(r["url"]).path for r in listed} == {
        p for p, family in EXPECTED["not_articles"].items() if family == "site page"
    }
    sources = json.loads(ess(settings, "sources", "--json").stdout)
    assert sources[0]["skipped"][article_rule.LISTING] == 5 and sources[0]["documents"] == len(EXPECTED["articles"])


def test_the_api_and_the_page_count_skipped_pages_per_source_and_reason(short_news):
    from fastapi.testclient import TestClient

    from search_api.app import create_app

    settings, _, _ = short_news
    with TestClient(create_app(settings)) as client:
        (source,) = client.get("/sources").json()
        page = client.get("/corpus").text
    assert source["skipped"] == {article_rule.LISTING: 5, article_rule.SITE_PAGE: 3}
    assert f"{article_rule.LISTING} : 5" in page and "Pages écartées" in page


def test_ess_include_forces_a_page_in_for_good(short_news, ess):
    settings, _, _ = short_news
    store = StoreReader(settings.store_db)
    url = next(r["url"] for r in store.skipped_pages() if r["url"].endswith("/mentions-legales.html"))
    store.close()
    done = ess(settings, "include", url)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "kept: included by hand: 1" in done.stdout
    store = StoreReader(settings.store_db)
    assert store.db.execute("SELECT count(*) FROM documents WHERE url = ?", (url,)).fetchone()[0] == 1
    assert store.skipped_page(store.db.execute("SELECT id FROM documents WHERE url = ?", (url,)).fetchone()[0]) is None
    store.close()
    assert ess(settings, "include", url + "-nowhere").returncode == 1
