"""Do the SQLite store, the keyword index and the Chroma index hold the same chunks? (`ess check`)"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.index.keywords import KeywordIndex
from pipeline.index.vectors import VectorIndex
from pipeline.store import queries
from pipeline.store.writer import Store

EXAMPLES = 10  # ids shown per difference


@dataclass
class Agreement:
    chunks: int
    keyword_rows: int
    vectors: int
    differences: dict[str, list[str]] = field(default_factory=dict)  # what differs: up to EXAMPLES ids
    counts: dict[str, int] = field(default_factory=dict)  # what differs: how many

    @property
    def agree(self) -> bool:
        return not self.counts

    def note(self, what: str, ids: set[str]) -> None:
        if ids:
            self.counts[what] = len(ids)
            self.differences[what] = sorted(ids)[:EXAMPLES]


def compare(store: Store, index: VectorIndex, keywords: KeywordIndex) -> Agreement:
    """Every chunk of the store against the keyword index (by rowid) and the vector index (by chunk id)."""
    db = store.db
    stored, rowids, indexed = queries.chunk_ids(db), store.chunk_rowids(), keywords.rowids()
    unindexed = [chunk for chunk, _ in store.chunks_at(sorted(rowids - indexed)).values()]
    vectors = index.ids()
    result = Agreement(len(stored), keywords.count(), len(vectors))
    result.note("chunks missing from the keyword index", set(unindexed))
    result.note("keyword rows without a chunk", {f"rowid {rowid}" for rowid in indexed - rowids})
    result.note("chunks missing from the vector index", stored - vectors)
    result.note("vectors without a chunk", vectors - stored)
    result.note("documents with text but no chunk", set(queries.documents_without_chunks(db)))
    return result
