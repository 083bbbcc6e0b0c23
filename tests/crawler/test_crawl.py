"""The real `ess crawl` over the fixture sites on loopback: robots, sitemaps, feeds, WARC, crawl state."""

from __future__ import annotations

import sqlite3
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator


def crawled_pages(settings) -> dict[str, sqlite3.Row]:
    """URL -> crawl-state row of every fetched page."""
    db = sqlite3.connect(settings.crawl_db)
    db.row_factory = sqlite3.Row
    rows = {r["url"]: r for r in db.execute("SELECT * FROM pages WHERE role = 'page'")}
    db.close()
    return rows


def paths(settings) -> set[str]:
    return {urlsplit(url).path for url in crawled_pages(settings)}


def test_robots_txt_is_obeyed(crawled):
    settings, stats = crawled
    assert "/prive/secret.html" not in paths(settings)
    assert stats["ess/skipped/ignored_request"] >= 1


def test_pages_known_only_from_sitemap_or_feed_are_found(crawled):
    pages = paths(crawled[0])
    assert "/articles/mutuelle-des-vallees-prevention.html" in pages  # only in sitemap.xml
    assert "/articles/livret-racines-epargne-solidaire.html" in pages  # only in rss.xml


def test_each_page_is_fetched_once_and_stays_in_its_source(crawled):
    settings, stats = crawled
    pages = crawled_pages(settings)
    assert stats["ess/pages/html"] == len(pages) == 11
    by_source = {}
    for row in pages.values():
        by_source.setdefault(row["source"], set()).add(urlsplit(row["url"]).port)
    assert all(len(ports) == 1 for ports in by_source.values()) and len(by_source) == 2


def test_every_response_is_archived_as_a_warc_record(crawled):
    settings, stats = crawled
    files = list(settings.raw_dir.glob("*.warc.gz"))
    assert len(files) == 1 and not list(settings.raw_dir.glob("*.open"))
    with open(files[0], "rb") as stream:
        records = [
            (
                r.rec_headers.get_header("WARC-Target-URI"),
                r.rec_headers.get_header("ESS-Role"),
                r.http_headers.get_statuscode(),
                r.content_stream().read(),
            )
            for r in ArchiveIterator(stream)
            if r.rec_type == "response"
        ]
    assert len(records) == stats["item_scraped_count"]
    assert {role for _, role, _, _ in records} == {"page", "sitemap", "feed"}
    url, _, status, body = next(r for r in records if r[0].endswith("boulangerie-dufresne-scop.html"))
    assert status == "200" and b"Dufresne" in body


def test_crawl_state_keeps_validators_and_content_hash(crawled):
    row = next(r for url, r in crawled_pages(crawled[0]).items() if url.endswith("/boulangerie-dufresne-scop.html"))
    assert row["etag"] and row["last_modified"] and len(row["content_hash"]) == 64
    assert row["status"] == 200 and row["warc_file"].endswith(".warc.gz") and row["warc_offset"] >= 0
