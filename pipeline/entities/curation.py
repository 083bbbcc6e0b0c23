"""The analysts' decisions about entities: merge two, add an alias, reject a false positive, change a type.

Decisions are kept in order in a curation file beside the gazetteer (JSON, ``ESS_CURATION``) and hold for
every store: ``ess entity merge|alias|reject|retype`` records one and applies it to the store at once; the
pipeline applies them all to the mentions it writes (``Curation.resolve``) and again after each run
(``pipeline.store.curation.apply_curation``). Only the store's entity and mention rows change: no page is
extracted again, no vector re-embedded, and the keyword index, which holds no entity, is untouched.
"""

from __future__ import annotations

import json
import os
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
