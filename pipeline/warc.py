"""Read the crawler's WARC archive: the latest fetched version of every page, then its body on demand."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

log = logging.getLogger(__name__)


@dataclass
class RawPage:
    url: str
    source: str
    content_type: str
    fetched_at: str
    warc_file: str
    offset: int
    raw_hash: str


def _page_records(path: Path) -> Iterator[RawPage]:
    with open(path, "rb") as stream:
        records = ArchiveIterator(stream)
        for record in records:
            headers = record.rec_headers
            if record.rec_type != "response" or headers.get_header("ESS-Role") != "page":
                continue
            if record.http_headers is None or record.http_headers.get_statuscode() != "200":
                continue
            body_hash = hashlib.sha256(record.content_stream().read()).hexdigest()
            yield RawPage(
                url=headers.get_header("WARC-Target-URI"),
                source=headers.get_header("ESS-Source") or "",
                content_type=record.http_headers.get_header("Content-Type") or "",
                fetched_at=headers.get_header("WARC-Date"),
                warc_file=path.name,
                offset=records.get_record_offset(),
                raw_hash=body_hash,
            )


def latest_pages(raw_dir: Path) -> dict[str, RawPage]:
    """URL -> its most recent archived 200 response, over every completed WARC file (oldest first)."""
    latest: dict[str, RawPage] = {}
    for path in sorted(raw_dir.glob("*.warc.gz")):
        try:
            for page in _page_records(path):
                latest[page.url] = page
        except (ArchiveLoadFailed, EOFError, OSError) as exc:
            log.warning("%s: stopped reading at a damaged record: %s", path.name, exc)
    return latest


def read_body(raw_dir: Path, page: RawPage) -> bytes:
    with open(raw_dir / page.warc_file, "rb") as stream:
        stream.seek(page.offset)
        record = next(iter(ArchiveIterator(stream)))
        return record.content_stream().read()
