"""Downloader middlewares: a safety guard on every request (redirects included) and polite retries."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from email.utils import parsedate_to_datetime
from functools import lru_cache
from time import time
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.response import response_status_message

log = logging.getLogger(__name__)


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

    async def process_response(self, request, response):
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
