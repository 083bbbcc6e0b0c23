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

import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urljoin

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.linkextractors import IGNORED_EXTENSIONS, LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

from crawler.items import FetchedResponse, FetchFailure, count
from crawler.middlewares import Refused
from crawler.registry import Source
from crawler.state import CrawlState
from pipeline.archive import Exchange, now_iso, read_response_body
from pipeline.config import Settings
from pipeline.listings import XML_ENTITY, feed_links
from pipeline.urls import MAX_URL_LENGTH, canonical_url, clean_url

FEED_TYPES = ("application/rss+xml", "application/atom+xml")
KEPT_EXTENSIONS = {"pdf"}
HANDLED_STATUSES = [304, 404, 410]
ERROR_NAMES = {
    "DownloadTimeoutError": "timeout",
    "TimeoutError": "timeout",
    "DNSLookupError": "dns_lookup",
    "CannotResolveHostError": "dns_lookup",
    "ConnectionRefusedError": "connection_refused",
    "ResponseDataLossError": "data_loss",  # the connection closed before the announced Content-Length
    "TruncatedBody": "truncated_gzip",
}
MAX_SITEMAP_DEPTH = 2  # a sitemap index may list indexes once more; deeper, it is an endless chain
MAX_LINKS_PER_PAGE = 5000  # links read from one page; past them, a link farm or a generated trap
ANCHOR = re.compile(rb"<a[\s>]", re.I)


def content_type(response: Response) -> str:
    value = response.headers.get("Content-Type", b"").decode("latin-1")
    return value.split(";")[0].strip().lower()


def page_kind(response: Response) -> str | None:
    """``html`` or ``pdf`` for what we keep (sniffing the body when the header lies), else None."""
    if response.body[:5] == b"%PDF-":
        return "pdf"
    head = response.body[:1024].lstrip().lower()
    if content_type(response) in ("text/html", "application/xhtml+xml") or head.startswith(
        (b"<!doctype html", b"<html")
    ):
        return "html"
    return None


def lastmod_utc(value: str) -> datetime | None:
    """A sitemap ``<lastmod>`` as a UTC datetime: a date counts as the end of its day (UTC), a datetime with an
    offset is converted; None for anything else (unreadable, or a time without a time zone)."""
    text = value.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC) + timedelta(days=1)
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def decoded_headers(headers) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, values in headers.items() for v in values]


