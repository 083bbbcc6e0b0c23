"""The pages the archived feeds and news sitemaps list: a site saying "this is one of my articles"."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urljoin

from pipeline.listings import feed_links, news_sitemap_links
from pipeline.urls import canonical_url
from pipeline.warc import RawPage, read_body


def listed_pages(raw_dir: Path, records: Iterable[RawPage]) -> set[str]:
    """Canonical URLs of the pages that the latest archived feeds and news sitemaps list."""
    listed: set[str] = set()
    for record in records:
        if record.gone or record.role not in ("feed", "sitemap"):
            continue
        body = read_body(raw_dir, record)
        links = feed_links(body) if record.role == "feed" else news_sitemap_links(body)
        listed.update(canonical_url(urljoin(record.url, link.strip())) for link in links)
    return listed
