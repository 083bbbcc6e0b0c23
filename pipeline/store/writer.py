"""The one writer of the store: documents, chunks, entities, mentions and skipped pages (the keyword index, derived
from the chunks, is `pipeline.index.keywords`)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict
from pathlib import Path

from pipeline.entities.curation import Curation
from pipeline.entities.gazetteer import Entry, entity_key
from pipeline.records import ChunkRow, Document, Mention, Skip
from pipeline.store.reader import StoreReader
from pipeline.store.schema import migrate

NOW = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"  # UTC, to the second: what processed_at and first_seen hold


class Store(StoreReader):
    """The one writer of ``ess.sqlite`` (the processing commands, holding the data directory's lock): it creates
    and migrates the store and writes documents, chunks, mentions, entities and skipped pages."""

    def __init__(self, path: Path, curation: Curation | None = None):
        self.path, self.curation = Path(path), curation or Curation([])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        migrate(self.db)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA foreign_keys=ON")

    def record_skip(self, skip: Skip) -> None:
        row = asdict(skip)
        columns, updates = ", ".join(row), ", ".join(f"{c} = excluded.{c}" for c in row if c != "id")
        with self.db:
            self.db.execute(
                f"INSERT INTO skipped ({columns}) VALUES ({', '.join('?' * len(row))}) ON CONFLICT(id) DO UPDATE SET "
                f"{updates}, skipped_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
                list(row.values()),
            )

    def include(self, page_id: str, url: str) -> None:
        """Force a page in: the next run makes it a document whatever the article rule says."""
        with self.db:
            self.db.execute("INSERT OR IGNORE INTO included (id, url) VALUES (?, ?)", (page_id, url))
            self.db.execute("DELETE FROM skipped WHERE id = ?", (page_id,))

    def save_document(
        self, doc: Document, chunks: list[ChunkRow], mentions: list[Mention], minhash: bytes | None = None
    ) -> None:
        """Replace the document with its chunks, mentions and MinHash signature in one transaction."""
        with self.db:
            self.db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc.id,))
            self.db.execute("DELETE FROM mentions WHERE doc_id = ?", (doc.id,))
            self.db.execute("DELETE FROM skipped WHERE id = ?", (doc.id,))
            row = asdict(doc)
            columns = ", ".join(row)
            updates = ", ".join(f"{c} = excluded.{c}" for c in row if c != "id")
            self.db.execute(
                f"INSERT INTO documents ({columns}, processed_at, first_seen) VALUES ({', '.join('?' * len(row))}, "
                f"{NOW}, {NOW}) ON CONFLICT(id) DO UPDATE SET {updates}, processed_at = excluded.processed_at",
                list(row.values()),
            )
            for chunk in chunks:
                self.db.execute(
                    "INSERT INTO chunks (id, doc_id, idx, start, end) VALUES (?, ?, ?, ?, ?)",
                    (chunk.id, doc.id, chunk.idx, chunk.start, chunk.end),
                )
            self.db.execute("DELETE FROM signatures WHERE doc_id = ?", (doc.id,))
            if minhash is not None:
                self.db.execute("INSERT INTO signatures (doc_id, minhash) VALUES (?, ?)", (doc.id, minhash))
            for mention in mentions:
                entity_id = None if mention.label == "DATE" else self._entity_id(mention)
                if entity_id is None and mention.label != "DATE":
                    continue  # an entity the analysts rejected
                self.db.execute(
                    "INSERT INTO mentions (doc_id, entity_id, start, end, surface, label, value) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (doc.id, entity_id, mention.start, mention.end, mention.text, mention.label, mention.value),
                )

    def _entity_id(self, mention: Mention) -> int | None:
        """The mention's entity, after the analysts' decisions (``curation``); None when they rejected it."""
        key, name, label = entity_key(mention.entity or mention.text), mention.entity or mention.text, mention.label
        resolved = self.curation.resolve(key, name, label)
        if resolved is None:
            return None
        self.db.execute(
            "INSERT INTO entities (key, name, label, gazetteer, curated) VALUES (?, ?, ?, ?, ?) ON CONFLICT(key) "
            "DO UPDATE SET name = excluded.name, label = excluded.label, gazetteer = 1 "
            "WHERE excluded.gazetteer = 1 AND entities.curated = 0",
            (resolved.key, resolved.name, resolved.label, int(mention.entity is not None), int(resolved.curated)),
        )
        return self.db.execute("SELECT id FROM entities WHERE key = ?", (resolved.key,)).fetchone()["id"]

    def sync_gazetteer(self, entries: list[Entry]) -> None:
        """Every gazetteer entry as an entity with its canonical name, type and aliases."""
        rows = [(entity_key(e.name), e.name, e.type, json.dumps(list(e.aliases), ensure_ascii=False)) for e in entries]
        with self.db:
            self.db.executemany(
                "INSERT INTO entities (key, name, label, aliases, gazetteer) VALUES (?, ?, ?, ?, 1) "
                "ON CONFLICT(key) DO UPDATE SET name = excluded.name, label = excluded.label, "
                "aliases = excluded.aliases, gazetteer = 1",
                rows,
            )

    def name_entities(self) -> None:
        """Entities the gazetteer does not know take their most frequent surface form and label."""
        most_frequent = (
            "SELECT {column} FROM mentions m WHERE m.entity_id = entities.id "
            "GROUP BY {column} ORDER BY count(*) DESC, {column} LIMIT 1"
        )
        with self.db:
            self.db.execute(
                f"UPDATE entities SET name = coalesce(({most_frequent.format(column='surface')}), name), "
                f"label = coalesce(({most_frequent.format(column='label')}), label) WHERE gazetteer = 0 AND curated = 0"
            )

    def mark_gone(self, doc_id: str, raw_hash: str) -> bool:
        """Flag a document whose page is gone; False when there is no such document."""
        with self.db:
            cursor = self.db.execute("UPDATE documents SET gone = 1, raw_hash = ? WHERE id = ?", (raw_hash, doc_id))
        return cursor.rowcount > 0

    def restore_first_seen(self, kept: dict[str, str]) -> None:
        """Give documents back the earlier first-seen times ``kept`` before a rebuild."""
        with self.db:
            self.db.executemany(
                "UPDATE documents SET first_seen = ? WHERE id = ? AND first_seen > ?",
                [(seen, doc_id, seen) for doc_id, seen in kept.items()],
            )
