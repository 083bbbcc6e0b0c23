"""`ess ingest PATH...`: analysts' own files enter the raw archive, then go through the same pipeline.

HTML pages, PDF reports, plain .txt, WARC archives and JSONL (one document per line: ``id``, ``url``,
``title``, ``text``, ``published``, ``source``; only ``text`` is required). Folders are walked. Each file
becomes a WARC ``resource`` record in ``DATA/raw/ingest-*.warc.gz``, so ``ess process --rebuild`` can
re-derive ingested documents like crawled ones.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from crawler.archive import WarcArchive
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
MAX_FILE_BYTES = 50 * 1024 * 1024


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Ingester:
    def __init__(self, settings: Settings, source: str):
        self.archive = WarcArchive(settings.raw_dir, settings.warc_max_mb * 1024 * 1024, prefix="ingest")
        self.source, self.counts = source, Counter()

    def add(self, url: str, content_type: str, body: bytes, source: str | None = None) -> None:
        extra = {"ESS-Source": source or self.source, "ESS-Role": "page"}
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
            document = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            self.skip(path, f"line {number}: not JSON ({exc.__class__.__name__})")
            return None
        if not isinstance(document, dict) or not isinstance(document.get("text"), str) or not document["text"].strip():
            self.skip(path, f"line {number}: no 'text'")
            return None
        return {k: v for k, v in document.items() if k in ("id", "url", "title", "text", "published", "source")}

    def ingest_warc(self, path: Path) -> None:
        try:
            with open(path, "rb") as stream:
                for record in ArchiveIterator(stream):
                    self.ingest_record(record)
        except (ArchiveLoadFailed, EOFError, OSError, ValueError) as exc:
            self.skip(path, f"damaged WARC, read up to the damage ({exc.__class__.__name__})")

    def ingest_record(self, record) -> None:
        if record.rec_type != "response" or record.http_headers is None:
            return
        if record.http_headers.get_statuscode() != "200":
            return
        content_type = (record.http_headers.get_header("Content-Type") or "").split(";")[0].strip()
        body = record.content_stream().read()
        if content_type in ("text/html", "application/xhtml+xml", "application/pdf") or body[:5] == b"%PDF-":
            self.add(record.rec_headers.get_header("WARC-Target-URI"), content_type or "application/pdf", body)

    def close(self) -> Counter:
        self.archive.close()
        return self.counts


def ingest_paths(settings: Settings, paths: list[Path], source: str) -> Counter:
    """Archive every file under ``paths``; return what was archived and what was skipped, by reason."""
    ingester = Ingester(settings, source)
    for path in paths:
        ingester.ingest(path)
    return ingester.close()
