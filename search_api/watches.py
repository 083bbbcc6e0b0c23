"""Watched searches: a query with its mode and filters, kept under a name, and what it matches as it arrives.

Watches are the analysts' own data, not the corpus: they live in their own small database (``watches.sqlite``
in the data directory), which the API may write, while the store stays read-only to it. ``arrivals`` gives what
a watch matches among the documents first seen in the store since a time, newest first: a watch's feed, the
digest of ``ess watch report`` and the end of ``ess recrawl --process``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from pipeline.records import DOCUMENT_KINDS, Filters
from pipeline.store.readonly import connect_readonly
from pipeline.store.schema import migrate_forward
from search_api.retrieval import PUBLICATION_DATE, Mode, Retriever, ranked_documents
from search_api.snippets import plain, snippet

# MIGRATIONS[n] takes the watches from version n to n + 1 (the first also reads watches older than versions)
VERSION_1 = """
CREATE TABLE IF NOT EXISTS watches (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    query TEXT NOT NULL,
    mode TEXT NOT NULL,
    filters TEXT NOT NULL,              -- JSON of the Watch's filter fields
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
"""
MIGRATIONS = [VERSION_1]
MAX_ARRIVALS = 50  # documents in a feed, or per watch in a digest
NO_CONTROL = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"  # one line, not only spaces


def text(longest: int):
    """One line of text, trimmed, 1 to ``longest`` characters."""
    constraints = StringConstraints(strip_whitespace=True, min_length=1, max_length=longest, pattern=NO_CONTROL)
    return Annotated[str, constraints]


Date = Annotated[str, StringConstraints(pattern=PUBLICATION_DATE.pattern)]


class WatchIn(BaseModel):
    """A search to watch, as the page's form, the JSON API and ``ess watch add`` give it."""

    model_config = ConfigDict(extra="forbid")

    name: text(100) = Field(description="Unique; names the feed.")
    q: text(1000) = Field(description="The query, as in /search.")
    mode: Mode = Mode.hybrid
    source: list[text(200)] = Field([], max_length=50)
    entity: list[text(200)] = Field([], max_length=20)
    kind: list[Literal[DOCUMENT_KINDS]] = Field([], max_length=3)
    lang: list[Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]] = Field([], max_length=10)
    date_from: Date | None = None
    date_to: Date | None = None

    @field_validator("date_from", "date_to", mode="before")
    @classmethod
    def blank_is_none(cls, value):
        return value or None


@dataclass(frozen=True)
class Watch:
    id: int
    created_at: str
    search: WatchIn

    @property
    def name(self) -> str:
        return self.search.name

    def filters(self, seen_since: str | None = None) -> Filters:
        s = self.search
        fields = {"sources": s.source, "date_from": s.date_from, "date_to": s.date_to, "entities": s.entity}
        return Filters(**fields, kinds=s.kind, languages=s.lang, seen_since=seen_since)

    def page_params(self) -> dict:
        """The search page's query string for this watch."""
        s = self.search
        params = {"q": s.q, "mode": None if s.mode is Mode.hybrid else s.mode.value, "source": s.source}
        return params | {"entity": s.entity, "kind": s.kind, "date_from": s.date_from, "date_to": s.date_to}


class WatchExists(ValueError):
    pass


class WatchStore:
    """The watches of one data directory. Each call opens the file for itself (watches are read once per page
    or feed, and written by hand): API workers and threads share nothing, a reader opens it read-only, and only
    adding a watch creates it. Rollback journal, so that reading needs no file beside it."""

    def __init__(self, path: Path):
        self.path = path

    @contextmanager
    def connection(self, write: bool = False) -> Iterator[sqlite3.Connection | None]:
        """The database (None when reading one that does not exist yet), committed when the block ends."""
        if not write and not self.path.exists():
            yield None
            return
        if write:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=10) if write else connect_readonly(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        try:
            if write:
                migrate_forward(db, MIGRATIONS, f"the watches {self.path}")
            with db:
                yield db
        finally:
            db.close()

    def add(self, search: WatchIn) -> Watch:
        filters = search.model_dump(mode="json", exclude={"name", "q", "mode"})
        row = (search.name, search.q, search.mode.value, json.dumps(filters, ensure_ascii=False))
        try:
            with self.connection(write=True) as db:
                number = db.execute("INSERT INTO watches (name, query, mode, filters) VALUES (?, ?, ?, ?)", row)
        except sqlite3.IntegrityError:
            raise WatchExists(f"a watch named {search.name!r} exists already") from None
        return self.get(number.lastrowid)

    def all(self) -> list[Watch]:
        with self.connection() as db:
            rows = db.execute("SELECT * FROM watches ORDER BY name COLLATE NOCASE").fetchall() if db else []
        return [watch(row) for row in rows]

    def get(self, key: int | str) -> Watch | None:
        """The watch with this id, else with this name."""
        number = int(key) if isinstance(key, int) or key.isdigit() else None
        with self.connection() as db:
            rows = (
                db.execute("SELECT * FROM watches WHERE id = ? OR name = ?", (number, str(key))).fetchall()
                if db
                else []
            )
        rows.sort(key=lambda row: row["id"] != number)
        return watch(rows[0]) if rows else None

    def remove(self, key: int | str) -> Watch | None:
        found = self.get(key)
        if found:
            with self.connection(write=True) as db:
                db.execute("DELETE FROM watches WHERE id = ?", (found.id,))
        return found


def watch(row: sqlite3.Row) -> Watch:
    search = WatchIn(name=row["name"], q=row["query"], mode=row["mode"], **json.loads(row["filters"]))
    return Watch(row["id"], row["created_at"], search)


@dataclass
class Arrival:
    """A document a watch matches, with when it entered the store."""

    id: str
    title: str | None
    url: str
    source: str
    published: str | None
    author: str | None
    first_seen: str
    snippet: str  # plain text


def arrivals(retriever: Retriever, watched: Watch, since: str | None, limit: int = MAX_ARRIVALS) -> list[Arrival]:
    """The documents first seen at ``since`` (ISO UTC) or later that the watch's search counts as relevant
    (what its total on the search page counts), newest first; one per cluster of duplicates."""
    search = watched.search
    ranked, docs = ranked_documents(retriever, search.q, search.mode, True, watched.filters(since))
    relevant = sorted((r for r in ranked if r.enough), key=lambda r: docs[r.doc_id]["first_seen"] or "", reverse=True)
    shown = relevant[:limit]
    texts = retriever.store.chunk_texts([r.chunk_id for r in shown])
    return [
        Arrival(
            id=r.doc_id,
            title=docs[r.doc_id]["title"],
            url=docs[r.doc_id]["url"],
            source=docs[r.doc_id]["source"],
            published=docs[r.doc_id]["published"],
            author=docs[r.doc_id]["author"],
            first_seen=docs[r.doc_id]["first_seen"] or "",
            snippet=plain(snippet(texts.get(r.chunk_id, ""), search.q)),
        )
        for r in shown
    ]
