"""Crawl state: one row per canonical URL with what a recrawl needs, and a summary of every run."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from pipeline.store.readonly import connect_readonly
from pipeline.store.schema import migrate_forward

# MIGRATIONS[n] takes the crawl state from version n to n + 1 (the first also reads a state older than versions)
VERSION_1 = """
CREATE TABLE IF NOT EXISTS pages (
    url TEXT PRIMARY KEY,          -- canonical URL (the dedup key)
    fetch_url TEXT NOT NULL,       -- the URL last requested
    source TEXT NOT NULL,
    role TEXT NOT NULL,            -- page | feed | sitemap
    depth INTEGER NOT NULL DEFAULT 0,
    status INTEGER,
    content_type TEXT,
    etag TEXT,
    last_modified TEXT,
    content_hash TEXT,
    first_seen TEXT NOT NULL,
    last_fetched TEXT,
    last_changed TEXT,
    warc_file TEXT,
    warc_offset INTEGER,
    gone INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS pages_source ON pages(source, role);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    command TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT NOT NULL,
    source TEXT NOT NULL,
    summary TEXT NOT NULL          -- JSON: counters of the run for this source
);
"""
MIGRATIONS = [VERSION_1]

STORED = """
INSERT INTO pages (url, fetch_url, source, role, depth, status, content_type, etag, last_modified,
                   content_hash, first_seen, last_fetched, last_changed, warc_file, warc_offset, gone)
VALUES (:url, :fetch_url, :source, :role, :depth, :status, :content_type, :etag, :last_modified,
        :content_hash, :fetched_at, :fetched_at, :fetched_at, :warc_file, :warc_offset, :gone)
ON CONFLICT(url) DO UPDATE SET
    fetch_url = excluded.fetch_url, status = excluded.status, content_type = excluded.content_type,
    etag = excluded.etag, last_modified = excluded.last_modified, content_hash = excluded.content_hash,
    last_fetched = excluded.last_fetched, last_changed = excluded.last_changed,
    warc_file = excluded.warc_file, warc_offset = excluded.warc_offset, gone = excluded.gone,
    depth = min(pages.depth, excluded.depth), last_error = NULL
"""


class CrawlState:
    """The crawl state, read and written by crawls; readers use ``CrawlState.reader``."""

    def __init__(self, path: Path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL stays consistent; no fsync on every page
        migrate_forward(self.db, MIGRATIONS, f"the crawl state {path}")  # all tables or none, for a reader

    @classmethod
    def reader(cls, path: Path) -> CrawlState:
        """The state opened read-only (``mode=ro``): no directory made, no schema run, no journal mode set, so
        a reader never writes, even while a crawl does."""
        state = cls.__new__(cls)
        state.db = connect_readonly(path, timeout=30)
        state.db.row_factory = sqlite3.Row
        return state

    def get(self, url: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM pages WHERE url = ?", (url,)).fetchone()

    def stored(self, row: dict) -> None:
        """A response archived in the WARC file: new, changed, or now gone."""
        with self.db:
            self.db.execute(STORED, row)

    def touched(self, url: str, fetched_at: str, status: int) -> None:
        """Fetched again, nothing new (304 Not Modified, or the same content)."""
        with self.db:
            self.db.execute(
                "UPDATE pages SET last_fetched = ?, status = ?, last_error = NULL WHERE url = ?",
                (fetched_at, status, url),
            )

    def failed(self, url: str, source: str, fetch_url: str, error: str, at: str) -> None:
        with self.db:
            self.db.execute(
                "INSERT INTO pages (url, fetch_url, source, role, first_seen, last_error) "
                "VALUES (?, ?, ?, 'page', ?, ?) ON CONFLICT(url) DO UPDATE SET last_error = excluded.last_error",
                (url, fetch_url, source, at, error),
            )

    def known_pages(self, source: str) -> list[sqlite3.Row]:
        rows = self.db.execute(
            "SELECT fetch_url, depth FROM pages WHERE source = ? AND role = 'page' AND gone = 0 "
            "AND status IS NOT NULL ORDER BY depth, url",
            (source,),
        )
        return rows.fetchall()

    def save_run(self, command: str, started: str, finished: str, summaries: dict[str, dict]) -> None:
        with self.db:
            self.db.executemany(
                "INSERT INTO runs (command, started, finished, source, summary) VALUES (?, ?, ?, ?, ?)",
                [(command, started, finished, s, json.dumps(c, sort_keys=True)) for s, c in summaries.items()],
            )

    def last_runs(self) -> dict[str, dict]:
        """Source -> its latest run: command, finished time and counters."""
        if not self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'runs'").fetchone():
            return {}  # the database of a first crawl that has only just begun
        rows = self.db.execute(
            "SELECT source, command, finished, summary FROM runs WHERE id IN (SELECT max(id) FROM runs GROUP BY source)"
        )
        return {
            r["source"]: {"command": r["command"], "finished": r["finished"], **json.loads(r["summary"])} for r in rows
        }

    def close(self) -> None:
        self.db.close()
