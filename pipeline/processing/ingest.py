"""`ess ingest PATH...`: analysts' own files enter the raw archive, then go through the same pipeline.

HTML pages, PDF reports, plain .txt, WARC archives and JSONL (one document per line: ``id``, ``url``,
``title``, ``text``, ``published``, ``source``; only ``text`` is required). Folders are walked. Each file
becomes a WARC ``resource`` record in ``DATA/raw/ingest-*.warc.gz``, so ``ess process --rebuild`` can
re-derive ingested documents like crawled ones.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeadersParserException

from pipeline.archive.warc_writer import WarcArchive, now_iso
from pipeline.config import Settings

log = logging.getLogger(__name__)
FILE_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".xhtml": "text/html",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
}
JSON_DOCUMENT = "application/vnd.ess.document+json"
MAX_FILE_BYTES = 50 * 1024 * 1024  # also the largest record read from a WARC file
JSON_FIELDS = ("id", "url", "title", "text", "published", "source")
HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")  # url and source become WARC header values: no CR/LF, no controls
INVALID_CHARS = re.compile(r"[\x00\ud800-\udfff]")  # NULs, and lone surrogates from "\ud800" escapes


class Ingester:
    def __init__(self, settings: Settings, source: str):
        self.archive = WarcArchive(settings.raw_dir, settings.warc_max_mb * 1024 * 1024, prefix="ingest")
        self.source, self.counts = source, Counter()

    def add(self, url: str, content_type: str, body: bytes, source: str | None = None, origin: str = "file") -> None:
        """Archive one document; ``origin`` is "file" for what the analyst chose (always kept as a document)
        and "warc" for pages of an imported web archive (judged like crawled pages)."""
        extra = {"ESS-Source": source or self.source, "ESS-Role": "page", "ESS-Origin": origin}
        self.archive.write_resource(url, content_type, body, now_iso(), extra)
        self.counts["archived"] += 1

    def skip(self, path: Path, reason: str) -> None:
        self.counts[f"skipped: {reason}"] += 1
        log.warning("%s: skipped, %s", path, reason)

    def ingest(self, path: Path) -> None:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            self.ingest_file(file)

    def ingest_file(self, path: Path) -> None:
        suffixes = "".join(path.suffixes[-2:]).lower()
        if not path.exists():
            self.skip(path, "no such file")
        elif path.stat().st_size > MAX_FILE_BYTES:
            self.skip(path, f"over {MAX_FILE_BYTES // 2**20} MB")
        elif suffixes.endswith((".warc", ".warc.gz")):
            self.ingest_warc(path)
        elif path.suffix.lower() == ".jsonl":
            self.ingest_jsonl(path)
        elif path.suffix.lower() in FILE_TYPES:
            self.add(path.resolve().as_uri(), FILE_TYPES[path.suffix.lower()], path.read_bytes())
        else:
            self.skip(path, f"unknown format {path.suffix or '(no extension)'}")

    def ingest_jsonl(self, path: Path) -> None:
        with open(path, "rb") as lines:
            for number, raw in enumerate(lines, 1):
                document = self.json_document(raw, path, number)
                if document is not None:
                    url = document.get("url") or f"urn:ess:{path.stem}:{document.get('id') or number}"
                    body = json.dumps(document, ensure_ascii=False).encode("utf-8")
                    self.add(url, JSON_DOCUMENT, body, document.get("source"))

    def json_document(self, raw: bytes, path: Path, number: int) -> dict | None:
        if not raw.strip():
            return None
        try:
            document = json.loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))  # a BOM may open the file
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            self.skip(path, f"line {number}: not JSON ({exc.__class__.__name__})")
            return None
        if not isinstance(document, dict) or not isinstance(document.get("text"), str) or not document["text"].strip():
            self.skip(path, f"line {number}: no 'text'")
            return None
        kept = {}
        for key in JSON_FIELDS:
            value = document.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and key == "id":
                value = str(value)
            if value is None:
                continue
            if not isinstance(value, str) or (key in ("url", "source") and HEADER_UNSAFE.search(value)):
                self.note(path, f"field dropped: line {number}: '{key}' is not a string or holds control characters")
                continue
            if INVALID_CHARS.search(value):
                self.note(path, f"repaired: line {number}: NUL or lone surrogate in '{key}'")
                value = INVALID_CHARS.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", value)
            kept[key] = value
        return kept

    def note(self, path: Path, what: str) -> None:
        self.counts[what] += 1
        log.warning("%s: %s", path, what)

    def ingest_warc(self, path: Path) -> None:
        try:
            with open(path, "rb") as stream:
                if not stream.read(5).startswith((b"\x1f\x8b", b"WARC/")):
                    self.skip(path, "not a WARC file (neither gzip nor WARC/1.x)")
                    return
                stream.seek(0)
                for record in ArchiveIterator(stream):
                    self.ingest_record(record, path)
        except (ArchiveLoadFailed, EOFError, OSError, ValueError, StatusAndHeadersParserException) as exc:
            self.skip(path, f"damaged WARC, read up to the damage ({exc.__class__.__name__})")

    def ingest_record(self, record, path: Path) -> None:
        if record.rec_type != "response" or record.http_headers is None:
            return  # requests, metadata, warcinfo: nothing to read
        url = record.rec_headers.get_header("WARC-Target-URI") or ""
        if record.http_headers.get_statuscode() != "200":
            self.skip(path, "WARC response not 200")
            return
        content_type = (record.http_headers.get_header("Content-Type") or "").split(";")[0].strip()
        body = record.content_stream().read(MAX_FILE_BYTES + 1)  # a small gzip member may inflate to gigabytes
        if len(body) > MAX_FILE_BYTES:
            self.skip(path, f"WARC record over {MAX_FILE_BYTES // 2**20} MB")
        elif getattr(record.raw_stream, "limit", 0) > 0:  # the file ends before the record's Content-Length
            self.skip(path, "damaged WARC, a record cut short")
        elif HEADER_UNSAFE.search(url) or not url:
            self.skip(path, "WARC record without a usable target URI")
        elif content_type in ("text/html", "application/xhtml+xml", "application/pdf") or body[:5] == b"%PDF-":
            self.add(url, content_type or "application/pdf", body, origin="warc")
        else:
            self.skip(path, "WARC response neither HTML nor PDF")

    def close(self) -> Counter:
        self.archive.close()
        return self.counts


def ingest_paths(settings: Settings, paths: list[Path], source: str) -> Counter:
    """Archive every file under ``paths``; return what was archived and what was skipped, by reason."""
    ingester = Ingester(settings, source)
    for path in paths:
        ingester.ingest(path)
    return ingester.close()
