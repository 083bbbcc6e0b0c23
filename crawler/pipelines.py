"""Item pipeline: decides what a response means for the archive and the crawl state, and counts it.

New or changed content gets WARC records; a 304 or the same content hash only updates the state;
a page now 404/410 is archived once as gone. Counters per source feed the run summary.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from crawler.items import FetchedResponse, FetchFailure, count
from crawler.state import CrawlState
from pipeline.archive.warc_writer import GONE_STATUSES, WarcArchive, now_iso
from pipeline.config import Settings


def content_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name), None)


class WarcArchivePipeline:
    def __init__(self, crawler, ess: Settings):
        self.crawler, self.ess = crawler, ess

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(crawler, settings["ESS_SETTINGS"])

    def open_spider(self) -> None:
        self.started = now_iso()
        self.archive = WarcArchive(self.ess.raw_dir, self.ess.warc_max_mb * 1024 * 1024)
        self.state = CrawlState(self.ess.crawl_db)

    def process_item(self, item):
        if isinstance(item, FetchFailure):
            self.state.failed(item.key, item.source, item.url, item.error, item.fetched_at)
            return item
        count(self.crawler.stats, item.source, self.record(item))
        return item

    def record(self, item: FetchedResponse) -> str:
        """Archive and record the response; return its outcome."""
        prior, response = self.state.get(item.key), item.exchange
        if response.status == 304:
            self.state.touched(item.key, response.fetched_at, 304)
            return "not_modified"
        gone = response.status in GONE_STATUSES
        if gone and (prior is None or prior["warc_file"] is None):
            self.state.failed(item.key, item.source, response.url, f"http_{response.status}", response.fetched_at)
            return "not_found"  # a broken link, never a page of ours: nothing to archive
        digest = content_hash(response.body)
        if prior is not None and prior["status"] is not None and bool(prior["gone"]) == gone:
            if gone or prior["content_hash"] == digest:
                self.state.touched(item.key, response.fetched_at, response.status)
                return "gone" if gone else "unchanged"
        self.archive_response(item, digest, gone)
        if gone:
            return "gone"
        return "new" if prior is None or prior["status"] is None else "changed"

    def archive_response(self, item: FetchedResponse, digest: str, gone: bool) -> None:
        extra = {"ESS-Source": item.source, "ESS-Role": item.role, "ESS-Depth": str(item.depth)}
        response = replace(item.exchange, extra=extra)
        warc_file, offset = self.archive.write(response)
        headers = response.response_headers
        self.state.stored(
            {
                "url": item.key,
                "fetch_url": response.url,
                "source": item.source,
                "role": item.role,
                "depth": item.depth,
                "status": response.status,
                "content_type": header(headers, "content-type"),
                "etag": header(headers, "etag"),
                "last_modified": header(headers, "last-modified"),
                "content_hash": digest,
                "fetched_at": response.fetched_at,
                "warc_file": warc_file,
                "warc_offset": offset,
                "gone": int(gone),
            }
        )

    def close_spider(self) -> None:
        self.archive.close()
        command = self.crawler.settings.get("ESS_COMMAND", "crawl")
        self.state.save_run(command, self.started, now_iso(), source_summaries(self.crawler.stats.get_stats()))
        self.state.close()


def source_summaries(stats: dict) -> dict[str, dict]:
    """``ess/<source>/<counter>`` stats as {source: {counter: n}}."""
    summaries: dict[str, dict] = {}
    for key, value in stats.items():
        parts = key.split("/", 2)
        if len(parts) == 3 and parts[0] == "ess":
            summaries.setdefault(parts[1], {})[parts[2]] = value
    return summaries
