"""The read side of the store: every query the API, the page and the commands make of ess.sqlite (the writer is
pipeline.store.writer). Entities (resolution of a name or alias, listings, entity pages), facets of a result set,
totals and per-source counts, and the ids that `ess check` compares."""

from __future__ import annotations

import difflib
import json
import re
import sqlite3
from collections import Counter, defaultdict
from itertools import combinations

from pipeline.entities.gazetteer import LABELS, entity_key
from pipeline.records import Filters

MENTIONED = (
    "SELECT entity_id, count(*) AS mentions, count(DISTINCT doc_id) AS documents FROM mentions GROUP BY entity_id"
)


def resolve(db: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    """The entity a name designates: its canonical key, else a gazetteer alias (case, accents, articles folded)."""
    key = entity_key(name)
    row = db.execute("SELECT * FROM entities WHERE key = ?", (key,)).fetchone()
    if row is not None:
        return row
    for row in db.execute("SELECT * FROM entities WHERE aliases IS NOT NULL"):
        if key in {entity_key(alias) for alias in json.loads(row["aliases"])}:
            return row
    return None


def closest_names(db: sqlite3.Connection, name: str, n: int = 5) -> list[str]:
    rows = db.execute(f"SELECT e.name FROM entities e JOIN ({MENTIONED}) m ON m.entity_id = e.id").fetchall()
    names = {entity_key(r["name"]): r["name"] for r in rows}
    return [names[k] for k in difflib.get_close_matches(entity_key(name), list(names), n=n, cutoff=0.6)]


def like_escaped(text: str) -> str:
    """Text for a LIKE pattern, its own % and _ taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_entities(
    db: sqlite3.Connection, q: str | None, label: str | None, source: str | None, sort: str, limit: int, offset: int
) -> tuple[int, list[sqlite3.Row]]:
    """(total, page) of mentioned entities with their mention and document counts."""
    where, params = ["1 = 1"], []
    if q:
        where.append("(e.key LIKE ? ESCAPE '\\' OR e.name LIKE ? ESCAPE '\\')")
        params += [f"%{like_escaped(entity_key(q))}%", f"%{like_escaped(q)}%"]
    if label:
        where.append("e.label = ?")
        params.append(label)
    counted = (
        MENTIONED
        if not source
        else MENTIONED.replace(
            "FROM mentions", "FROM mentions WHERE doc_id IN (SELECT id FROM documents WHERE source = ?)"
        )
    )
    params = ([source] if source else []) + params
    order = {"mentions": "m.mentions DESC", "documents": "m.documents DESC", "name": "e.name COLLATE NOCASE"}[sort]
    base = f"FROM entities e JOIN ({counted}) m ON m.entity_id = e.id WHERE {' AND '.join(where)}"
    total = db.execute(f"SELECT count(*) {base}", params).fetchone()[0]
    rows = db.execute(
        f"SELECT e.*, m.mentions, m.documents {base} ORDER BY {order}, e.name LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    return total, rows


# The entities named in the most documents that name a given one: each (document, entity) pair once, read
# from the index on mentions(doc_id, entity_id) (27 ms for Coorace at 100k chunks, 110 joining every mention).
NAMED_WITH = (
    "WITH mine AS (SELECT DISTINCT doc_id FROM mentions WHERE entity_id = ?), "
    "pairs AS (SELECT DISTINCT m.doc_id, m.entity_id FROM mentions m JOIN mine USING (doc_id) WHERE m.entity_id != ?) "
    "SELECT e.id, e.name, e.label, count(*) AS documents FROM pairs JOIN entities e ON e.id = pairs.entity_id "
    "GROUP BY e.id ORDER BY documents DESC, e.name LIMIT ?"
)


def profile(db: sqlite3.Connection, entity_id: int, cooccurring: int = 20) -> dict:
    """Totals, counts by source and by month of publication, and the entities most often in the same documents."""
    totals = db.execute(
        "SELECT count(*) AS mentions, count(DISTINCT doc_id) AS documents FROM mentions WHERE entity_id = ?",
        (entity_id,),
    ).fetchone()
    by_source = db.execute(
        "SELECT d.source, count(*) AS mentions, count(DISTINCT d.id) AS documents FROM mentions m "
        "JOIN documents d ON d.id = m.doc_id WHERE m.entity_id = ? GROUP BY d.source ORDER BY mentions DESC",
        (entity_id,),
    ).fetchall()
    by_month = db.execute(
        "SELECT substr(d.published, 1, 7) AS month, count(*) AS mentions, count(DISTINCT d.id) AS documents "
        "FROM mentions m JOIN documents d ON d.id = m.doc_id WHERE m.entity_id = ? AND d.published IS NOT NULL "
        "GROUP BY month ORDER BY month",
        (entity_id,),
    ).fetchall()
    together = db.execute(NAMED_WITH, (entity_id, entity_id, cooccurring)).fetchall()
    return {"totals": totals, "by_source": by_source, "by_month": by_month, "cooccurring": together}


def neighbourhood(db: sqlite3.Connection, entity_id: int, size: int = 12) -> tuple[list[sqlite3.Row], list[tuple]]:
    """The ``size`` entities most often named in the same documents as the entity (id, name, label, documents
    shared), and in how many of the entity's documents each pair of them is named together: (name, name,
    documents)."""
    around = db.execute(NAMED_WITH, (entity_id, entity_id, size)).fetchall()
    names = {row["id"]: row["name"] for row in around}
    rows = db.execute(
        "WITH mine AS (SELECT DISTINCT doc_id FROM mentions WHERE entity_id = ?) SELECT DISTINCT m.doc_id, "
        "m.entity_id FROM mentions m JOIN mine USING (doc_id) WHERE m.entity_id IN (SELECT value FROM json_each(?))",
        (entity_id, json.dumps(list(names))),
    )
    return around, [(names[a], names[b], n) for (a, b), n in pairs_together(rows).items()]


def pairs_together(rows) -> Counter:
    """(entity, entity) -> documents naming both, from distinct (document, entity) rows; counted here, where
    SQLite would join the rows with themselves without an index."""
    named: dict[str, list[int]] = defaultdict(list)
    for doc_id, entity in rows:
        named[doc_id].append(entity)
    return Counter(pair for entities in named.values() for pair in combinations(sorted(entities), 2))


def source_and_dates(filters: Filters, table: str = "") -> tuple[list[str], list]:
    """SQL conditions, with their parameters, on documents' source and publication date (YYYY[-MM[-DD]], the
    end of ``date_to``'s year or month included); ``table`` names the documents table's alias."""
    column = f"{table}." if table else ""
    where, params = [], []
    if filters.sources:
        where.append(f"{column}source IN ({', '.join('?' * len(filters.sources))})")
        params += filters.sources
    if filters.date_from:
        where.append(f"{column}published >= ?")
        params.append(filters.date_from)
    if filters.date_to:
        where.append(f"substr({column}published, 1, ?) <= ?")
        params += [len(filters.date_to), filters.date_to]
    return where, params


def dated_documents(db: sqlite3.Connection, filters: Filters) -> list[tuple[str, str, str | None]]:
    """(id, source, publication date) of the documents within the source and date filters."""
    where, params = source_and_dates(filters)
    rows = db.execute(f"SELECT id, source, published FROM documents WHERE {' AND '.join(['1 = 1', *where])}", params)
    return [tuple(row) for row in rows]


def cooccurrence(
    db: sqlite3.Connection, filters: Filters, labels: list[str], least: int, most: int
) -> tuple[list[sqlite3.Row], list[tuple[int, int, int]]]:
    """The co-occurrence graph of the documents within the filters: its ``most`` entities of these ``labels``
    named in at least ``least`` documents (id, name, label, documents), and each pair of them named together
    in at least ``least`` documents (id, id, documents)."""
    where, params = source_and_dates(filters, "d")
    where.append(f"e.label IN ({', '.join('?' * len(labels))})")
    params += labels
    kept = (
        "WITH pairs AS (SELECT DISTINCT m.doc_id, m.entity_id FROM mentions m JOIN documents d ON d.id = m.doc_id "
        f"JOIN entities e ON e.id = m.entity_id WHERE {' AND '.join(where)}), "
        "top AS (SELECT entity_id, count(*) AS documents FROM pairs GROUP BY entity_id HAVING documents >= ? "
        "ORDER BY documents DESC, entity_id LIMIT ?), "
        "kept AS (SELECT pairs.* FROM pairs JOIN top USING (entity_id)) "
    )
    params += [least, most]
    nodes = db.execute(
        kept + "SELECT e.id, e.name, e.label, top.documents FROM top JOIN entities e ON e.id = top.entity_id "
        "ORDER BY top.documents DESC, e.name",
        params,
    ).fetchall()
    together = pairs_together(db.execute(kept + "SELECT doc_id, entity_id FROM kept", params))
    return nodes, [(a, b, n) for (a, b), n in sorted(together.items()) if n >= least]


def documents_of(db: sqlite3.Connection, entity_id: int, limit: int, offset: int) -> list[sqlite3.Row]:
    """The entity's documents, newest first, with how often each names it."""
    return db.execute(
        "SELECT d.id, d.title, d.url, d.source, d.published, count(*) AS mentions FROM mentions m "
        "JOIN documents d ON d.id = m.doc_id WHERE m.entity_id = ? GROUP BY d.id "
        "ORDER BY d.published IS NULL, d.published DESC, d.title LIMIT ? OFFSET ?",
        (entity_id, limit, offset),
    ).fetchall()


SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"«“(\d\w])|\n+")
CONTEXT = 600  # characters read on each side of a mention to find its sentence


def sentence_around(text: str, start: int, end: int) -> str:
    """The sentence of ``text`` holding the span [start, end), on one line."""
    begin = max((m.end() for m in SENTENCE_END.finditer(text, 0, start)), default=0)
    after = SENTENCE_END.search(text, end)
    return " ".join(text[begin : after.start() if after else len(text)].split())


def mentions_of(db: sqlite3.Connection, entity_id: int) -> list[dict]:
    """Every mention of the entity, newest documents first, with the sentence it stands in."""
    rows = db.execute(
        "SELECT d.id AS document, d.title, d.source, d.published, d.url, m.surface, m.label, m.start, m.end, "
        "max(m.start - ?, 0) AS offset, substr(d.text, max(m.start - ?, 0) + 1, m.end - m.start + 2 * ?) AS context "
        "FROM mentions m JOIN documents d ON d.id = m.doc_id WHERE m.entity_id = ? "
        "ORDER BY d.published IS NULL, d.published DESC, d.id, m.start",
        (CONTEXT, CONTEXT, CONTEXT, entity_id),
    )
    return [
        {
            **{k: row[k] for k in row.keys() if k not in ("offset", "context")},
            "sentence": sentence_around(row["context"], row["start"] - row["offset"], row["end"] - row["offset"]),
        }
        for row in rows
    ]


