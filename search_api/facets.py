"""Facets of a result set (documents by source, by year, top entities per type) and the entities of each hit."""

from __future__ import annotations

import json
import sqlite3

ENTITY_TYPES = ("ORG", "LOC", "PER", "MISC")
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
    rows = db.execute(
        "SELECT e.label, e.name, count(DISTINCT m.doc_id) AS documents FROM mentions m "
        "JOIN entities e ON e.id = m.entity_id WHERE m.doc_id IN (SELECT value FROM json_each(?)) "
        "GROUP BY e.id ORDER BY documents DESC, e.name",
        (_ids(doc_ids),),
    )
    top: dict[str, list[tuple[str, int]]] = {label: [] for label in ENTITY_TYPES}
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
