"""Do the SQLite store, its FTS5 keyword table and the Chroma index hold the same chunks? (`ess check`)"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline import queries
from pipeline.index import VectorIndex
from pipeline.store import Store

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


def compare(store: Store, index: VectorIndex) -> Agreement:
    """Every chunk id of the store against the keyword table and the vector index."""
    db = store.db
    stored, keyword = queries.chunk_ids(db), queries.keyword_chunk_ids(db)
    keyword_orphans = {f"fts rowid {rowid}" for rowid in queries.orphan_keyword_rows(db)}
    vectors = index.ids()
    result = Agreement(len(stored), store.keyword_rows(), len(vectors))
    result.note("chunks missing from the keyword table", stored - keyword)
    result.note("keyword rows without a chunk", keyword_orphans)
    result.note("chunks missing from the vector index", stored - vectors)
    result.note("vectors without a chunk", vectors - stored)
    result.note("documents with text but no chunk", set(queries.documents_without_chunks(db)))
    return result
