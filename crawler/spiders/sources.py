"""A generic spider driven by the sources registry: start pages, feeds, sitemaps, in-site links."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import scrapy
from parsel import Selector
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS, LinkExtractor
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from crawler.items import FetchedResponse
from crawler.registry import Source

FEED_TYPES = ("application/rss+xml", "application/atom+xml")
KEPT_EXTENSIONS = {"pdf"}


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def content_type(response: Response) -> str:
    value = response.headers.get("Content-Type", b"").decode("latin-1")
    return value.split(";")[0].strip().lower()


def page_kind(response: Response) -> str | None:
    """``html`` or ``pdf`` for what we keep (sniffing the body when the header lies), else None."""
    mime = content_type(response)
    if response.body[:5] == b"%PDF-" or mime == "application/pdf":
        return "pdf" if response.body[:5] == b"%PDF-" else None
    head = response.body[:1024].lstrip().lower()
    if mime in ("text/html", "application/xhtml+xml") or head.startswith((b"<!doctype html", b"<html")):
        return "html"
    return None


def is_private_literal(url: str) -> bool:
    try:
        address = ipaddress.ip_address(urlsplit(url).hostname or "")
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local


class SourcesSpider(scrapy.Spider):
    name = "sources"

    def __init__(self, sources: list[Source], **kwargs):
        super().__init__(**kwargs)
        self.sources = {s.name: s for s in sources}
        self.pages_seen: dict[str, set[str]] = {s.name: set() for s in sources}
        self.link_extractors = {
            s.name: LinkExtractor(
                allow=s.allow, deny=s.deny, deny_extensions=[e for e in IGNORED_EXTENSIONS if e not in KEPT_EXTENSIONS]
            )
            for s in sources
        }

    async def start(self):
        for source in self.sources.values():
            for request in self.seed_requests(source):
                yield request

    def seed_requests(self, source: Source):
        for root in source.roots():
            yield self.fetch(source, root + "/robots.txt", self.parse_robots, "robots")
            yield self.fetch(source, root + "/sitemap.xml", self.parse_sitemap, "sitemap")
        for url in source.sitemaps:
            yield self.fetch(source, url, self.parse_sitemap, "sitemap")
        for url in source.feeds:
            yield self.fetch(source, url, self.parse_feed, "feed")
        for url in source.start_urls:
            yield self.page_request(source, url, depth=0)

    def fetch(self, source: Source, url: str, callback, role: str, depth: int = 0):
        if is_private_literal(url) and not source.allow_private:
            self.count_skip("private_address")
            return None
        meta = {"source": source.name, "role": role, "ess_depth": depth}
        return scrapy.Request(url, callback=callback, meta=meta, errback=self.on_error)

    def page_request(self, source: Source, url: str, depth: int):
        """A request for a page not yet scheduled, while the source is under its ``max_pages``."""
        seen = self.pages_seen[source.name]
        url = url.split("#", 1)[0]
        if url in seen:
            return None
        if len(seen) >= source.max_pages:
            self.count_skip("max_pages")
            return None
        request = self.fetch(source, url, self.parse_page, "page", depth)
        if request is not None:
            seen.add(url)
        return request

    def count_skip(self, reason: str) -> None:
        self.crawler.stats.inc_value(f"ess/skipped/{reason}")

    def on_error(self, failure) -> None:
        if failure.check(IgnoreRequest):
            self.count_skip("ignored_request")
            self.logger.info("not fetched: %s (%s)", failure.request.url, failure.value)
            return
        self.crawler.stats.inc_value(f"ess/errors/{failure.type.__name__}")
        self.logger.warning("fetch failed: %s (%s)", failure.request.url, failure.value)

    def source_of(self, response: Response) -> Source:
        return self.sources[response.meta["source"]]

    def item(self, response: Response) -> FetchedResponse:
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, values in response.headers.items() for v in values]
        return FetchedResponse(
            source=response.meta["source"],
            url=response.url,
            status=response.status,
            headers=headers,
            body=response.body,
            role=response.meta["role"],
            depth=response.meta["ess_depth"],
            fetched_at=now_iso(),
        )

    def parse_page(self, response: Response):
        kind = page_kind(response)
        if kind is None:
            self.count_skip("content_type:" + (content_type(response) or "none"))
            return
        self.crawler.stats.inc_value(f"ess/pages/{kind}")
        yield self.item(response)
        if kind == "html":
            yield from self.follow_feeds(response)
            yield from self.follow_links(response)

    def follow_links(self, response: TextResponse):
        source, depth = self.source_of(response), response.meta["ess_depth"] + 1
        if depth > source.max_depth:
            return
        for link in self.link_extractors[source.name].extract_links(response):
            if source.owns(link.url):
                yield self.page_request(source, link.url, depth)

    def follow_feeds(self, response: TextResponse):
        source = self.source_of(response)
        for link in response.css("link[rel~=alternate]"):
            if link.attrib.get("type", "").lower() in FEED_TYPES and link.attrib.get("href"):
                url = response.urljoin(link.attrib["href"])
                if source.owns(url):
                    yield self.fetch(source, url, self.parse_feed, "feed")

    def parse_robots(self, response: Response):
        source = self.source_of(response)
        for url in sitemap_urls_from_robots(response.body, base_url=response.url):
            if source.owns(url):
                yield self.fetch(source, url, self.parse_sitemap, "sitemap")

    def parse_sitemap(self, response: Response):
        body = self.sitemap_body(response)
        if body is None:
            self.count_skip("bad_sitemap")
            return
        yield self.item(response)
        source = self.source_of(response)
        sitemap = Sitemap(body)
        for entry in sitemap:
            url = urljoin(response.url, entry.get("loc", ""))
            if not source.owns(url):
                self.count_skip("off_source")
            elif sitemap.type == "sitemapindex":
                yield self.fetch(source, url, self.parse_sitemap, "sitemap")
            elif self.link_extractors[source.name].matches(url):
                yield self.page_request(source, url, depth=0)

    def sitemap_body(self, response: Response) -> bytes | None:
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gunzip(body, max_size=self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
            except Exception:  # noqa: BLE001 - any decompression failure is a counted skip
                return None
        return body if b"<urlset" in body[:4096] or b"<sitemapindex" in body[:4096] else None

    def parse_feed(self, response: Response):
        source = self.source_of(response)
        selector = Selector(body=response.body, type="xml")
        selector.remove_namespaces()
        links = selector.xpath("//item/link/text()").getall()
        links += selector.xpath("//entry/link[not(@rel) or @rel='alternate']/@href").getall()
        if not links:
            self.count_skip("empty_or_bad_feed")
            return
        yield self.item(response)
        for href in links:
            url = response.urljoin(href.strip())
            if source.owns(url) and self.link_extractors[source.name].matches(url):
                yield self.page_request(source, url, depth=0)
