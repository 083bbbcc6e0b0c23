"""Recrawl: conditional requests, nothing archived for unchanged pages, changed pages refetched, gone pages."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.sitehost import SiteHandler, SiteHost
from tests_support import SITES

CHANGED = "articles/boulangerie-dufresne-scop.html"
DELETED = "articles/repair-cafe-rue-des-tanneurs.html"


def archived_records(settings) -> int:
    count = 0
    for path in settings.raw_dir.glob("*.warc.gz"):
        with open(path, "rb") as stream:
            count += sum(1 for record in ArchiveIterator(stream) if record.rec_type == "response")
    return count


@dataclass
class Stage:
    summary: dict
    records: int
    requests: list = field(default_factory=list)


def crawl_stage(ess, settings, host, command: str) -> Stage:
    before = len(host.requests())
    done = ess(settings, command, "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    return Stage(json.loads(done.stdout)["alpha"], archived_records(settings), host.requests()[before:])


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory, base_settings, ess, registry, embedder):
    """crawl, process -> recrawl unchanged -> one page edited, one deleted -> recrawl, process."""
    from pipeline.run import process

    site = tmp_path_factory.mktemp("site")
    shutil.copytree(SITES / "alpha", site, dirs_exist_ok=True)
    settings = base_settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("recrawl-data")})
    with SiteHost([(site, 0)]) as host:
        settings = registry(settings, {"alpha": host.urls()[0]})
        stages = {"first": crawl_stage(ess, settings, host, "crawl")}
        process(settings)
        stages["unchanged"] = crawl_stage(ess, settings, host, "recrawl")
        page = site / CHANGED
        page.write_text(
            page.read_text().replace("</h1>", "</h1><p>Nouveau : la coopérative Zéphyrine ouvre un second fournil.</p>")
        )
        (site / DELETED).unlink()
        stages["changed"] = crawl_stage(ess, settings, host, "recrawl")
    process(settings)
    return settings, stages


def test_unchanged_site_is_asked_conditionally_and_nothing_is_archived(lifecycle):
    _, stages = lifecycle
    first, again = stages["first"], stages["unchanged"]
    pages = [(path, headers) for _, _, path, headers in again.requests if path.startswith("/articles/")]
    assert len(pages) == first.summary["new"] - 3  # articles only: not the home page, sitemap and feed
    assert all("If-None-Match" in headers and "If-Modified-Since" in headers for _, headers in pages)
    assert again.summary.get("new", 0) == again.summary.get("changed", 0) == 0
    assert again.summary["not_modified"] >= len(pages)
    assert again.records == first.records


def test_changed_page_is_archived_again_and_deleted_page_is_gone(lifecycle):
    _, stages = lifecycle
    changed = stages["changed"]
    assert changed.summary["changed"] >= 1 and changed.summary["gone"] == 1
    assert changed.records == stages["unchanged"].records + changed.summary["changed"] + 1


def test_search_sees_the_new_text_and_flags_the_gone_page(lifecycle):
    from pipeline.store import Store

    settings, _ = lifecycle
    store = Store(settings.store_db, readonly=True)
    hits = store.keyword_search("Zéphyrine", 5)
    gone = [r["url"] for r in store.db.execute("SELECT url FROM documents WHERE gone = 1")]
    store.close()
    assert hits and all(doc_id == hits[0][1] for _, doc_id, _ in hits)
    assert [url.rsplit("/", 1)[1] for url in gone] == [DELETED.rsplit("/", 1)[1]]


class NoValidators(SiteHandler):
    """A server that sends neither ETag nor Last-Modified: only the content hash tells what changed."""

    def send_header(self, keyword, value):
        if keyword not in ("ETag", "Last-Modified"):
            super().send_header(keyword, value)


def test_same_content_without_validators_is_recognised_by_its_hash(tmp_path, base_settings, ess, registry):
    settings = base_settings.model_copy(update={"data_dir": tmp_path / "data"})
    with SiteHost([(SITES / "beta", 0)], handler=NoValidators) as host:
        settings = registry(settings, {"beta": host.urls()[0]})
        first = ess(settings, "crawl", "--json")
        again = ess(settings, "recrawl", "--json")
    assert first.returncode == again.returncode == 0, again.stderr[-2000:]
    summary = json.loads(again.stdout)["beta"]
    assert summary["unchanged"] >= 3 and summary.get("new", 0) == summary.get("changed", 0) == 0
    assert archived_records(settings) == json.loads(first.stdout)["beta"]["new"]


def test_the_gone_page_stays_searchable_and_flagged(lifecycle):
    from fastapi.testclient import TestClient

    from search_api.app import create_app

    settings, _ = lifecycle
    with TestClient(create_app(settings)) as client:
        hits = client.get("/search", params={"q": "Repair Café rue des Tanneurs", "mode": "keyword"}).json()["hits"]
    assert hits[0]["url"].endswith(DELETED) and hits[0]["gone"] is True
