"""The domain records the processing makes and the store keeps: plain dataclasses, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

DOCUMENT_KINDS = ("html", "pdf", "text")  # an HTML page, a PDF report, an ingested text or JSON document


@dataclass
class Document:
    id: str
    url: str
    source: str
    kind: str  # one of DOCUMENT_KINDS
    text: str
    raw_hash: str
    title: str | None = None
    author: str | None = None
    published: str | None = None
    sitename: str | None = None
    description: str | None = None
    fetched_at: str | None = None
    warc_file: str | None = None
    warc_offset: int | None = None
    language: str | None = None
    gone: int = 0
    no_text: int = 0
    text_hash: str | None = None
    cluster: str | None = None
    tags: str | None = None  # JSON list


@dataclass
class Skip:
    """An archived page that is not a document: its body's hash and the reason, so it is not judged twice."""

    id: str
    url: str
    source: str
    raw_hash: str
    reason: str
    words: int | None
    rule: str


@dataclass
class ChunkRow:
    id: str
    idx: int
    start: int
    end: int
    text: str


@dataclass
class Mention:
    text: str  # the surface form
    label: str  # ORG | LOC | PER | MISC | DATE
    start: int
    end: int
    entity: str | None = None  # canonical name when the gazetteer matched
    value: str | None = None  # DATE: ISO value ("2012-04-13", "2012-06" or "2012")


@dataclass
class Filters:
    """Which documents a search, an export, attention over time, the co-occurrence graph or a watch looks at."""

    sources: list[str] = field(default_factory=list)
    date_from: str | None = None  # published on or after: YYYY, YYYY-MM or YYYY-MM-DD
    date_to: str | None = None  # published on or before (the end of its year or month included)
    entities: list[str] = field(default_factory=list)  # canonical names or aliases; all must be named
    exclude_gone: bool = False
    kinds: list[str] = field(default_factory=list)  # html, pdf, text
    languages: list[str] = field(default_factory=list)  # ISO 639-1 codes
    seen_since: str | None = None  # first seen in the store at this ISO UTC time or later

    def __bool__(self) -> bool:
        """Whether anything is filtered out."""
        return self != Filters()
