"""The ESS gazetteer (corpus/entities.toml): canonical names, types and aliases
(matched by ``pipeline.nlp.gazetteer_ruler``).

Canonical keys fold what analysts consider the same name: case, accents, typographic apostrophes,
leading articles and prepositions ("le Coorace", "du Labo de l'ESS"), honorifics ("Mme Wilson") and dotted
acronyms ("C.R.E.S.S.").
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

LABELS = ("ORG", "LOC", "PER", "MISC")
LEADING = re.compile(
    r"^(?:(?:de\s+la|de\s+l'|du|des|de|d'|au|aux|à\s+la|à\s+l'|à)\s+|d')?(?:(?:le|la|les)\s+|l')?", re.I
)
HONORIFIC = re.compile(r"^(?:m\.|mm\.|mme|mmes|mlle|mlles|me|dr|pr|mgr|monsieur|madame|mademoiselle)\s+", re.I)
STRAIGHT_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'"})  # one character for one: offsets hold
DOTTED = re.compile(r"^(?:[^\W\d_]\.){2,}[^\W\d_]?\.?$")


class GazetteerError(ValueError):
    """The gazetteer file cannot be used; the message says which entry."""


@dataclass(frozen=True)
class Entry:
    name: str
    type: str
    aliases: tuple[str, ...] = ()
    case_sensitive: bool = False
    description: str = ""

    def spellings(self) -> list[str]:
        return [self.name, *self.aliases]


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def model_text(text: str) -> str:
    """The text as the model and the gazetteer's patterns read it: typographic apostrophes made straight."""
    return text.translate(STRAIGHT_APOSTROPHES)


def entity_key(text: str) -> str:
    """The canonical key of a name: "le C.R.E.S.S." and "Cress" and "CRESS" give "cress"; "Mme Wilson" and
    "Wilson" give "wilson" (the span keeps its honorific, the entity does not)."""
    name = " ".join(model_text(text).split()).strip(" .,;:«»\"'()")
    name = LEADING.sub("", name, count=1) or name
    name = HONORIFIC.sub("", name, count=1) or name
    if DOTTED.match(name):
        name = name.replace(".", "")
    return strip_accents(name).casefold()


def load_gazetteer(path: Path) -> list[Entry]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GazetteerError(f"gazetteer not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise GazetteerError(f"{path}: invalid TOML: {exc}") from None
    entries = [_entry(table, i) for i, table in enumerate(data.get("entity", []))]
    _refuse_clashes(entries)
    return entries


def _entry(table: dict, index: int) -> Entry:
    where = f"entity #{index + 1} ({table.get('name', 'unnamed')})"
    if not isinstance(table.get("name"), str) or not table["name"].strip():
        raise GazetteerError(f"{where}: 'name' is required")
    if table.get("type") not in LABELS:
        raise GazetteerError(f"{where}: type must be one of {', '.join(LABELS)}")
    aliases = table.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
        raise GazetteerError(f"{where}: 'aliases' must be a list of names")
    return Entry(
        table["name"].strip(),
        table["type"],
        tuple(a.strip() for a in aliases),
        bool(table.get("case_sensitive", False)),
        table.get("description", ""),
    )


def _refuse_clashes(entries: list[Entry]) -> None:
    owner: dict[str, str] = {}
    for entry in entries:
        for spelling in entry.spellings():
            key = spelling if entry.case_sensitive else entity_key(spelling)
            if owner.setdefault(key, entry.name) != entry.name:
                raise GazetteerError(f"'{spelling}' names both {owner[key]} and {entry.name}")


def variants(spelling: str) -> set[str]:
    """The spelling, without accents, and for a short all-capital acronym its dotted form."""
    found = {spelling, strip_accents(spelling)}
    if spelling.isalpha() and spelling.isupper() and 2 <= len(spelling) <= 6:
        found.add(".".join(spelling) + ".")
    return found
