"""SQLite store: documents, chunks, entities and mentions (the keyword index, derived from the chunks, is
`pipeline.index.keywords`)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict
from pathlib import Path

from pipeline.entities.curation import Curation
from pipeline.entities.gazetteer import Entry, entity_key
from pipeline.records import ChunkRow, Document, Mention, Skip
from pipeline.store.readonly import connect_readonly
from pipeline.store.schema import check, migrate

NOW = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"  # UTC, to the second: what processed_at and first_seen hold
READ_MMAP_BYTES = 1 << 30  # a request's fresh connection maps the file instead of filling its own page cache


class Store:
    def __init__(self, path: Path, readonly: bool = False, curation: Curation | None = None):
        self.path, self.curation = Path(path), curation or Curation([])
        if readonly:
            # One request uses the connection, but FastAPI may open and use it from different worker threads.
            self.db = connect_readonly(self.path, check_same_thread=False)
            self.db.execute(f"PRAGMA mmap_size = {READ_MMAP_BYTES}")  # read pages from the OS cache, not copies
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            migrate(self.db)
        if readonly:
            check(self.db)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA foreign_keys=ON")

    def close(self) -> None:
        self.db.close()

    def raw_hashes(self) -> dict[str, str]:
        """Document id -> the archived body it was made from."""
        return dict(self.db.execute("SELECT id, raw_hash FROM documents").fetchall())

    def skip_records(self) -> dict[str, tuple[str, str]]:
        """Page id -> (raw hash, rule) of every page judged not to be a document."""
        return {r["id"]: (r["raw_hash"], r["rule"]) for r in self.db.execute("SELECT id, raw_hash, rule FROM skipped")}

    def record_skip(self, skip: Skip) -> None:
        row = asdict(skip)
        columns, updates = ", ".join(row), ", ".join(f"{c} = excluded.{c}" for c in row if c != "id")
        with self.db:
            self.db.execute(
                f"INSERT INTO skipped ({columns}) VALUES ({', '.join('?' * len(row))}) ON CONFLICT(id) DO UPDATE SET "
                f"{updates}, skipped_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
                list(row.values()),
            )

    def skipped_pages(self, source: str | None = None, reason: str | None = None) -> list[sqlite3.Row]:
        """Pages not made documents, newest first, optionally of one source or for one reason."""
        return self.db.execute(
            "SELECT * FROM skipped WHERE (?1 IS NULL OR source = ?1) AND (?2 IS NULL OR reason = ?2) "
            "ORDER BY skipped_at DESC, url",
            (source, reason),
        ).fetchall()

    def skipped_page(self, page_id: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM skipped WHERE id = ?", (page_id,)).fetchone()

    def include(self, page_id: str, url: str) -> None:
        """Force a page in: the next run makes it a document whatever the article rule says."""
        with self.db:
            self.db.execute("INSERT OR IGNORE INTO included (id, url) VALUES (?, ?)", (page_id, url))
            self.db.execute("DELETE FROM skipped WHERE id = ?", (page_id,))

    def included_ids(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT id FROM included")}

    def raw_hash(self, doc_id: str) -> str | None:
        row = self.db.execute("SELECT raw_hash FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return row["raw_hash"] if row else None

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

    def first_seen(self) -> dict[str, str]:
        """Document id -> when the store first held it."""
        rows = self.db.execute("SELECT id, first_seen FROM documents WHERE first_seen IS NOT NULL")
        return dict(rows.fetchall())

    def restore_first_seen(self, kept: dict[str, str]) -> None:
        """Give documents back the earlier first-seen times ``kept`` before a rebuild."""
        with self.db:
            self.db.executemany(
                "UPDATE documents SET first_seen = ? WHERE id = ? AND first_seen > ?",
                [(seen, doc_id, seen) for doc_id, seen in kept.items()],
            )

    def keyword_rows(self, doc_ids: list[str] | None = None, rowids: set[int] | None = None) -> list[tuple]:
        """What the keyword index holds of chunks: (rowid, document id, title, text), for the chunks of the
        documents ``doc_ids`` or those at ``rowids``."""
        column, keys = ("c.doc_id", doc_ids) if doc_ids is not None else ("c.rowid", sorted(rowids or ()))
        found = self.db.execute(
            "SELECT c.rowid, c.doc_id, d.title, substr(d.text, c.start + 1, c.end - c.start) FROM chunks c "
            f"JOIN documents d ON d.id = c.doc_id WHERE {column} IN (SELECT value FROM json_each(?)) ORDER BY c.rowid",
            (json.dumps(keys),),
        )
        return [tuple(row) for row in found]

    def has_chunks(self) -> bool:
        return self.db.execute("SELECT EXISTS (SELECT 1 FROM chunks)").fetchone()[0] == 1

    def chunk_rowids(self) -> set[int]:
        return {row[0] for row in self.db.execute("SELECT rowid FROM chunks")}

    def chunks_at(self, rowids: list[int]) -> dict[int, tuple[str, str]]:
        """(chunk id, document id) of the chunks at these rowids; a rowid the store no longer holds is absent."""
        found = self.db.execute(
            "SELECT rowid, id, doc_id FROM chunks WHERE rowid IN (SELECT value FROM json_each(?))",
            (json.dumps(rowids),),
        )
        return {row[0]: (row[1], row[2]) for row in found}

    def documents(self, ids: list[str]) -> dict[str, sqlite3.Row]:
        """What a search hit shows of each document: metadata and cluster, not the text (search reads
        up to a few hundred candidates per query)."""
        marks = ", ".join("?" * len(ids))
        rows = self.db.execute(
            "SELECT id, url, source, kind, title, author, published, gone, cluster, first_seen "
            f"FROM documents WHERE id IN ({marks})",
            ids,
        )
        return {r["id"]: r for r in rows}

    def chunk_texts(self, chunk_ids: list[str]) -> dict[str, str]:
        marks = ", ".join("?" * len(chunk_ids))
        rows = self.db.execute(
            f"SELECT c.id, substr(d.text, c.start + 1, c.end - c.start) AS text FROM chunks c "
            f"JOIN documents d ON d.id = c.doc_id WHERE c.id IN ({marks})",
            chunk_ids,
        )
        return {r["id"]: r["text"] for r in rows}

    def signatures(self) -> list[tuple[str, str, str, bytes]]:
        """(document id, cluster, text hash, MinHash) of every stored document, for duplicate search."""
        rows = self.db.execute(
            "SELECT d.id, d.cluster, d.text_hash, s.minhash FROM documents d JOIN signatures s ON s.doc_id = d.id"
        )
        return [tuple(row) for row in rows]

    def cluster_members(self, clusters: list[str]) -> dict[str, list[sqlite3.Row]]:
        marks = ", ".join("?" * len(clusters))
        rows = self.db.execute(
            f"SELECT id, source, url, cluster FROM documents WHERE cluster IN ({marks}) ORDER BY source, url", clusters
        )
        members: dict[str, list[sqlite3.Row]] = {}
        for row in rows:
            members.setdefault(row["cluster"], []).append(row)
        return members

    def document(self, doc_id: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)).fetchone()

    def mentions(self, doc_id: str) -> list[sqlite3.Row]:
        """The document's mentions in text order, with the canonical name of their entity."""
        return self.db.execute(
            "SELECT m.surface AS text, m.label, m.start, m.end, e.name AS entity, m.value FROM mentions m "
            "LEFT JOIN entities e ON e.id = m.entity_id WHERE m.doc_id = ? ORDER BY m.start",
            (doc_id,),
        ).fetchall()

    def source_names(self) -> list[str]:
        """The sources that have documents."""
        return [row[0] for row in self.db.execute("SELECT DISTINCT source FROM documents ORDER BY source")]

    def counts(self) -> dict[str, int]:
        tables = ("documents", "chunks", "entities", "mentions")
        return {t: self.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
