"""SQLite schemas versioned with ``PRAGMA user_version`` and migrated forward in order, in one transaction
(``migrate_forward``: the store, the crawl state and the watches); the store's own migrations."""

from __future__ import annotations

import sqlite3

from pipeline.store.readonly import connect_readonly

VERSION_1 = """
CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,                 -- html | pdf | text
    title TEXT,
    author TEXT,
    published TEXT,                     -- ISO date
    sitename TEXT,
    description TEXT,
    language TEXT,                      -- ISO 639-1, detected
    text TEXT NOT NULL,
    raw_hash TEXT NOT NULL,             -- sha256 of the archived body: unchanged means nothing to do
    fetched_at TEXT,
    warc_file TEXT,
    warc_offset INTEGER,
    gone INTEGER NOT NULL DEFAULT 0,    -- the source now answers 404/410; the document stays searchable
    processed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX documents_source ON documents(source);
CREATE INDEX documents_published ON documents(published);
CREATE TABLE chunks (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,            -- document id + ':' + index
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    start INTEGER NOT NULL,             -- character offsets in documents.text
    end INTEGER NOT NULL
);
CREATE INDEX chunks_doc ON chunks(doc_id);
CREATE VIRTUAL TABLE chunks_fts USING fts5(title, text, tokenize = 'unicode61 remove_diacritics 2');
CREATE TABLE entities (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,           -- folded name (case, accents, articles, dotted acronyms)
    name TEXT NOT NULL,                 -- the gazetteer's name, else the most frequent surface form
    label TEXT NOT NULL,                -- the gazetteer's type, else the most frequent label
    gazetteer INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE mentions (
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    entity_id INTEGER REFERENCES entities(id),   -- NULL for DATE
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    surface TEXT NOT NULL,
    label TEXT NOT NULL,                -- ORG | LOC | PER | MISC | DATE
    value TEXT                          -- DATE: ISO value, its length gives the granularity
);
CREATE INDEX mentions_doc ON mentions(doc_id);
CREATE INDEX mentions_entity ON mentions(entity_id);
"""

VERSION_2 = """
ALTER TABLE documents ADD COLUMN no_text INTEGER NOT NULL DEFAULT 0;  -- a PDF without a text layer
ALTER TABLE documents ADD COLUMN text_hash TEXT;  -- sha1 of the text, case and spacing folded
ALTER TABLE documents ADD COLUMN cluster TEXT;  -- duplicate cluster: the id of the document it joined
CREATE INDEX documents_cluster ON documents(cluster);
CREATE INDEX documents_text_hash ON documents(text_hash);
CREATE TABLE signatures (                      -- MinHash of each document, for near-duplicate search
    doc_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    minhash BLOB NOT NULL
);
"""

VERSION_3 = """
ALTER TABLE documents ADD COLUMN tags TEXT;  -- the page's own tags and categories, JSON list
ALTER TABLE entities ADD COLUMN aliases TEXT;  -- the gazetteer's aliases, JSON list
"""

VERSION_4 = """
CREATE TABLE skipped (                        -- archived pages that are not documents, and why
    id TEXT PRIMARY KEY,                      -- the document id the page would have
    url TEXT NOT NULL,
    source TEXT NOT NULL,
    raw_hash TEXT NOT NULL,                   -- the archived body judged: unchanged means nothing to do
    reason TEXT NOT NULL,                     -- "listing page", "too short", "no main text found"...
    words INTEGER,                            -- words of main text, when it could be extracted
    rule TEXT NOT NULL,                       -- the thresholds that judged it: other settings judge again
    skipped_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX skipped_source ON skipped(source, reason);
CREATE TABLE included (                       -- pages an analyst forced in with `ess include URL`
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    included_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
"""

