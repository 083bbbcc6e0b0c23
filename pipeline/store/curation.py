"""The analysts' decisions about entities (``pipeline.entities.curation``) applied to the store's entity and
mention rows."""

from __future__ import annotations

import json
import sqlite3

from pipeline.entities.curation import ACTIONS, Curation, Decision
from pipeline.entities.gazetteer import entity_key


def apply_curation(db: sqlite3.Connection, curation: Curation) -> dict[str, int]:
    """Bring the store's entities and mentions in line with every decision, in one transaction; taking a
    decision twice changes nothing. Counts of the mention rows changed, by action."""
    changed = dict.fromkeys(ACTIONS, 0)
    with db:
        for decision in curation.decisions:
            changed[decision.action] += take(db, curation, decision)
    return changed


def take(db: sqlite3.Connection, curation: Curation, decision: Decision) -> int:
    """One decision applied to the store: the mention rows it changed."""
    target, name = curation.canonical(entity_key(decision.name))
    kept = entity_id(db, target)
    if decision.action == "reject":
        return reject(db, kept)
    merged = entity_id(db, entity_key(decision.other)) if decision.action in ("merge", "alias") else None
    if kept is None and merged is not None:  # this store knows only the merged name: it takes the kept one
        db.execute("UPDATE entities SET key = ?, name = ? WHERE id = ?", (target, name or decision.name, merged))
        kept, merged = merged, None
    if kept is None:
        return 0  # no such entity in this store (decisions hold for every store)
    if decision.action == "retype":
        db.execute("UPDATE entities SET label = ?, curated = 1 WHERE id = ?", (decision.other, kept))
        relabel = "UPDATE mentions SET label = ? WHERE entity_id = ? AND label != ?"
        return db.execute(relabel, (decision.other, kept, decision.other)).rowcount
    db.execute("UPDATE entities SET name = ? WHERE id = ? AND gazetteer = 0", (name or decision.name, kept))
    add_aliases(db, kept, [decision.other])
    return merge(db, kept, merged)


def entity_id(db: sqlite3.Connection, key: str) -> int | None:
    row = db.execute("SELECT id FROM entities WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def add_aliases(db: sqlite3.Connection, kept: int, names: list[str]) -> None:
    row = db.execute("SELECT name, aliases FROM entities WHERE id = ?", (kept,)).fetchone()
    aliases = json.loads(row[1] or "[]")
    aliases += [n for n in names if n and entity_key(n) != entity_key(row[0]) and n not in aliases]
    db.execute(
        "UPDATE entities SET aliases = ?, curated = 1 WHERE id = ?", (json.dumps(aliases, ensure_ascii=False), kept)
    )


def merge(db: sqlite3.Connection, kept: int, gone: int | None) -> int:
    """The mentions of entity ``gone`` become ``kept``'s, with its label; ``gone``'s names its aliases."""
    if gone is None or gone == kept:
        return 0
    name, aliases = db.execute("SELECT name, aliases FROM entities WHERE id = ?", (gone,)).fetchone()
    add_aliases(db, kept, [name, *json.loads(aliases or "[]")])
    label = db.execute("SELECT label FROM entities WHERE id = ?", (kept,)).fetchone()[0]
    moved = db.execute("UPDATE mentions SET entity_id = ?, label = ? WHERE entity_id = ?", (kept, label, gone)).rowcount
    db.execute("DELETE FROM entities WHERE id = ?", (gone,))
    return moved


def reject(db: sqlite3.Connection, rejected: int | None) -> int:
    """The entity's mentions are dropped (the pipeline drops them too from now on)."""
    if rejected is None:
        return 0
    dropped = db.execute("DELETE FROM mentions WHERE entity_id = ?", (rejected,)).rowcount
    db.execute("UPDATE entities SET curated = 1 WHERE id = ?", (rejected,))
    return dropped
