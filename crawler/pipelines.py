"""Item pipeline: decides what a response means for the archive and the crawl state, and counts it.

New or changed content gets WARC records; a 304 or the same content hash only updates the state;
a page now 404/410 is archived once as gone. Counters per source feed the run summary.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from crawler.archive import Exchange, WarcArchive
from crawler.items import FetchedResponse, FetchFailure
from crawler.state import CrawlState

GONE_STATUSES = {404, 410}


def content_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name), None)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class WarcArchivePipeline:
    def __init__(self, crawler, data_dir: Path, warc_max_bytes: int):
        self.crawler, self.data_dir, self.warc_max_bytes = crawler, Path(data_dir), warc_max_bytes

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(crawler, settings.get("ESS_DATA_DIR"), settings.getint("ESS_WARC_MAX_BYTES"))

    def open_spider(self) -> None:
        self.started = now_iso()
        self.archive = WarcArchive(self.data_dir / "raw", self.warc_max_bytes)
        self.state = CrawlState(self.data_dir / "crawl.sqlite")

    def count(self, source: str, what: str) -> None:
        self.crawler.stats.inc_value(f"ess/{source}/{what}")

    def process_item(self, item):
        if isinstance(item, FetchFailure):
            self.state.failed(item.key, item.source, item.url, item.error, item.fetched_at)
            return item
        self.count(item.source, self.record(item))
        return item

    def record(self, item: FetchedResponse) -> str:
        """Archive and record the response; return its outcome."""
        prior = self.state.get(item.key)
        if item.status == 304:
            self.state.touched(item.key, item.fetched_at, 304)
            return "not_modified"
        gone = item.status in GONE_STATUSES
        if gone and (prior is None or prior["warc_file"] is None):
            self.state.failed(item.key, item.source, item.url, f"http_{item.status}", item.fetched_at)
            return "not_found"  # a broken link, never a page of ours: nothing to archive
        digest = content_hash(item.body)
        if prior is not None and prior["status"] is not None and bool(prior["gone"]) == gone:
            if gone or prior["content_hash"] == digest:
                self.state.touched(item.key, item.fetched_at, item.status)
                return "gone" if gone else "unchanged"
        self.archive_response(item, digest, gone)
        if gone:
            return "gone"
        return "new" if prior is None or prior["status"] is None else "changed"

    def archive_response(self, item: FetchedResponse, digest: str, gone: bool) -> None:
        extra = {"ESS-Source": item.source, "ESS-Role": item.role, "ESS-Depth": str(item.depth)}
        exchange = Exchange(
            item.url, item.status, item.reason, item.request_headers, item.headers, item.body, item.fetched_at, extra
        )
        warc_file, offset = self.archive.write(exchange)
        self.state.stored(
            {
                "url": item.key,
                "fetch_url": item.url,
                "source": item.source,
                "role": item.role,
                "depth": item.depth,
                "status": item.status,
                "content_type": header(item.headers, "content-type"),
                "etag": header(item.headers, "etag"),
                "last_modified": header(item.headers, "last-modified"),
                "content_hash": digest,
                "fetched_at": item.fetched_at,
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
