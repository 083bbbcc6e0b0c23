"""Downloader middlewares: a safety guard on every request (redirects included), polite retries, robots.txt
read as RFC 9309 asks and gzip bodies checked whole."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import zlib
from email.utils import parsedate_to_datetime
from functools import lru_cache
from time import time
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest, StopDownload
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.response import response_status_message
from twisted.internet.defer import Deferred

log = logging.getLogger(__name__)
ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309 2.5: what follows the first 500 KiB of a robots.txt may be ignored


class Refused(IgnoreRequest):
    """A request the crawler will not make; ``reason`` names why (and is counted)."""

    def __init__(self, reason: str, url: str):
        super().__init__(f"refused ({reason}): {url}")
        self.reason = reason


def is_private_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not ip.is_global or ip.is_multicast


@lru_cache(maxsize=4096)
def resolves_to_private(host: str) -> bool:
    """True when the host is, or resolves to, a loopback, private, link-local or reserved address."""
    try:
        return is_private_address(host)
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return False  # unresolvable: the download itself fails with a DNS error, counted there
    return any(is_private_address(info[4][0].split("%")[0]) for info in infos)


class SourceGuardMiddleware:
    """Refuses non-HTTP schemes, URLs outside the request's source, and private addresses.

    It sits before every other downloader middleware, so redirects, which come back through the
    scheduler as new requests, are checked by the same rules.
    """

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request):
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https"):
            raise Refused("scheme", request.url)
        source = self.crawler.spider.sources.get(request.meta.get("source"))
        if source is None:
            return None
        if not source.owns(request.url):
            raise Refused("off_source", request.url)
        if not source.allow_private and resolves_to_private(parts.hostname or ""):
            raise Refused("private_address", request.url)
        return None


def retry_after_seconds(value: bytes | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), None if absent or bad."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        return max(0.0, parsedate_to_datetime(text).timestamp() - time())
    except (TypeError, ValueError):
        return None


class PoliteRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, but 429 and 503 wait first: Retry-After when given, else exponential backoff.

    A server asking for a longer wait than ``RETRY_MAX_WAIT`` is not retried in this run.
    """

    BACKOFF_STATUSES = {429, 503}

    def __init__(self, settings):
        super().__init__(settings)
        self.base_wait = settings.getfloat("RETRY_BASE_WAIT", 1.0)
        self.max_wait = settings.getfloat("RETRY_MAX_WAIT", 60.0)

    def process_exception(self, request, exception):
        if request.meta.get("dont_obey_robotstxt"):
            return None
        return super().process_exception(request, exception)

    async def process_response(self, request, response):
        if request.meta.get("dont_obey_robotstxt"):
            return response  # robots.txt itself: a failure blocks the site for this run (RFC 9309), no retry
        if response.status not in self.BACKOFF_STATUSES or request.meta.get("dont_retry"):
            return super().process_response(request, response)
        attempt = request.meta.get("retry_times", 0)
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        wait = self.base_wait * 2**attempt if wait is None else wait
        if wait > self.max_wait:
            self.crawler.stats.inc_value("ess/retry_after_too_long")
            log.warning("%s asks to wait %.0f s, more than %.0f s: not retried", request.url, wait, self.max_wait)
            return response
        await asyncio.sleep(wait)
        return self._retry(request, response_status_message(response.status)) or response


class StrictRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt support, with two corrections.

    - RFC 9309 for servers that fail: a robots.txt answered with a 5xx means the site is unreachable
      and must not be crawled now; a 4xx means no rules (all allowed).
    - Requests that wait for a site's robots.txt while it downloads all get its rules. In Scrapy 2.19
      they await the same Deferred through ``asFuture``, which hands the parser to the first waiter
      and ``None`` (allow all) to the others, so their pages were fetched unchecked.
    """

    DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"

    def __init__(self, crawler):
        super().__init__(crawler)
        crawler.signals.connect(self.robots_bytes, signal=signals.bytes_received)

    @staticmethod
    def robots_bytes(data: bytes, request) -> None:
        """Stop downloading a robots.txt past ``ROBOTS_MAX_BYTES``: the start is kept and parsed."""
        if request.meta.get("dont_obey_robotstxt") and urlparse_cached(request).path == "/robots.txt":
            received = request.meta["ess_robots_bytes"] = request.meta.get("ess_robots_bytes", 0) + len(data)
            if received > ROBOTS_MAX_BYTES:
                raise StopDownload(fail=False)

    async def robot_parser(self, request):
        netloc = urlparse_cached(request).netloc
        pending = self._parsers.get(netloc)
        if not isinstance(pending, Deferred):
            return await super().robot_parser(request)
        done = Deferred()
        pending.addBoth(lambda result: done.callback(None) or result)
        await maybe_deferred_to_future(done)
        parser = self._parsers[netloc]  # set before the pending Deferred fires
        return None if isinstance(parser, Deferred) else parser

    async def _parse_robots(self, response, netloc, request):
        if response.status >= 500:
            self.crawler.stats.inc_value("ess/robots_unreachable")
            log.warning("%s answered robots.txt with %d: not crawled in this run", netloc, response.status)
            response = response.replace(body=self.DISALLOW_ALL)
        elif len(response.body) > ROBOTS_MAX_BYTES:
            self.crawler.stats.inc_value("ess/robots_truncated")
            log.warning("%s has a robots.txt over %d bytes: only its start is read", netloc, ROBOTS_MAX_BYTES)
            body = response.body[:ROBOTS_MAX_BYTES]
            response = response.replace(body=body[: body.rfind(b"\n") + 1])  # no half rule at the cut
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        """A robots.txt announcing more than DOWNLOAD_MAXSIZE is not read at all: the site is unreachable."""
        if not isinstance(exc, DownloadCancelledError):
            super()._robots_error(exc, netloc)
            return
        self.crawler.stats.inc_value("ess/robots_unreachable")
        log.warning("%s announces a robots.txt over the size limit: not crawled in this run", netloc)
        parser = build_from_crawler(self._parserimpl, self.crawler, self.DISALLOW_ALL)
        waiting, self._parsers[netloc] = self._parsers[netloc], parser
        waiting.callback(parser)


class TruncatedBody(Exception):
    """A compressed body that ends before its compressed stream does."""


def gzip_complete(body: bytes, max_size: int) -> bool:
    """True when the gzip stream reaches its end (or inflates past ``max_size``, which is refused later)."""
    inflater, data, size = zlib.decompressobj(wbits=31), body, 0
    try:
        while data and not inflater.eof and (not max_size or size <= max_size):
            size += len(inflater.decompress(data, 65536))
            data = inflater.unconsumed_tail
    except zlib.error:
        return False
    return inflater.eof or bool(max_size and size > max_size)


class TruncatedGzipMiddleware:
    """Refuses a response whose gzip Content-Encoding stream is cut short.

    Scrapy's HttpCompressionMiddleware, which runs after this one on responses, keeps what inflates of a
    truncated body without a word: a page cut in half would be archived as the page.
    """

    def __init__(self, max_size: int):
        self.max_size = max_size

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getint("DOWNLOAD_MAXSIZE"))

    def process_response(self, request, response):
        encodings = [e.strip().lower() for v in response.headers.getlist("Content-Encoding") for e in v.split(b",")]
        stopped = "download_stopped" in response.flags  # cut on purpose (a long robots.txt): what inflates is read
        if request.method != "HEAD" and encodings in ([b"gzip"], [b"x-gzip"]) and response.body and not stopped:
            if not gzip_complete(response.body, self.max_size):
                log.warning("%s: gzip body cut short (%d bytes)", request.url, len(response.body))
                raise TruncatedBody(f"gzip body cut short: {request.url}")
        return response
