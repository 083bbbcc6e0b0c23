"""Recrawl: sitemap lastmod trusted, conditional requests, nothing archived for unchanged pages, changed and new
pages fetched, gone pages."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.sitehost import SiteHandler, SiteHost
from tests_support import SITES

pytestmark = pytest.mark.slow  # crawls and recrawls of a changing site

CHANGED = "articles/boulangerie-dufresne-scop.html"
DELETED = "articles/repair-cafe-rue-des-tanneurs.html"
UNLISTED = {"/", "/articles/livret-racines-epargne-solidaire.html"}  # known pages the sitemap does not list
QUIET = "articles/saint-aubin-pole-territorial.html"  # edited without its sitemap lastmod changing
ADDED = "articles/recyclerie-des-coteaux.html"
NEW_PARAGRAPH = "<p>Nouveau : la coopérative Zéphyrine ouvre un second fournil.</p>"


def sitemap_paths() -> set[str]:
    """Paths of the pages the fixture sitemap lists."""
    return set(re.findall(r"<loc>__SITE__(/.+?)</loc>", (SITES / "alpha" / "sitemap.xml").read_text()))


def edit(page: Path) -> None:
    page.write_text(page.read_text().replace("</h1>", "</h1>" + NEW_PARAGRAPH))


def set_lastmod(site: Path, page: str, lastmod: str) -> None:
    """Give ``page``'s sitemap entry a new ``<lastmod>``, as a CMS does when the page is edited."""
    sitemap = site / "sitemap.xml"
    entry = re.compile(rf"(<loc>__SITE__/{re.escape(page)}</loc>\s*<lastmod>)[^<]*")
    text, found = entry.subn(rf"\g<1>{lastmod}", sitemap.read_text())
    assert found == 1
    sitemap.write_text(text)


def unlist(site: Path, page: str) -> None:
    """Remove ``page``'s sitemap entry, as a CMS does when the page is deleted."""
    sitemap = site / "sitemap.xml"
    entry = re.compile(rf"\s*<url>\s*<loc>__SITE__/{re.escape(page)}</loc>.*?</url>", re.S)
    text, found = entry.subn("", sitemap.read_text())
    assert found == 1
    sitemap.write_text(text)


def list_new_page(site: Path, page: str, lastmod: str) -> None:
    sitemap = site / "sitemap.xml"
    entry = f"  <url>\n    <loc>__SITE__/{page}</loc>\n    <lastmod>{lastmod}</lastmod>\n  </url>\n</urlset>"
    sitemap.write_text(sitemap.read_text().replace("</urlset>", entry))


def now_lastmod() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def paths(requests: list) -> list[str]:
    return [path for _, _, path, _ in requests]


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


def crawl_stage(ess, settings, host, command: str, **env: str) -> Stage:
    before = len(host.requests())
    done = ess(settings, command, "--json", **env)
    assert done.returncode == 0, done.stderr[-3000:]
    return Stage(json.loads(done.stdout)["alpha"], archived_records(settings), host.requests()[before:])


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory, base_settings, ess, registry, embedder):
    """crawl, process -> recrawl unchanged -> one page edited (its sitemap lastmod too), one deleted (and taken out
    of the sitemap), as a CMS does -> recrawl, process."""
    from pipeline.processing.run import process

    site = tmp_path_factory.mktemp("site")
    shutil.copytree(SITES / "alpha", site, dirs_exist_ok=True)
    settings = base_settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("recrawl-data")})
    with SiteHost([(site, 0)]) as host:
        settings = registry(settings, {"alpha": host.urls()[0]})
        stages = {"first": crawl_stage(ess, settings, host, "crawl")}
        process(settings)
        stages["unchanged"] = crawl_stage(ess, settings, host, "recrawl")
        edit(site / CHANGED)
        set_lastmod(site, CHANGED, now_lastmod())
        (site / DELETED).unlink()
        unlist(site, DELETED)
        stages["changed"] = crawl_stage(ess, settings, host, "recrawl")
    process(settings)
    return settings, stages


