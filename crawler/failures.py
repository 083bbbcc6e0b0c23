"""Why a request failed, as the counters of a crawl name it (``errors/timeout``, ``skipped/too_large``...)."""

from __future__ import annotations

from http import HTTPStatus

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.middlewares import Refused

ERROR_NAMES = {
    "DownloadTimeoutError": "timeout",
    "TimeoutError": "timeout",
    "DNSLookupError": "dns_lookup",
    "CannotResolveHostError": "dns_lookup",
    "ConnectionRefusedError": "connection_refused",
    "ResponseDataLossError": "data_loss",  # the connection closed before the announced Content-Length
    "TruncatedBody": "truncated_gzip",
}


def failure_reason(failure) -> str:
    """``skipped/...`` for what we chose not to fetch, ``errors/...`` for what went wrong."""
    if failure.check(Refused):
        return f"skipped/{failure.value.reason}"
    if failure.check(HttpError):
        return http_error_reason(failure.request.meta.get("role"), failure.value.response.status)
    if failure.check(IgnoreRequest):
        text = str(failure.value)
        if "exceeded DOWNLOAD_MAXSIZE" in text:  # a compressed body inflating past the limit (a gzip bomb)
            return "skipped/too_large"
        return "robots_blocked" if "robots.txt" in text else "skipped/" + text.split(":")[0].lower().replace(" ", "_")
    name = failure.type.__name__
    if name == "DownloadCancelledError":  # Scrapy cancels a download only past DOWNLOAD_MAXSIZE
        return "skipped/too_large"  # (announced by Content-Length, or reached while the body streams)
    return f"errors/{ERROR_NAMES.get(name, name)}"


def http_error_reason(role: str | None, status: int) -> str:
    if 300 <= status < 400:
        return "skipped/redirect_not_followed"  # e.g. to file:// or without a Location
    return f"skipped/{role}_not_found" if role != "page" and status in (404, 410) else f"errors/http_{status}"


def response_reason(response: Response) -> str:
    """The HTTP reason phrase of the response's status, for the WARC record."""
    try:
        return HTTPStatus(response.status).phrase
    except ValueError:
        return "Unknown"
