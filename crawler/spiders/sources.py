"""A generic spider driven by the sources registry: start pages, feeds, sitemaps, in-site links.

``mode = "crawl"`` discovers: it follows links, also from the archived copy of pages that answer
304 Not Modified.

``mode = "recrawl"`` starts from the same seeds (sitemaps, also those named in robots.txt, feeds,
start pages) and looks for new pages in them and in changed pages only. Sitemaps are read even when
they answer 304 (from their archived copy). A known page whose sitemap ``<lastmod>`` is earlier than
its last successful fetch, fetched less than ``ESS_RECRAWL_REVALIDATE_DAYS`` days ago, is not asked
at all (counted as ``unchanged/sitemap_lastmod``); every other page a seed names is asked, with
conditional requests (If-None-Match, If-Modified-Since) when known. Links are followed from pages
that answer 200 only. When the spider first runs out of requests, every known page not seen in this
run (in no sitemap, feed or start page, nor linked from a changed page) is asked conditionally too.
A page whose sitemap ``lastmod`` is not updated when it changes is therefore refetched only once its
last fetch is older than ``ESS_RECRAWL_REVALIDATE_DAYS``; 0 trusts no ``lastmod`` and asks every
known page.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urljoin

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import HtmlResponse, Response
from scrapy.linkextractors import IGNORED_EXTENSIONS, LinkExtractor
from scrapy.utils.sitemap import Sitemap

from crawler.discovery import FEED_TYPES, content_type, decoded_headers, link_farm_cut, page_kind, sitemap_body
from crawler.failures import failure_reason, response_reason
from crawler.frontier import Frontier
from crawler.items import FetchedResponse, FetchFailure, count
from crawler.registry import Source
from crawler.replay import readable
from crawler.state import CrawlState
from pipeline.archive.listings import XML_ENTITY, feed_links
from pipeline.archive.urls import canonical_url, clean_url
from pipeline.archive.warc_writer import Exchange, now_iso
from pipeline.config import Settings

KEPT_EXTENSIONS = {"pdf"}
HANDLED_STATUSES = [304, 404, 410]


class ListingCallbacks:
    """Reading sitemaps and feeds for the pages they list (a part of SourcesSpider)."""

    def parse_sitemap(self, response: Response):
        source = self.sources[response.meta["source"]]
        if response.status in (404, 410):
            self.count(source.name, "skipped/sitemap_not_found")
            return
        yield self.item(response)
        content = self.content(response)
        body = sitemap_body(content.body, self.settings.getint("DOWNLOAD_MAXSIZE")) if content is not None else None
        if content is not None and body is None:
            self.count(source.name, "skipped/bad_sitemap")
            return
        if body and self.declares_entities(source, body, "sitemap", response.url):
            return
        yield from self.sitemap_requests(source, response.url, body or b"", response.meta["ess_depth"])

    def declares_entities(self, source: Source, body: bytes, listing: str, url: str) -> bool:
        """A sitemap or feed declaring XML entities is not read (entity expansion attacks); counted and logged."""
        if not XML_ENTITY.search(body[:65536]):
            return False
        self.count(source.name, "skipped/xml_entities")
        self.logger.warning("%s declares XML entities, not read: %s", listing, url)
        return True

    def sitemap_requests(self, source: Source, base: str, body: bytes, depth: int = 0):
        if not body:
            return
        if not body.rstrip().endswith((b"</urlset>", b"</sitemapindex>")):
            self.count(source.name, "skipped/truncated_sitemap")  # what parses before the cut is still used
        sitemap = Sitemap(body)
        for entry in sitemap:
            url = urljoin(base, entry.get("loc", "").strip())
            if not source.owns(url):
                self.count(source.name, "skipped/off_source_link")
            elif sitemap.type == "sitemapindex":
                if (request := self.sitemap_request(source, url, depth + 1)) is not None:
                    yield request
            elif self.link_extractors[source.name].matches(url):
                if (request := self.page_request(source, url, depth=0, lastmod=entry.get("lastmod"))) is not None:
                    yield request

    def parse_feed(self, response: Response):
        source = self.sources[response.meta["source"]]
        if response.status in (404, 410):
            self.count(source.name, "skipped/feed_not_found")
            return
        yield self.item(response)
        content = self.content(response)
        if content is None:
            return
        if self.declares_entities(source, content.body, "feed", response.url):
            return
        links = feed_links(content.body)
        if not links:
            self.count(source.name, "skipped/empty_or_bad_feed")
        elif not content.body.rstrip().endswith((b"</rss>", b"</feed>", b"RDF>")):
            self.count(source.name, "skipped/truncated_feed")  # the links before the cut are still followed
        for href in links:
            url = response.urljoin(href.strip())
            if not source.owns(url):
                self.count(source.name, "skipped/off_source_link")
            elif self.link_extractors[source.name].matches(url):
                if (request := self.page_request(source, url, depth=0)) is not None:
                    yield request


class SourcesSpider(ListingCallbacks, scrapy.Spider):
    name = "sources"

    def __init__(self, sources: list[Source], mode: str = "crawl", max_pages: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.sources = {s.name: s for s in sources}
        self.mode, self.max_pages = mode, max_pages
        self.revisited = False  # recrawl: the known pages not seen yet were scheduled (on the first idle)
        kept = [e for e in IGNORED_EXTENSIONS if e not in KEPT_EXTENSIONS]
        self.link_extractors = {
            s.name: LinkExtractor(allow=s.allow, deny=s.deny, deny_extensions=kept) for s in sources
        }

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_dropped, signal=signals.request_dropped)
        crawler.signals.connect(spider.on_robots, signal=signals.robots_parsed)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        ess: Settings = crawler.settings["ESS_SETTINGS"]
        spider.ess, spider.state = ess, CrawlState(ess.crawl_db)
        revalidate = timedelta(days=ess.recrawl_revalidate_days)
        policy = {"mode": spider.mode, "max_pages": spider.max_pages, "revalidate_after": revalidate}
        spider.frontier = Frontier(list(spider.sources.values()), spider.state, spider.count, **policy)
        return spider

    def on_robots(self, robotparser, request) -> None:
        """Sitemaps named in a robots.txt the robots middleware just read (no second fetch of it)."""
        source = self.sources.get(request.meta.get("source"))
        for url in getattr(getattr(robotparser, "rp", None), "sitemaps", ()):
            if source is not None and source.owns(url) and (sitemap := self.sitemap_request(source, url, 0)):
                self.crawler.engine.crawl(sitemap)

    def on_idle(self, spider=None) -> None:
        """Recrawl, the first time nothing is left to do: ask again every known page not seen in this run."""
        if self.mode != "recrawl" or self.revisited:
            return
        self.revisited = True
        requests = [
            request
            for source in self.sources.values()
            for row in self.state.known_pages(source.name)
            if (request := self.page_request(source, row["fetch_url"], depth=row["depth"])) is not None
        ]
        for request in requests:
            self.crawler.engine.crawl(request)
        if requests:
            self.logger.info("recrawl: %d known pages not seen in this run asked again", len(requests))
            raise DontCloseSpider

    def on_dropped(self, request, spider=None) -> None:
        """A redirect to a URL already fetched (a loop, or a second way to one page) is dropped: count it."""
        if request.meta.get("redirect_times"):
            self.count(request.meta.get("source", "?"), "skipped/redirect_to_known_url")

    def closed(self, reason: str) -> None:
        self.state.close()

    async def start(self):
        for source in self.sources.values():
            for request in self.seed_requests(source):
                if request is not None:
                    yield request

    def seed_requests(self, source: Source):
        for root in source.roots():
            yield self.sitemap_request(source, root + "/sitemap.xml", 0)
        for url in source.sitemaps:
            yield self.sitemap_request(source, url, 0)
        for url in source.feeds:
            yield self.request(source, url, self.parse_feed, "feed")
        for url in source.start_urls:
            yield self.page_request(source, url, depth=0)

    def request(self, source: Source, url: str, callback, role: str, depth: int = 0):
        url = clean_url(url)
        meta = {"source": source.name, "role": role, "ess_depth": depth, "handle_httpstatus_list": HANDLED_STATUSES}
        headers = self.frontier.conditional_headers(url)
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta, headers=headers)

    def page_request(self, source: Source, url: str, depth: int, lastmod: str | None = None):
        if self.frontier.admit_page(source, url, lastmod):
            return self.request(source, url, self.parse_page, "page", depth)
        return None

    def sitemap_request(self, source: Source, url: str, depth: int):
        if self.frontier.admit_sitemap(source, url, depth):
            return self.request(source, url, self.parse_sitemap, "sitemap", depth)
        return None

    def count(self, source: str, what: str) -> None:
        count(self.crawler.stats, source, what)

    def on_error(self, failure):
        request = failure.request
        source = request.meta.get("source", "?")
        reason = failure_reason(failure)
        self.count(source, reason)
        self.logger.info("%s: %s (%s)", reason, request.url, failure.value)
        if request.meta.get("role") == "page" and reason.startswith("errors/"):
            yield FetchFailure(source, canonical_url(request.url), request.url, reason, now_iso())

    def item(self, response: Response) -> FetchedResponse:
        exchange = Exchange(
            url=response.url,
            status=response.status,
            reason=response_reason(response),
            request_headers=decoded_headers(response.request.headers),
            response_headers=decoded_headers(response.headers),
            body=response.body,
            fetched_at=now_iso(),
            extra={},
        )
        meta = response.meta
        return FetchedResponse(meta["source"], canonical_url(response.url), meta["role"], meta["ess_depth"], exchange)

    def content(self, response: Response) -> Response | None:
        return readable(response, self.state, self.ess.raw_dir, self.mode)

    def parse_page(self, response: Response):
        source = response.meta["source"]
        self.count(source, "fetched")
        if response.status in (304, 404, 410):
            yield self.item(response)
            if response.status == 304 and (archived := self.content(response)) is not None:
                yield from self.follow(archived)
            return
        kind = page_kind(response)
        if kind is None:
            self.count(source, "skipped/content_type:" + (content_type(response) or "none"))
            return
        if not response.body.strip():
            self.count(source, "skipped/empty_body")
            return
        yield self.item(response)
        if kind == "html":
            yield from self.follow(response)

    def follow(self, response: HtmlResponse):
        source = self.sources[response.meta["source"]]
        for link in response.css("link[rel~=alternate]"):
            href = link.attrib.get("href")
            if link.attrib.get("type", "").lower() in FEED_TYPES and href:
                if self.frontier.admit_feed(source, url := response.urljoin(href)):
                    yield self.request(source, url, self.parse_feed, "feed")
        yield from self.follow_links(source, response)

    def follow_links(self, source: Source, response: HtmlResponse):
        depth = response.meta["ess_depth"] + 1
        if depth > source.max_depth:
            self.count(source.name, "skipped/max_depth")  # this page's links are not followed
            return
        if (cut := link_farm_cut(response.body)) is not None:
            self.count(source.name, "skipped/too_many_links")
            self.logger.info("too many links, only the first ones followed: %s", response.url)
            response = response.replace(body=response.body[:cut])
        for link in self.link_extractors[source.name].extract_links(response):
            if not source.owns(link.url):
                self.count(source.name, "skipped/off_source_link")
            elif (request := self.page_request(source, link.url, depth)) is not None:
                yield request
