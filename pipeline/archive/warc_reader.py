"""Read the crawler's WARC archive: the latest archived state of every page, its body on demand."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from pipeline.archive.urls import canonical_url
from pipeline.archive.warc_writer import GONE_STATUSES, read_response_body

log = logging.getLogger(__name__)
ROLES = ("page", "feed", "sitemap")


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
    role: str = "page"  # page | feed | sitemap
    given: bool = False  # a file an analyst gave to `ess ingest` (not a crawled or imported page)

    @property
    def gone(self) -> bool:
        return self.status in GONE_STATUSES


def _page_records(path: Path) -> Iterator[RawPage]:
    """The page, feed and sitemap records of one WARC file; EOFError or ArchiveLoadFailed at the first
    damaged record."""
    size, end, plain = path.stat().st_size, 0, False
    with open(path, "rb") as stream:
        records = ArchiveIterator(stream)
        for record in _records(records):
            headers = record.rec_headers
            role = headers.get_header("ESS-Role")
            page = record.rec_type in ("response", "resource") and role in ROLES
            status = record.http_headers.get_statuscode() if record.http_headers else "200"  # resources: files
            page = page and (status == "200" or int(status or 0) in GONE_STATUSES)
            body_hash = hashlib.sha256(record.content_stream().read()).hexdigest() if page else ""
            offset, length = records.get_record_offset(), records.get_record_length()  # reads the record to its end
            member = records.reader.decompressor  # the record's gzip member; None in an uncompressed WARC
            if member is not None and not member.eof:  # a gzip member cut short (a crawl killed while writing)
                raise EOFError(f"the record at offset {offset} is cut short")
            end, plain = offset + length, plain or member is None
            if not page:
                continue
            url = headers.get_header("WARC-Target-URI")
            yield RawPage(
                url=url,
                key=canonical_url(url),
                source=headers.get_header("ESS-Source") or "",
                status=int(status),
                content_type=content_type(record),
                fetched_at=headers.get_header("WARC-Date"),
                warc_file=path.name,
                offset=offset,
                raw_hash=body_hash,
                role=role,
                given=headers.get_header("ESS-Origin") == "file" or url.startswith("file:"),
            )
    if end < size and not plain:  # warcio ends quietly on a gzip member whose record headers are cut short
        raise EOFError(f"the {size - end} bytes from offset {end} are not a complete record")


def _records(records: ArchiveIterator) -> Iterator:
    """warcio's records; a record whose WARC headers are cut short is a damaged record, not a crash."""
    iterator = iter(records)
    while True:
        try:
            yield next(iterator)
        except StopIteration:
            return
        except AttributeError as exc:  # warcio parsing a header block that lacks its fields
            raise ArchiveLoadFailed(f"unreadable record headers: {exc}") from exc


def content_type(record) -> str:
    if record.http_headers is not None:
        return record.http_headers.get_header("Content-Type") or ""
    return record.rec_headers.get_header("Content-Type") or ""


def latest_pages(raw_dir: Path) -> dict[str, RawPage]:
    """Canonical URL -> its most recent archived page record (200, or 404/410 once gone)."""
    return {key: record for key, record in latest_records(raw_dir).items() if record.role == "page"}


def latest_records(raw_dir: Path) -> dict[str, RawPage]:
    """Canonical URL -> its most recent archived page, feed or sitemap record, oldest file first.

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