class SourcesSpider(scrapy.Spider):
    name = "sources"

    def __init__(self, sources: list[Source], mode: str = "crawl", max_pages: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.sources = {s.name: s for s in sources}
        self.mode, self.max_pages = mode, max_pages
        self.seen: dict[str, str] = {}  # canonical URL -> source that scheduled it
        self.page_counts = dict.fromkeys(self.sources, 0)
        self.sitemap_counts = dict.fromkeys(self.sources, 0)
        self.sitemaps_seen: set[str] = set()  # canonical URLs of the sitemaps requested
        self.started = datetime.now(UTC)
        self.revisited = False  # recrawl: the known pages not seen yet were scheduled (on the first idle)
        self.link_extractors = {
            s.name: LinkExtractor(
                allow=s.allow, deny=s.deny, deny_extensions=[e for e in IGNORED_EXTENSIONS if e not in KEPT_EXTENSIONS]
            )
            for s in sources
        }

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_dropped, signal=signals.request_dropped)
        crawler.signals.connect(spider.on_robots, signal=signals.robots_parsed)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        return spider

    @property
    def revalidate_after(self) -> timedelta:
        """Age past which a known page is asked again whatever its sitemap ``lastmod`` says."""
        return timedelta(days=self.ess.recrawl_revalidate_days)

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
        scheduled = 0
        for request in self.revisit_requests():
            self.crawler.engine.crawl(request)
            scheduled += 1
        if scheduled:
            self.logger.info("recrawl: %d known pages not seen in this run asked again", scheduled)
            raise DontCloseSpider

    def revisit_requests(self):
        for source in self.sources.values():
            for row in self.state.known_pages(source.name):
                if (request := self.page_request(source, row["fetch_url"], depth=row["depth"])) is not None:
                    yield request

    def on_dropped(self, request, spider=None) -> None:
        """A redirect to a URL already fetched (a loop, or a second way to one page) is dropped: count it."""
        if request.meta.get("redirect_times"):
            self.count(request.meta.get("source", "?"), "skipped/redirect_to_known_url")

    @property
    def ess(self) -> Settings:
        """The one settings object (data directory layout, recrawl policy)."""
        return self.settings["ESS_SETTINGS"]

    @property
    def state(self) -> CrawlState:
        if not hasattr(self, "_state"):
            self._state = CrawlState(self.ess.crawl_db)
        return self._state

    def closed(self, reason: str) -> None:
        if hasattr(self, "_state"):
            self._state.close()

    # --- requests ---------------------------------------------------------------------------------

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
        headers = self.conditional_headers(url)
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta, headers=headers)

    def conditional_headers(self, url: str) -> dict[str, str]:
        row = self.state.get(canonical_url(url))
        if row is None or row["warc_file"] is None or row["gone"]:
            return {}
        headers = {}
        if row["etag"]:
            headers["If-None-Match"] = row["etag"]
        if row["last_modified"]:
            headers["If-Modified-Since"] = row["last_modified"]
        return headers

    def page_request(self, source: Source, url: str, depth: int, lastmod: str | None = None):
        """A request for a page no source has scheduled yet, while this source is under its page limit.

        A page whose sitemap ``lastmod`` shows it unchanged since its last fetch takes its place in this run
        but is not requested (counted).
        """
        if len(url) > MAX_URL_LENGTH:
            self.count(source.name, "skipped/url_too_long")
            return None
        key = canonical_url(url)
        if key in self.seen:
            return None
        limit = min(source.max_pages, self.max_pages or source.max_pages)
        if self.page_counts[source.name] >= limit:
            self.count(source.name, "skipped/max_pages")
            return None
        self.seen[key] = source.name
        self.page_counts[source.name] += 1
        if lastmod and self.unchanged_since_fetch(key, lastmod):
            self.count(source.name, "unchanged/sitemap_lastmod")
            return None
        return self.request(source, url, self.parse_page, "page", depth)

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

    def sitemap_request(self, source: Source, url: str, depth: int):
        """A request for a sitemap not requested yet, within the sitemap depth and the source's limit (as pages).

        Returns None, counted, for a sitemap index that lists itself or an already read sitemap, an endless
        chain of indexes, or more sitemaps than the source may have pages.
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
            return self.request(source, url, self.parse_sitemap, "sitemap", depth)
        if reason:
            self.count(source.name, f"skipped/{reason}")
            self.logger.info("sitemap not read, %s: %s", reason, url[:200])
        return None

    # --- bookkeeping ------------------------------------------------------------------------------

    def count(self, source: str, what: str) -> None:
        count(self.crawler.stats, source, what)

    def on_error(self, failure):
        request = failure.request
        source = request.meta.get("source", "?")
        reason = self.failure_reason(failure)
        self.count(source, reason)
        self.logger.info("%s: %s (%s)", reason, request.url, failure.value)
        if request.meta.get("role") == "page" and reason.startswith("errors/"):
            yield FetchFailure(source, canonical_url(request.url), request.url, reason, now_iso())

    @staticmethod
    def failure_reason(failure) -> str:
        if failure.check(Refused):
            return f"skipped/{failure.value.reason}"
        if failure.check(HttpError):
            role = failure.request.meta.get("role")
            status = failure.value.response.status
            if 300 <= status < 400:
                return "skipped/redirect_not_followed"  # e.g. to file:// or without a Location
            return f"skipped/{role}_not_found" if role != "page" and status in (404, 410) else f"errors/http_{status}"
        if failure.check(IgnoreRequest):
            text = str(failure.value)
            if "exceeded DOWNLOAD_MAXSIZE" in text:  # a compressed body inflating past the limit (a gzip bomb)
                return "skipped/too_large"
            return (
                "robots_blocked" if "robots.txt" in text else "skipped/" + text.split(":")[0].lower().replace(" ", "_")
            )
        name = failure.type.__name__
        if name == "DownloadCancelledError":  # Scrapy cancels a download only past DOWNLOAD_MAXSIZE
            return "skipped/too_large"  # (announced by Content-Length, or reached while the body streams)
        return f"errors/{ERROR_NAMES.get(name, name)}"

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
        """The response to read: itself, or on 304 its archived copy (None when links need not be read again).

        A recrawl reads only sitemaps again, for their ``lastmod`` dates and new entries.
        """
        if response.status != 304:
            return response
        if self.mode != "crawl" and response.meta["role"] != "sitemap":
            return None
        row = self.state.get(canonical_url(response.url))
        if row is None or row["warc_file"] is None:
            return None
        body = read_response_body(self.ess.raw_dir, row["warc_file"], row["warc_offset"])
        headers = {"Content-Type": row["content_type"] or "text/html"}
        return HtmlResponse(response.url, body=body, headers=headers, request=response.request)

    # --- callbacks --------------------------------------------------------------------------------

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
        yield from self.follow_feeds(response)
        yield from self.follow_links(response)

    def follow_links(self, response: HtmlResponse):
        source, depth = self.sources[response.meta["source"]], response.meta["ess_depth"] + 1
        if depth > source.max_depth:
            self.count(source.name, "skipped/max_depth")  # this page's links are not followed
            return
        for link in self.link_extractors[source.name].extract_links(self.first_links(response)):
            if not source.owns(link.url):
                self.count(source.name, "skipped/off_source_link")
            elif (request := self.page_request(source, link.url, depth)) is not None:
                yield request

    def first_links(self, response: HtmlResponse) -> HtmlResponse:
        """The response, cut before its ``MAX_LINKS_PER_PAGE + 1``-th link (counted) so a link farm costs little."""
        for number, anchor in enumerate(ANCHOR.finditer(response.body)):
            if number == MAX_LINKS_PER_PAGE:
                self.count(response.meta["source"], "skipped/too_many_links")
                self.logger.info("too many links, only the first %d followed: %s", number, response.url)
                return response.replace(body=response.body[: anchor.start()])
        return response

    def follow_feeds(self, response: HtmlResponse):
        source = self.sources[response.meta["source"]]
        for link in response.css("link[rel~=alternate]"):
            href = link.attrib.get("href")
            if link.attrib.get("type", "").lower() in FEED_TYPES and href:
                url = response.urljoin(href)
                if source.owns(url) and canonical_url(url) not in self.seen:
                    self.seen[canonical_url(url)] = source.name
                    yield self.request(source, url, self.parse_feed, "feed")

    def parse_sitemap(self, response: Response):
        source = self.sources[response.meta["source"]]
        if response.status in (404, 410):
            self.count(source.name, "skipped/sitemap_not_found")
            return
        yield self.item(response)
        content = self.content(response)
        body = self.sitemap_body(content) if content is not None else None
        if content is not None and body is None:
            self.count(source.name, "skipped/bad_sitemap")
            return
        if body and XML_ENTITY.search(body[:65536]):
            self.count(source.name, "skipped/xml_entities")
            self.logger.warning("sitemap declares XML entities, not read: %s", response.url)
            return
        yield from self.sitemap_requests(source, response.url, body or b"", response.meta["ess_depth"])

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

    def sitemap_body(self, response: Response) -> bytes | None:
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gunzip(body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE"))
            except Exception:  # noqa: BLE001 - any decompression failure is a counted skip
                return None
        head = body[:4096]
        is_xml = head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")
        return body if is_xml and (b"<urlset" in head or b"<sitemapindex" in head) else None

    def parse_feed(self, response: Response):
        source = self.sources[response.meta["source"]]
        if response.status in (404, 410):
            self.count(source.name, "skipped/feed_not_found")
            return
        yield self.item(response)
        content = self.content(response)
        if content is None:
            return
        if XML_ENTITY.search(content.body[:65536]):
            self.count(source.name, "skipped/xml_entities")
            self.logger.warning("feed declares XML entities, not read: %s", response.url)
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


def response_reason(response: Response) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(response.status).phrase
    except ValueError:
        return "Unknown"
