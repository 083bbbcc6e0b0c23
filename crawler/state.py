"""Crawl state: one row per URL with what a recrawl needs (validators, content hash, archive place)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    url TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    role TEXT NOT NULL,
    status INTEGER NOT NULL,
    content_type TEXT,
    etag TEXT,
    last_modified TEXT,
    content_hash TEXT,
    fetched_at TEXT NOT NULL,
    changed_at TEXT,
    warc_file TEXT,
    warc_offset INTEGER
);
CREATE INDEX IF NOT EXISTS pages_source ON pages(source);
"""

UPSERT = """
INSERT INTO pages (url, source, role, status, content_type, etag, last_modified, content_hash,
                   fetched_at, changed_at, warc_file, warc_offset)
VALUES (:url, :source, :role, :status, :content_type, :etag, :last_modified, :content_hash,
        :fetched_at, :fetched_at, :warc_file, :warc_offset)
ON CONFLICT(url) DO UPDATE SET
    source = excluded.source, role = excluded.role, status = excluded.status,
    content_type = excluded.content_type, etag = excluded.etag, last_modified = excluded.last_modified,
    changed_at = CASE WHEN pages.content_hash IS excluded.content_hash THEN pages.changed_at
                      ELSE excluded.fetched_at END,
    content_hash = excluded.content_hash, fetched_at = excluded.fetched_at,
    warc_file = excluded.warc_file, warc_offset = excluded.warc_offset
"""


class CrawlState:
    def __init__(self, path: Path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)

    def record(self, row: dict) -> None:
        with self.db:
            self.db.execute(UPSERT, row)

    def summary(self) -> dict[str, int]:
        rows = self.db.execute("SELECT source, count(*) FROM pages WHERE role = 'page' GROUP BY source")
        return dict(rows.fetchall())

    def close(self) -> None:
        self.db.close()