def test_unchanged_site_trusts_sitemap_lastmod_asks_the_rest_conditionally_and_archives_nothing(lifecycle):
    _, stages = lifecycle
    first, again = stages["first"], stages["unchanged"]
    listed = sitemap_paths()
    assert not listed & set(paths(again.requests)), "a page whose sitemap lastmod predates its fetch was asked"
    assert again.summary["unchanged/sitemap_lastmod"] == len(listed)
    pages = {path: headers for _, _, path, headers in again.requests if path not in ("/robots.txt", "/sitemap.xml")}
    assert pages.keys() == UNLISTED  # the home page and a page only the feed links to
    assert len(listed) + len(UNLISTED) == first.summary["new"] - 2  # every archived page but the sitemap and feed
    assert all("If-None-Match" in headers and "If-Modified-Since" in headers for headers in pages.values())
    assert again.summary.get("new", 0) == again.summary.get("changed", 0) == 0
    assert again.summary["not_modified"] == len(pages) + 1  # and the sitemap
    assert again.records == first.records


def test_changed_page_is_archived_again_and_deleted_page_is_gone(lifecycle):
    _, stages = lifecycle
    changed = stages["changed"]
    asked = {path: headers for _, _, path, headers in changed.requests}
    assert "If-None-Match" in asked["/" + CHANGED] and "/" + DELETED in asked  # by lastmod; not listed any more
    assert changed.summary["changed"] == 2 and changed.summary["gone"] == 1  # the page and the sitemap
    assert changed.records == stages["unchanged"].records + changed.summary["changed"] + 1


def test_search_sees_the_new_text_and_flags_the_gone_page(lifecycle):
    from pipeline.index.analysis import query_terms
    from pipeline.index.keywords import KeywordIndex
    from pipeline.store.reader import StoreReader

    settings, _ = lifecycle
    store = StoreReader(settings.store_db)
    rowids = [rowid for rowid, _ in KeywordIndex(settings).search(query_terms("Zéphyrine"), 5)]
    hits = store.chunks_at(rowids)
    gone = [r["url"] for r in store.db.execute("SELECT url FROM documents WHERE gone = 1")]
    store.close()
    assert hits and len({doc_id for _, doc_id in hits.values()}) == 1
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


@pytest.fixture(scope="module")
def quiet_edit(tmp_path_factory, base_settings, ess, registry):
    """crawl -> one page edited without its sitemap lastmod changing, one new page added to the sitemap ->
    recrawl -> recrawl with ESS_RECRAWL_REVALIDATE_DAYS=0."""
    site = tmp_path_factory.mktemp("quiet-site")
    shutil.copytree(SITES / "alpha", site, dirs_exist_ok=True)
    settings = base_settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("quiet-data")})
    with SiteHost([(site, 0)]) as host:
        settings = registry(settings, {"alpha": host.urls()[0]})
        stages = {"first": crawl_stage(ess, settings, host, "crawl")}
        edit(site / QUIET)
        (site / ADDED).write_text("<html><body><h1>La recyclerie des Coteaux ouvre</h1><p>Texte.</p></body></html>")
        list_new_page(site, ADDED, now_lastmod())
        stages["default"] = crawl_stage(ess, settings, host, "recrawl")
        stages["revalidate"] = crawl_stage(ess, settings, host, "recrawl", ESS_RECRAWL_REVALIDATE_DAYS="0")
    return stages


def test_page_edited_without_its_lastmod_waits_for_revalidation(quiet_edit):
    # The trade-off: trusting the sitemap's lastmod spares a request per unchanged page, but a page edited
    # while its lastmod stays put is only refetched once its last fetch is older than ESS_RECRAWL_REVALIDATE_DAYS
    # (7 by default); 0 trusts no lastmod and asks every known page, as a recrawl did before.
    default, revalidate = quiet_edit["default"], quiet_edit["revalidate"]
    assert "/" + QUIET not in paths(default.requests)
    assert default.summary["unchanged/sitemap_lastmod"] == len(sitemap_paths())
    asked = [headers for _, _, path, headers in revalidate.requests if path == "/" + QUIET]
    assert len(asked) == 1 and "If-None-Match" in asked[0] and "If-Modified-Since" in asked[0]
    assert "unchanged/sitemap_lastmod" not in revalidate.summary
    assert revalidate.summary["changed"] == 1 and revalidate.summary.get("new", 0) == 0
    assert revalidate.records == default.records + 1


def test_new_page_added_to_the_sitemap_is_fetched(quiet_edit):
    first, default = quiet_edit["first"], quiet_edit["default"]
    assert paths(default.requests).count("/" + ADDED) == 1
    assert default.summary["new"] == 1 and default.summary["changed"] == 1  # the page, and the sitemap listing it
    assert default.records == first.records + 2
