"""Which URLs a crawl asks, and how: each page once within its source's limits, sitemaps within their depth
and limits, conditional headers for known pages, and a recrawl's trust in sitemap ``lastmod`` dates."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from crawler.discovery import lastmod_utc
from crawler.registry import Source
from crawler.state import CrawlState
from pipeline.archive.urls import MAX_URL_LENGTH, canonical_url

MAX_SITEMAP_DEPTH = 2  # a sitemap index may list indexes once more; deeper, it is an endless chain
log = logging.getLogger(__name__)


class Frontier:
    """The crawl's memory of what it scheduled; every refusal is counted through ``count(source, what)``."""

    def __init__(self, sources: list[Source], state: CrawlState, count: Callable[[str, str], None], **policy):
        """``policy``: ``mode`` (crawl or recrawl), ``max_pages`` (None: the sources' own limits) and
        ``revalidate_after`` (a timedelta)."""
        self.state, self.count = state, count
        self.mode, self.max_pages = policy["mode"], policy["max_pages"]
        self.revalidate_after: timedelta = policy["revalidate_after"]
        self.seen: dict[str, str] = {}  # canonical URL -> source that scheduled it
        self.page_counts = {s.name: 0 for s in sources}
        self.sitemap_counts = {s.name: 0 for s in sources}
        self.sitemaps_seen: set[str] = set()  # canonical URLs of the sitemaps requested
        self.started = datetime.now(UTC)

    def admit_page(self, source: Source, url: str, lastmod: str | None = None) -> bool:
        """Whether to ask a page: no source scheduled it yet and this source is under its page limit.

        A page whose sitemap ``lastmod`` shows it unchanged since its last fetch takes its place in this run
        but is not asked (counted).
        """
        if len(url) > MAX_URL_LENGTH:
            self.count(source.name, "skipped/url_too_long")
            return False
        key = canonical_url(url)
        if key in self.seen:
            return False
        if self.page_counts[source.name] >= min(source.max_pages, self.max_pages or source.max_pages):
            self.count(source.name, "skipped/max_pages")
            return False
        self.seen[key] = source.name
        self.page_counts[source.name] += 1
        if lastmod and self.unchanged_since_fetch(key, lastmod):
            self.count(source.name, "unchanged/sitemap_lastmod")
            return False
        return True

    def admit_feed(self, source: Source, url: str) -> bool:
        """A feed a page announces, once, inside its source."""
        key = canonical_url(url)
        if not source.owns(url) or key in self.seen:
            return False
        self.seen[key] = source.name
        return True

    def admit_sitemap(self, source: Source, url: str, depth: int) -> bool:
        """Whether to read a sitemap: not read yet, within the sitemap depth and the source's limit (as pages).

        Refused, and counted: a sitemap index that lists itself or an already read sitemap, an endless chain
        of indexes, more sitemaps than the source may have pages.
        """
        key = canonical_url(url)
        if len(url) > MAX_URL_LENGTH:
            reason = "url_too_long"
        elif key in self.sitemaps_seen:
            reason = "sitemap_already_read" if depth else None  # a seed also named in robots.txt: no news
        elif depth > MAX_SITEMAP_DEPTH:
            reason = "sitemap_too_deep"
        elif self.sitemap_counts[source.name] >= source.max_pages:
            reason = "max_sitemaps"
        else:
            self.sitemaps_seen.add(key)
            self.sitemap_counts[source.name] += 1
            return True
        if reason:
            self.count(source.name, f"skipped/{reason}")
            log.info("sitemap not read, %s: %s", reason, url[:200])
        return False

    def conditional_headers(self, url: str) -> dict[str, str]:
        """If-None-Match and If-Modified-Since for a page archived and not gone."""
        row = self.state.get(canonical_url(url))
        if row is None or row["warc_file"] is None or row["gone"]:
            return {}
        headers = {}
        if row["etag"]:
            headers["If-None-Match"] = row["etag"]
        if row["last_modified"]:
            headers["If-Modified-Since"] = row["last_modified"]
        return headers

    def unchanged_since_fetch(self, key: str, lastmod: str) -> bool:
        """Recrawl: whether a sitemap ``lastmod`` earlier than the page's last fetch vouches for its archived copy.

        Only for a page archived and not gone, fetched less than ``revalidate_after`` ago.
        """
        if self.mode != "recrawl" or (modified := lastmod_utc(lastmod)) is None:
            return False
        row = self.state.get(key)
        if row is None or row["warc_file"] is None or row["gone"] or not row["last_fetched"]:
            return False
        fetched = datetime.fromisoformat(row["last_fetched"])
        return modified < fetched and self.started - fetched < self.revalidate_after
