"""What feeds and news sitemaps list: read by the spider to find pages, and from the archive by the pipeline
as an article signal (a site saying "this is one of my articles")."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urljoin

from parsel import Selector
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

from pipeline.archive.urls import canonical_url
from pipeline.archive.warc_reader import RawPage, read_body

XML_ENTITY = re.compile(rb"<!ENTITY", re.I)  # sitemaps and feeds have no use for DTD entities
NEWS_NAMESPACE = b"sitemap-news"
MAX_SITEMAP_BYTES = 50 * 1024 * 1024


def feed_links(body: bytes) -> list[str]:
    """Item links of an RSS 2.0 or Atom feed; [] when the XML is broken or is no feed."""
    try:
        selector = Selector(body=body, type="xml")
    except ValueError:
        return []
    selector.remove_namespaces()
    links = selector.xpath("//item/link/text()").getall()
    links += selector.xpath("//entry/link[not(@rel) or @rel='alternate']/@href").getall()
    return [link for link in links if link.strip()]


def news_sitemap_links(body: bytes) -> list[str]:
    """The pages a news sitemap (``<news:news>`` entries) lists; [] for any other sitemap or broken XML."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gunzip(body, max_size=MAX_SITEMAP_BYTES)
        except Exception:  # noqa: BLE001 - a damaged archive lists nothing
            return []
    if NEWS_NAMESPACE not in body[:4096] or XML_ENTITY.search(body[:65536]):
        return []
    try:
        return [entry["loc"].strip() for entry in Sitemap(body) if "news" in entry and entry.get("loc")]
    except Exception:  # noqa: BLE001 - lxml's errors on broken XML are many
        return []


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
