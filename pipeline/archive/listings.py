"""What feeds and sitemaps list: read by the spider to find pages, and from the archive by the pipeline as
evidence of an article: strong for a feed or a news sitemap (a site saying "this is one of my articles"), weak
for an ordinary sitemap (which lists rubriques too)."""

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


def sitemap_pages(body: bytes) -> list[tuple[str, bool]]:
    """The pages a sitemap lists, each with whether it is a news entry (``<news:news>``); [] for a sitemap index
    or broken XML."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gunzip(body, max_size=MAX_SITEMAP_BYTES)
        except Exception:  # noqa: BLE001 - a damaged archive lists nothing
            return []
    if XML_ENTITY.search(body[:65536]):
        return []
    try:
        sitemap = Sitemap(body)
        if sitemap.type != "urlset":
            return []
        return [(entry["loc"].strip(), "news" in entry) for entry in sitemap if entry.get("loc")]
    except Exception:  # noqa: BLE001 - lxml's errors on broken XML are many
        return []


ANNOUNCED = "feed or news sitemap"  # strong evidence of an article
MAPPED = "sitemap"  # weak evidence


def site_listings(raw_dir: Path, records: Iterable[RawPage]) -> dict[str, str]:
    """Canonical URL -> how the latest archived feeds and sitemaps list the page (``ANNOUNCED`` wins)."""
    listed: dict[str, str] = {}
    for record in records:
        if record.gone or record.role not in ("feed", "sitemap"):
            continue
        body = read_body(raw_dir, record)
        if record.role == "feed":
            entries = [(link, True) for link in feed_links(body)]
        else:
            entries = sitemap_pages(body)
        for link, announced in entries:
            key = canonical_url(urljoin(record.url, link.strip()))
            if announced or key not in listed:
                listed[key] = ANNOUNCED if announced else MAPPED
    return listed
