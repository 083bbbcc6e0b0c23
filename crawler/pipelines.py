"""Item pipelines: every fetched response goes into a WARC file and the crawl-state table."""

from __future__ import annotations

import hashlib
import os
import time
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.items import FetchedResponse
from crawler.state import CrawlState

# The body we store is already decoded by Scrapy: drop the headers that describe the wire encoding.
WIRE_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


def content_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name), None)


class WarcArchivePipeline:
    """Appends one WARC ``response`` record per item and records the URL's state."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("ESS_DATA_DIR"))

    def open_spider(self) -> None:
        raw_dir = self.data_dir / "raw"
        raw_dir.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        self.path = raw_dir / f"crawl-{stamp}-{os.getpid()}.warc.gz"
        self.partial = self.path.with_name(self.path.name + ".open")
        self.file = open(self.partial, "wb")
        self.writer = WARCWriter(self.file, gzip=True)
        self.state = CrawlState(self.data_dir / "crawl.sqlite")

    def process_item(self, item: FetchedResponse) -> FetchedResponse:
        offset = self.file.tell()
        self.writer.write_record(self._record(item))
        self.file.flush()
        self.state.record(
            {
                "url": item.url,
                "source": item.source,
                "role": item.role,
                "status": item.status,
                "content_type": header(item.headers, "content-type"),
                "etag": header(item.headers, "etag"),
                "last_modified": header(item.headers, "last-modified"),
                "content_hash": content_hash(item.body),
                "fetched_at": item.fetched_at,
                "warc_file": self.path.name,
                "warc_offset": offset,
            }
        )
        return item

    def _record(self, item: FetchedResponse):
        headers = [(k, v) for k, v in item.headers if k.lower() not in WIRE_HEADERS]
        headers.append(("Content-Length", str(len(item.body))))
        http_headers = StatusAndHeaders(f"{item.status} OK", headers, protocol="HTTP/1.1")
        return self.writer.create_warc_record(
            item.url,
            "response",
            payload=BytesIO(item.body),
            http_headers=http_headers,
            warc_headers_dict={
                "WARC-Date": item.fetched_at,
                "ESS-Source": item.source,
                "ESS-Role": item.role,
                "ESS-Depth": str(item.depth),
            },
        )

    def close_spider(self) -> None:
        self.file.close()
        self.state.close()
        self.partial.rename(self.path)
