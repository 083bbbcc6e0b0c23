"""A page or sitemap that answers 304 Not Modified is read again from its archived copy."""

from __future__ import annotations

from pathlib import Path

from scrapy.http import HtmlResponse, Response

from crawler.state import CrawlState
from pipeline.archive.urls import canonical_url
from pipeline.archive.warc_writer import read_response_body


def readable(response: Response, state: CrawlState, raw_dir: Path, mode: str) -> Response | None:
    """The response to read: itself, or on 304 its archived copy (None when links need not be read again).

    A recrawl reads only sitemaps again, for their ``lastmod`` dates and new entries.
    """
    if response.status != 304:
        return response
    if mode != "crawl" and response.meta["role"] != "sitemap":
        return None
    row = state.get(canonical_url(response.url))
    if row is None or row["warc_file"] is None:
        return None
    body = read_response_body(raw_dir, row["warc_file"], row["warc_offset"])
    headers = {"Content-Type": row["content_type"] or "text/html"}
    return HtmlResponse(response.url, body=body, headers=headers, request=response.request)