VERSION_5 = """
DROP TABLE chunks_fts;  -- it held words as written; it now holds French terms, refilled from the chunks
CREATE VIRTUAL TABLE chunks_fts USING fts5(title, text, tokenize = 'unicode61 remove_diacritics 0');
"""
VERSION_6 = """
DROP TABLE chunks_fts;  -- the keyword index is now tantivy's (pipeline.index.keywords), filled from the chunks
CREATE TABLE chunks_v6 (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: the keyword index names a chunk by it
    id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL
);
INSERT INTO chunks_v6 (rowid, id, doc_id, idx, start, end) SELECT rowid, id, doc_id, idx, start, end FROM chunks;
DROP TABLE chunks;
ALTER TABLE chunks_v6 RENAME TO chunks;
CREATE INDEX chunks_doc ON chunks(doc_id);
"""
VERSION_7 = """
-- Facets and hit entities read (document, entity) pairs of a result set: from this index alone, without the
-- mention rows (top entities of 200 documents at 100k chunks: 1.2 ms instead of 4.2).
CREATE INDEX mentions_doc_entity ON mentions(doc_id, entity_id);
DROP INDEX mentions_doc;
"""
VERSION_8 = """
-- When the document first entered the store, kept when it is processed again: what watched searches call new.
-- Stores older than this column take their processing time.
ALTER TABLE documents ADD COLUMN first_seen TEXT;
UPDATE documents SET first_seen = processed_at;
CREATE INDEX documents_first_seen ON documents(first_seen);
"""
VERSION_9 = """
-- An analyst's decision (pipeline.entities.curation) shaped this entity: its name and type are no longer the most
-- frequent surface form and label.
ALTER TABLE entities ADD COLUMN curated INTEGER NOT NULL DEFAULT 0;
"""
# MIGRATIONS[n] takes a store from version n to n + 1
MIGRATIONS = [VERSION_1, VERSION_2, VERSION_3, VERSION_4, VERSION_5, VERSION_6, VERSION_7, VERSION_8, VERSION_9]
VERSION = len(MIGRATIONS)


class SchemaError(RuntimeError):
    """The store was written by another version; the message says what to do."""


def migrate(db: sqlite3.Connection) -> None:
    """The store brought to this program's schema."""
    current = db.execute("PRAGMA user_version").fetchone()[0]
    if current == 0 and db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'documents'").fetchone()[0]:
        raise SchemaError("this store predates schema versions: run `ess process --rebuild`")
    migrate_forward(db, MIGRATIONS, "this store")


def migrate_forward(db: sqlite3.Connection, migrations: list[str], what: str) -> None:
    """The database taken from its ``user_version`` to ``len(migrations)``; ``migrations[n]`` takes it from
    version n to n + 1. ``what`` names the database in the message refusing a newer one."""
    current, version = db.execute("PRAGMA user_version").fetchone()[0], len(migrations)
    if current > version:
        raise SchemaError(f"{what} has schema {current}, newer than this program's {version}: upgrade")
    steps = "".join(f"{migrations[v]};PRAGMA user_version = {v + 1};" for v in range(current, version))
    if not steps:
        return
    try:  # every step in one transaction: a reader sees the store before or after, never half migrated
        db.executescript(f"BEGIN IMMEDIATE;{steps}COMMIT;")
    except sqlite3.Error:
        if db.in_transaction:
            db.rollback()
        raise


def check(db: sqlite3.Connection) -> None:
    """For read-only users: refuse a store of another schema version."""
    current = db.execute("PRAGMA user_version").fetchone()[0]
    if current != VERSION:
        advice = "ess process --rebuild" if current == 0 else "ess process"
        raise SchemaError(f"the store has schema {current}, this program reads {VERSION}: run `{advice}`")


def stored_version(path) -> int | None:
    """The schema version of the store at ``path`` (0 before versions existed), None when it has no documents
    table; read without writing."""
    with connect_readonly(path) as db:
        if not db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'documents'").fetchone()[0]:
            return None
        return db.execute("PRAGMA user_version").fetchone()[0]