def documents_matching(db: sqlite3.Connection, filters: Filters) -> set[str] | None:
    """Ids of the documents that pass the filters (every entity named; first seen at ``seen_since`` or later,
    an ISO UTC time), or None when nothing filters."""
    if not filters:
        return None
    where, params = source_and_dates(filters)  # at least one condition follows
    for column, values in (("kind", filters.kinds), ("language", filters.languages)):
        if values:
            where.append(f"{column} IN ({', '.join('?' * len(values))})")
            params += values
    if filters.exclude_gone:
        where.append("gone = 0")
    if filters.seen_since:
        where.append("first_seen >= ?")
        params.append(filters.seen_since)
    for name in filters.entities:
        entity = resolve(db, name)
        if entity is None:
            return set()
        where.append("id IN (SELECT doc_id FROM mentions WHERE entity_id = ?)")
        params.append(entity["id"])
    return {row[0] for row in db.execute(f"SELECT id FROM documents WHERE {' AND '.join(where)}", params)}


# --- facets of a result set ------------------------------------------------------------------------

TOP_ENTITIES = 10  # per type, in the facets
HIT_ENTITIES = 8  # per hit


def _ids(doc_ids: list[str]) -> str:
    return json.dumps(doc_ids)


def by_source(db: sqlite3.Connection, doc_ids: list[str]) -> list[tuple[str, int]]:
    rows = db.execute(
        "SELECT source, count(*) FROM documents WHERE id IN (SELECT value FROM json_each(?)) "
        "GROUP BY source ORDER BY count(*) DESC, source",
        (_ids(doc_ids),),
    )
    return [tuple(r) for r in rows]


def by_year(db: sqlite3.Connection, doc_ids: list[str]) -> list[tuple[str, int]]:
    """Documents per publication year, newest first; undated documents under "n.d."."""
    rows = db.execute(
        "SELECT coalesce(substr(published, 1, 4), 'n.d.') AS year, count(*) FROM documents "
        "WHERE id IN (SELECT value FROM json_each(?)) GROUP BY year ORDER BY year = 'n.d.', year DESC",
        (_ids(doc_ids),),
    )
    return [tuple(r) for r in rows]


