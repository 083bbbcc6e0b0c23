"""Read the crawler's WARC archive: the latest archived state of every page, its body on demand."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from crawler.archive import read_response_body
from crawler.urls import canonical_url

log = logging.getLogger(__name__)
GONE_STATUSES = {"404", "410"}


@dataclass
class RawPage:
    url: str
    key: str  # canonical URL
    source: str
    status: int
    content_type: str
    fetched_at: str
    warc_file: str
    offset: int
    raw_hash: str

    @property
    def gone(self) -> bool:
        return self.status in (404, 410)


def _page_records(path: Path) -> Iterator[RawPage]:
    with open(path, "rb") as stream:
        records = ArchiveIterator(stream)
        for record in records:
            headers = record.rec_headers
            if record.rec_type not in ("response", "resource") or headers.get_header("ESS-Role") != "page":
                continue
            status = record.http_headers.get_statuscode() if record.http_headers else "200"  # resources: files
            if status != "200" and status not in GONE_STATUSES:
                continue
            url = headers.get_header("WARC-Target-URI")
            body_hash = hashlib.sha256(record.content_stream().read()).hexdigest()  # before the offset, which
            yield RawPage(  # warcio finds by reading the record to its end
                url=url,
                key=canonical_url(url),
                source=headers.get_header("ESS-Source") or "",
                status=int(status),
                content_type=content_type(record),
                fetched_at=headers.get_header("WARC-Date"),
                warc_file=path.name,
                offset=records.get_record_offset(),
                raw_hash=body_hash,
            )


def content_type(record) -> str:
    if record.http_headers is not None:
        return record.http_headers.get_header("Content-Type") or ""
    return record.rec_headers.get_header("Content-Type") or ""


def latest_pages(raw_dir: Path) -> dict[str, RawPage]:
    """Canonical URL -> its most recent archived page record (200, or 404/410 once gone), oldest file first.

    A damaged file (for instance the last record of a killed crawl) is read up to the damage.
    """
    latest: dict[str, RawPage] = {}
    for path in sorted(raw_dir.glob("*.warc.gz")):
        try:
            for page in _page_records(path):
                latest[page.key] = page
        except (ArchiveLoadFailed, EOFError, OSError, ValueError) as exc:
            log.warning("%s: stopped reading at a damaged record: %s", path.name, exc)
    return latest


def read_body(raw_dir: Path, page: RawPage) -> bytes:
    return read_response_body(raw_dir, page.warc_file, page.offset)
