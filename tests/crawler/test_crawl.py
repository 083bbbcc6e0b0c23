"""The real `ess crawl` over the fixture sites on loopback: robots, sitemaps, feeds, WARC, crawl state."""

from __future__ import annotations

import json
import sqlite3
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator


def crawled_pages(settings) -> dict[str, sqlite3.Row]:
    """Canonical URL -> crawl-state row of every fetched page."""
    db = sqlite3.connect(settings.crawl_db)
    db.row_factory = sqlite3.Row
    rows = {r["url"]: r for r in db.execute("SELECT * FROM pages WHERE role = 'page'")}
    db.close()
    return rows


def paths(settings) -> set[str]:
    return {urlsplit(url).path for url in crawled_pages(settings)}


def requested(host, index: int) -> list[str]:
    return [path for _, _, path, _ in host.requests(index)]


def test_robots_txt_is_obeyed(crawled, fixture_sites):
    settings, summary = crawled
    assert not any(path.startswith("/prive/") for path in requested(fixture_sites, 0))
    assert summary["alpha"]["robots_blocked"] == 1


def test_pages_known_only_from_sitemap_or_feed_are_found(crawled):
    pages = paths(crawled[0])
    assert "/articles/mutuelle-des-vallees-prevention.html" in pages  # only in sitemap.xml
    assert "/articles/livret-racines-epargne-solidaire.html" in pages  # only in rss.xml


def test_each_page_is_requested_once_and_stays_in_its_source(crawled, fixture_sites):
    settings, summary = crawled
    for index in (0, 1):
        pages = [p for p in requested(fixture_sites, index) if p not in ("/robots.txt",)]
        assert len(pages) == len(set(pages)), "a page was requested twice"
    rows = crawled_pages(settings).values()
    assert {r["source"]: urlsplit(r["url"]).port for r in rows} == {
        "alpha": urlsplit(fixture_sites.urls()[0]).port,
        "beta": urlsplit(fixture_sites.urls()[1]).port,
    }
    assert summary["alpha"]["fetched"] + summary["beta"]["fetched"] == len(rows) == 11


def test_the_crawler_names_itself(crawled, fixture_sites):
    agents = {headers.get("User-Agent", "") for _, _, _, headers in fixture_sites.requests(0)}
    assert all(agent.startswith("ESSPressSearch/") and "+http" in agent for agent in agents)


def test_every_new_response_is_archived_as_request_and_response_records(crawled):
    settings, summary = crawled
    files = list(settings.raw_dir.glob("*.warc.gz"))
    assert len(files) == 1
    with open(files[0], "rb") as stream:
        records = [
            (
                r.rec_type,
                r.rec_headers.get_header("WARC-Target-URI"),
                r.rec_headers.get_header("ESS-Role"),
                r.http_headers.get_statuscode() if r.rec_type == "response" else None,
                r.content_stream().read(),
            )
            for r in ArchiveIterator(stream)
        ]
    responses = [r for r in records if r[0] == "response"]
    assert len(responses) == len([r for r in records if r[0] == "request"])
    assert len(responses) == sum(s.get("new", 0) for s in summary.values())
    assert {role for _, _, role, _, _ in responses} == {"page", "sitemap", "feed"}
    _, _, _, status, body = next(r for r in responses if r[1].endswith("boulangerie-dufresne-scop.html"))
    assert status == "200" and b"Dufresne" in body


def test_crawl_state_keeps_validators_hash_and_place_in_the_archive(crawled):
    row = next(r for url, r in crawled_pages(crawled[0]).items() if url.endswith("/boulangerie-dufresne-scop.html"))
    assert row["etag"] and row["last_modified"] and len(row["content_hash"]) == 64
    assert row["status"] == 200 and row["warc_file"].endswith(".warc.gz") and row["warc_offset"] >= 0
    assert row["first_seen"] == row["last_fetched"] == row["last_changed"] and not row["gone"]


def test_the_run_summary_is_kept_for_ess_sources(crawled, ess):
    settings, summary = crawled
    listed = ess(settings, "sources", "--json")
    assert listed.returncode == 0, listed.stderr
    last = {row["name"]: row["last_crawl"] for row in json.loads(listed.stdout)}
    assert last["alpha"]["command"] == "crawl" and last["alpha"]["fetched"] == summary["alpha"]["fetched"]
