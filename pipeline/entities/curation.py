"""The analysts' decisions about entities: merge two, add an alias, reject a false positive, change a type.

Decisions are kept in order in a curation file beside the gazetteer (JSON, ``ESS_CURATION``) and hold for
every store: ``ess entity merge|alias|reject|retype`` records one and applies it to the store at once; the
pipeline applies them all to the mentions it writes (``Curation.resolve``) and again after each run
(``apply``). Only the store's entity and mention rows change: no page is extracted again, no vector
re-embedded, and the keyword index, which holds no entity, is untouched.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline.entities.gazetteer import LABELS, entity_key

ACTIONS = ("merge", "alias", "reject", "retype")


class CurationError(ValueError):
    """A decision that cannot be taken, or a curation file that cannot be read; the message says which."""


@dataclass(frozen=True)
class Decision:
    action: str  # one of ACTIONS
    name: str  # the entity decided about (merge: the one kept)
    other: str | None = None  # merge: the entity merged into it; alias: the alias; retype: the type
    at: str = ""  # UTC, ISO 8601

    def names(self) -> set[str]:
        """The keys of the entities it is about."""
        return {entity_key(self.name)} | ({entity_key(self.other)} if self.action in ("merge", "alias") else set())


@dataclass
class Resolved:
    key: str
    name: str
    label: str
    curated: bool


class Curation:
    def __init__(self, decisions: list[Decision]):
        self.decisions = decisions
        self.into: dict[str, str] = {}  # merged or aliased key -> the name of the entity it now belongs to
        self.rejected: set[str] = set()
        self.types: dict[str, str] = {}
        for decision in decisions:
            self._take(decision)

    def _take(self, decision: Decision) -> None:
        key = entity_key(decision.name)
        if decision.action in ("merge", "alias"):
            self.into[entity_key(decision.other)] = decision.name
        elif decision.action == "reject":
            self.rejected.add(key)
        else:
            self.types[key] = decision.other

    @classmethod
    def load(cls, path: Path) -> Curation:
        if not Path(path).exists():
            return cls([])
        try:
            rows = json.loads(Path(path).read_text(encoding="utf-8"))
            decisions = [Decision(**row) for row in rows]
        except (ValueError, TypeError) as exc:
            raise CurationError(f"{path}: not a list of decisions ({exc})") from None
        for decision in decisions:
            check(decision)
        return cls(decisions)

    def canonical(self, key: str) -> tuple[str, str | None]:
        """The key an entity's key now resolves to, following merges and aliases, with the name it took."""
        name, seen = None, {key}
        while key in self.into:
            name = self.into[key]
            key = entity_key(name)
            if key in seen:  # a merge back and forth: the latest decision's target holds
                break
            seen.add(key)
        return key, name

    def resolve(self, key: str, name: str, label: str) -> Resolved | None:
        """What a mention the pipeline found becomes: its entity after the decisions, None when rejected."""
        target, merged_name = self.canonical(key)
        if target in self.rejected:
            return None
        curated = target != key or target in self.types
        return Resolved(target, merged_name or name, self.types.get(target, label), curated)

    def about(self, key: str) -> list[Decision]:
        """The decisions concerning the entity of ``key``, in the order they were taken."""
        return [d for d in self.decisions if key in {self.canonical(k)[0] for k in d.names()} | d.names()]


def check(decision: Decision) -> None:
    if decision.action not in ACTIONS:
        raise CurationError(f"unknown action {decision.action!r}: one of {', '.join(ACTIONS)}")
    if not entity_key(decision.name):
        raise CurationError("a decision needs the name of an entity")
    if decision.action in ("merge", "alias") and not (decision.other and entity_key(decision.other)):
        raise CurationError(f"{decision.action} needs a second name")
    if decision.action in ("merge", "alias") and entity_key(decision.other) == entity_key(decision.name):
        raise CurationError(f"{decision.name!r} and {decision.other!r} are already the same entity")
    if decision.action == "retype" and decision.other not in LABELS:
        raise CurationError(f"type {decision.other!r} is not one of {', '.join(LABELS)}")


def record(path: Path, decision: Decision) -> Decision:
    """Append ``decision`` to the curation file (written whole, then renamed into place)."""
    taken = Decision(decision.action, decision.name.strip(), (decision.other or "").strip() or None, utc_now())
    check(taken)
    decisions = Curation.load(path).decisions + [taken]
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp", encoding="utf-8") as out:
        json.dump([asdict(d) for d in decisions], out, ensure_ascii=False, indent=1)
    os.replace(out.name, path)
    return taken


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def apply(db: sqlite3.Connection, curation: Curation) -> dict[str, int]:
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
