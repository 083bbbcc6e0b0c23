"""The read side of the store that hangs on one connection: what a search hit, a document page, the health check
and the writer itself read of documents, chunks and skipped pages (the other reads, of entities, facets and
counts, are ``pipeline.store.queries``)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from pipeline.store.readonly import connect_readonly
from pipeline.store.schema import check

READ_MMAP_BYTES = 1 << 30  # a request's fresh connection maps the file instead of filling its own page cache


class StoreReader:
    """A read-only connection to ``ess.sqlite`` (it refuses a store of another schema version), with its reads;
    ``pipeline.store.writer.Store`` is the one writer, and reads the same way."""

    def __init__(self, path: Path):
        self.path = Path(path)
        # One request uses the connection, but FastAPI may open and use it from different worker threads.
        self.db = connect_readonly(self.path, check_same_thread=False)
        self.db.execute(f"PRAGMA mmap_size = {READ_MMAP_BYTES}")  # read pages from the OS cache, not copies
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

    def skipped_pages(self, source: str | None = None, reason: str | None = None) -> list[sqlite3.Row]:
        """Pages not made documents, newest first, optionally of one source or for one reason."""
        return self.db.execute(
            "SELECT * FROM skipped WHERE (?1 IS NULL OR source = ?1) AND (?2 IS NULL OR reason = ?2) "
            "ORDER BY skipped_at DESC, url",
            (source, reason),
        ).fetchall()

    def skipped_page(self, page_id: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM skipped WHERE id = ?", (page_id,)).fetchone()

    def included_ids(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT id FROM included")}

    def raw_hash(self, doc_id: str) -> str | None:
        row = self.db.execute("SELECT raw_hash FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return row["raw_hash"] if row else None

    def first_seen(self) -> dict[str, str]:
        """Document id -> when the store first held it."""
        rows = self.db.execute("SELECT id, first_seen FROM documents WHERE first_seen IS NOT NULL")
        return dict(rows.fetchall())

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
