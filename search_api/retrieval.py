"""Hybrid retrieval: FTS5 BM25 and dense results fused by reciprocal rank fusion, one hit per document."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from pipeline.embed import Embedder
from pipeline.entity_queries import documents_matching
from pipeline.index import VectorIndex
from pipeline.store import WORD, Store
from search_api.schemas import AlsoOn, SearchHit, SearchResponse

RRF_K = 60
CANDIDATES = 200
SNIPPET_CHARS = 300


class Mode(StrEnum):
    hybrid = "hybrid"
    semantic = "semantic"
    keyword = "keyword"


@dataclass
class Ranked:
    doc_id: str
    chunk_id: str
    score: float


def best_per_document(hits: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(doc id, chunk id) in rank order, keeping each document's best chunk only."""
    seen: dict[str, str] = {}
    for doc_id, chunk_id in hits:
        seen.setdefault(doc_id, chunk_id)
    return list(seen.items())


def reciprocal_rank_fusion(rankings: list[list[tuple[str, str]]]) -> list[Ranked]:
    scores: dict[str, float] = {}
    chunk_of: dict[str, str] = {}
    for ranking in rankings:
        for rank, (doc_id, chunk_id) in enumerate(ranking):
            scores[doc_id] = scores.get(doc_id, 0.0) + 1.0 / (RRF_K + rank + 1)
            chunk_of.setdefault(doc_id, chunk_id)
    ordered = sorted(scores, key=lambda d: scores[d], reverse=True)
    return [Ranked(d, chunk_of[d], scores[d]) for d in ordered]


def snippet(text: str, query: str, size: int = SNIPPET_CHARS) -> str:
    """About ``size`` characters of the chunk, on one line, around the first query word found."""
    text = " ".join(text.split())
    words = [w for w in WORD.findall(query) if len(w) > 2]
    match = next((m for w in words if (m := re.search(re.escape(w), text, re.I))), None)
    start = text.rfind(" ", 0, max(0, match.start() - size // 3)) + 1 if match else 0
    end = text.find(" ", start + size)
    end = len(text) if end == -1 else end
    return ("… " if start else "") + text[start:end] + (" …" if end < len(text) else "")


class Retriever:
    def __init__(self, store: Store, index: VectorIndex, embedder: Embedder):
        self.store, self.index, self.embedder = store, index, embedder

    def keyword(self, query: str, among: set[str] | None) -> list[tuple[str, str]]:
        hits = self.store.keyword_search(query, CANDIDATES, among)
        return best_per_document([(doc, chunk) for chunk, doc, _ in hits])

    def semantic(self, query: str, among: set[str] | None) -> list[tuple[str, str]]:
        hits = self.index.query(self.embedder.query(query), CANDIDATES, among)
        return best_per_document([(h.doc_id, h.chunk_id) for h in hits])

    def rank(self, query: str, mode: Mode, among: set[str] | None = None) -> list[Ranked]:
        """Documents for the query; only those ``among`` when filters gave a set."""
        rankings = []
        if mode in (Mode.hybrid, Mode.keyword):
            rankings.append(self.keyword(query, among))
        if mode in (Mode.hybrid, Mode.semantic):
            rankings.append(self.semantic(query, among))
        return reciprocal_rank_fusion(rankings)


def collapse_duplicates(ranked: list[Ranked], clusters: dict[str, str]) -> list[Ranked]:
    """The best-ranked document of each duplicate cluster only."""
    seen: set[str] = set()
    kept = []
    for hit in ranked:
        cluster = clusters.get(hit.doc_id) or hit.doc_id
        if cluster not in seen:
            seen.add(cluster)
            kept.append(hit)
    return kept


@dataclass
class Filters:
    sources: list[str] = field(default_factory=list)
    date_from: str | None = None
    date_to: str | None = None
    entities: list[str] = field(default_factory=list)  # canonical names or aliases; all must be named
    exclude_gone: bool = False
    kinds: list[str] = field(default_factory=list)  # html, pdf, text
    languages: list[str] = field(default_factory=list)  # ISO 639-1 codes


def search_documents(
    retriever: Retriever,
    q: str,
    mode: Mode,
    limit: int,
    offset: int,
    collapse: bool = True,
    filters: Filters | None = None,
) -> SearchResponse:
    filters = filters or Filters()
    among = documents_matching(
        retriever.store.db,
        filters.sources,
        filters.date_from,
        filters.date_to,
        filters.entities,
        filters.exclude_gone,
        filters.kinds,
        filters.languages,
    )
    ranked = retriever.rank(q, mode, among)
    docs = retriever.store.documents([r.doc_id for r in ranked])
    if collapse:
        ranked = collapse_duplicates(ranked, {d: row["cluster"] for d, row in docs.items()})
    page = [r for r in ranked[offset : offset + limit] if r.doc_id in docs]
    texts = retriever.store.chunk_texts([r.chunk_id for r in page])
    members = retriever.store.cluster_members([docs[r.doc_id]["cluster"] or r.doc_id for r in page])
    hits = [hit(docs[r.doc_id], r, snippet(texts.get(r.chunk_id, ""), q), members) for r in page]
    return SearchResponse(query=q, mode=mode.value, total=len(ranked), limit=limit, offset=offset, hits=hits)


def hit(doc, ranked: Ranked, passage: str, members: dict) -> SearchHit:
    also_on = [
        AlsoOn(id=m["id"], source=m["source"], url=m["url"])
        for m in members.get(doc["cluster"] or doc["id"], [])
        if m["id"] != doc["id"]
    ]
    return SearchHit(
        id=doc["id"],
        title=doc["title"],
        url=doc["url"],
        source=doc["source"],
        kind=doc["kind"],
        published=doc["published"],
        author=doc["author"],
        snippet=passage,
        score=round(ranked.score, 6),
        gone=bool(doc["gone"]),
        also_on=also_on,
    )
