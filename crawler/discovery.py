"""Reading what a response says about itself and about other pages: its kind, its headers, a sitemap's body,
a sitemap ``lastmod``, where a link farm should be cut."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from scrapy.http import Response
from scrapy.utils.gz import gunzip

FEED_TYPES = ("application/rss+xml", "application/atom+xml")
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


def decoded_headers(headers) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, values in headers.items() for v in values]


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


def sitemap_body(body: bytes, max_size: int) -> bytes | None:
    """The XML of a sitemap (gunzipped within ``max_size``), or None when it is no sitemap."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gunzip(body, max_size=max_size)
        except Exception:  # noqa: BLE001 - any decompression failure is a counted skip
            return None
    head = body[:4096]
    is_xml = head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")
    return body if is_xml and (b"<urlset" in head or b"<sitemapindex" in head) else None


def link_farm_cut(body: bytes) -> int | None:
    """Where to cut a body before its ``MAX_LINKS_PER_PAGE + 1``-th link, or None when it has fewer."""
    for number, anchor in enumerate(ANCHOR.finditer(body)):
        if number == MAX_LINKS_PER_PAGE:
            return anchor.start()
    return None