def top_entities(db: sqlite3.Connection, doc_ids: list[str]) -> dict[str, list[tuple[str, int]]]:
    """Per type, the entities named in the most documents of the set (ties by name)."""
    rows = db.execute(  # distinct (document, entity) pairs first, read from the index mentions_doc_entity
        "SELECT e.label, e.name, pairs.documents FROM (SELECT entity_id, count(*) AS documents FROM "
        "(SELECT DISTINCT doc_id, entity_id FROM mentions WHERE doc_id IN (SELECT value FROM json_each(?)) "
        "AND entity_id IS NOT NULL) GROUP BY entity_id) pairs JOIN entities e ON e.id = pairs.entity_id "
        "ORDER BY pairs.documents DESC, e.name",
        (_ids(doc_ids),),
    )
    top: dict[str, list[tuple[str, int]]] = {label: [] for label in LABELS}
    for label, name, documents in rows:
        if len(top.setdefault(label, [])) < TOP_ENTITIES:
            top[label].append((name, documents))
    return top


def hit_entities(db: sqlite3.Connection, doc_ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    """Per document, its most mentioned entities as (name, type)."""
    rows = db.execute(
        "SELECT m.doc_id, e.name, e.label, count(*) AS n FROM mentions m JOIN entities e ON e.id = m.entity_id "
        "WHERE m.doc_id IN (SELECT value FROM json_each(?)) GROUP BY m.doc_id, e.id ORDER BY m.doc_id, n DESC, e.name",
        (_ids(doc_ids),),
    )
    entities: dict[str, list[tuple[str, str]]] = {}
    for doc_id, name, label, _ in rows:
        if len(entities.setdefault(doc_id, [])) < HIT_ENTITIES:
            entities[doc_id].append((name, label))
    return entities


# --- totals and per-source counts ----------------------------------------------------------------------


def _count(db: sqlite3.Connection, sql: str) -> int:
    return db.execute(sql).fetchone()[0]


def _documents_by(db: sqlite3.Connection, column: str) -> dict[str, int]:
    rows = db.execute(f"SELECT coalesce({column}, 'unknown'), count(*) FROM documents GROUP BY 1 ORDER BY 2 DESC")
    return dict(rows.fetchall())


def totals(db: sqlite3.Connection) -> dict:
    """Counts of the store, with documents by kind and language, duplicates and gone pages."""
    return {
        "documents": _count(db, "SELECT count(*) FROM documents"),
        "chunks": _count(db, "SELECT count(*) FROM chunks"),
        "entities": _count(db, "SELECT count(DISTINCT entity_id) FROM mentions WHERE entity_id IS NOT NULL"),
        "mentions": _count(db, "SELECT count(*) FROM mentions"),
        "dates": _count(db, "SELECT count(*) FROM mentions WHERE label = 'DATE'"),
        "duplicates": _count(db, "SELECT count(*) FROM documents WHERE cluster IS NOT NULL AND cluster != id"),
        "gone": _count(db, "SELECT count(*) FROM documents WHERE gone = 1"),
        "without_text": _count(db, "SELECT count(*) FROM documents WHERE no_text = 1"),
        "by_kind": _documents_by(db, "kind"),
        "by_language": _documents_by(db, "language"),
    }


def documents_by_source(db: sqlite3.Connection) -> dict[str, tuple[int, int]]:
    """Source -> (documents, gone documents)."""
    rows = db.execute("SELECT source, count(*), coalesce(sum(gone), 0) FROM documents GROUP BY source")
    return {source: (documents, gone) for source, documents, gone in rows}


def skipped_counts(db: sqlite3.Connection) -> dict[str, dict[str, int]]:
    """Source -> reason -> archived pages skipped for it."""
    counts: dict[str, dict[str, int]] = {}
    rows = db.execute("SELECT source, reason, count(*) FROM skipped GROUP BY source, reason ORDER BY source, 3 DESC")
    for source, reason, n in rows:
        counts.setdefault(source, {})[reason] = n
    return counts


# --- what `ess check` compares ----------------------------------------------------------------------------


def chunk_ids(db: sqlite3.Connection) -> set[str]:
    return {row[0] for row in db.execute("SELECT id FROM chunks")}


def documents_without_chunks(db: sqlite3.Connection) -> list[str]:
    rows = db.execute("SELECT id FROM documents WHERE no_text = 0 AND id NOT IN (SELECT doc_id FROM chunks)")
    return [row[0] for row in rows]
