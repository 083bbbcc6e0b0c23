"""The WARC archive: gzip files of request + response records, rotated by size, read back by offset."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

# The bodies we store are decoded by Scrapy: drop the headers that describe the wire encoding.
WIRE_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


@dataclass
class Exchange:
    """One HTTP exchange to archive."""

    url: str
    status: int
    reason: str
    request_headers: list[tuple[str, str]]
    response_headers: list[tuple[str, str]]
    body: bytes
    fetched_at: str
    extra: dict[str, str]


GONE_STATUSES = frozenset({404, 410})  # a page that answers these is gone; its document stays, flagged


def now_iso() -> str:
    """The current UTC time as WARC-Date and the stores write it."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class WarcArchive:
    """Appends records to ``<prefix>-<time>-<pid>-<n>.warc.gz`` files, starting a new file past ``max_bytes``."""

    def __init__(self, raw_dir: Path, max_bytes: int, prefix: str = "crawl"):
        self.raw_dir, self.max_bytes = Path(raw_dir), max_bytes
        self.raw_dir.mkdir(parents=True, exist_ok=True)
        self.stamp = f"{prefix}-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{os.getpid()}"
        self.sequence, self.file, self.writer = 0, None, None

    def _open_next(self) -> None:
        self.close()
        self.sequence += 1
        self.path = self.raw_dir / f"{self.stamp}-{self.sequence:03d}.warc.gz"
        self.file = open(self.path, "ab")
        self.writer = WARCWriter(self.file, gzip=True)

    def write(self, exchange: Exchange) -> tuple[str, int]:
        """Write response then request records; return (file name, offset of the response record)."""
        if self.file is None or self.file.tell() >= self.max_bytes:
            self._open_next()
        offset = self.file.tell()
        response = self._response_record(exchange)
        request = self._request_record(exchange, response.rec_headers.get_header("WARC-Record-ID"))
        self.writer.write_record(response)
        self.writer.write_record(request)
        self.file.flush()
        return self.path.name, offset

    def write_resource(
        self, url: str, content_type: str, body: bytes, at: str, extra: dict[str, str]
    ) -> tuple[str, int]:
        """Write a file's content as a WARC ``resource`` record (no HTTP exchange); return its place."""
        if self.file is None or self.file.tell() >= self.max_bytes:
            self._open_next()
        offset = self.file.tell()
        record = self.writer.create_warc_record(
            url,
            "resource",
            payload=BytesIO(body),
            warc_content_type=content_type,
            warc_headers_dict={"WARC-Date": at, **extra},
        )
        self.writer.write_record(record)
        self.file.flush()
        return self.path.name, offset

    def _response_record(self, exchange: Exchange):
        headers = [(k, v) for k, v in exchange.response_headers if k.lower() not in WIRE_HEADERS]
        headers.append(("Content-Length", str(len(exchange.body))))
        status = StatusAndHeaders(f"{exchange.status} {exchange.reason}", headers, protocol="HTTP/1.1")
        warc_headers = {"WARC-Date": exchange.fetched_at, **exchange.extra}
        return self.writer.create_warc_record(
            exchange.url,
            "response",
            payload=BytesIO(exchange.body),
            http_headers=status,
            warc_headers_dict=warc_headers,
        )

    def _request_record(self, exchange: Exchange, response_id: str):
        parts = urlsplit(exchange.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = [("Host", parts.netloc), *exchange.request_headers]
        status = StatusAndHeaders(f"GET {target} HTTP/1.1", headers, is_http_request=True)
        warc_headers = {"WARC-Date": exchange.fetched_at, "WARC-Concurrent-To": response_id}
        return self.writer.create_warc_record(
            exchange.url, "request", http_headers=status, warc_headers_dict=warc_headers
        )

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


def read_response_body(raw_dir: Path, warc_file: str, offset: int) -> bytes:
    """The payload of the response record at ``offset`` of ``warc_file``."""
    with open(Path(raw_dir) / warc_file, "rb") as stream:
        stream.seek(offset)
        record = next(iter(ArchiveIterator(stream)))
        return record.content_stream().read()
