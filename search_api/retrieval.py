"""Hybrid retrieval: BM25 (tantivy) and dense results fused by a weighted sum of scores, one hit per document."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from pipeline.config import Settings
from pipeline.embed.embedder import Embedder
from pipeline.index.analysis import query_terms
from pipeline.index.keywords import KeywordIndex
from pipeline.index.vectors import VectorIndex
from pipeline.records import Filters
from pipeline.store import queries as facets
from pipeline.store.queries import documents_matching
from pipeline.store.reader import StoreReader
from search_api.schemas import AlsoOn, EntityRef, FacetCount, Facets, SearchHit, SearchResponse
from search_api.snippets import snippet
from search_api.timing import stage

LEAP_YEAR = r"[1-9]\d(?:0[48]|[2468][048]|[13579][26])|(?:[13579][26]|[2468][048])00"
MONTH_DAY = (
    r"(?:0[13578]|1[02])(?:-(?:0[1-9]|[12]\d|3[01]))?"  # months of 31 days
    r"|(?:0[469]|11)(?:-(?:0[1-9]|[12]\d|30))?"  # of 30
    r"|02(?:-(?:0[1-9]|1\d|2[0-8]))?"  # February; its 29th only in LEAP_YEAR
)
# YYYY, YYYY-MM or YYYY-MM-DD naming a real calendar year, month or day (2024-02-29, not 2025-02-29 nor
# 2024-13-45): a pattern, so that the OpenAPI schema says exactly which dates the API accepts.
PUBLICATION_DATE = re.compile(rf"^(?:[1-9]\d{{3}}(?:-(?:{MONTH_DAY}))?|(?:{LEAP_YEAR})-02-29)$")
CANDIDATES = 200  # chunks each ranking reads before fusion


def is_publication_date(value: str) -> bool:
    return bool(PUBLICATION_DATE.fullmatch(value))


class Mode(StrEnum):
    hybrid = "hybrid"
    semantic = "semantic"
    keyword = "keyword"


@dataclass
class Ranked:
    doc_id: str
    chunk_id: str
    score: float
    enough: bool = True  # relevant enough to count in ``total`` and the facets


def best_per_document(hits: list[tuple[str, str, float]]) -> list[Ranked]:
    """(doc id, chunk id, score) in rank order, keeping each document's best chunk only."""
    seen: dict[str, Ranked] = {}
    for doc_id, chunk_id, score in hits:
        seen.setdefault(doc_id, Ranked(doc_id, chunk_id, score))
    return list(seen.values())


def min_max(ranking: list[Ranked]) -> dict[str, float]:
    """Scores mapped onto [0, 1] within the ranking (all 1 when they are equal)."""
    if not ranking:
        return {}
    low, high = min(r.score for r in ranking), max(r.score for r in ranking)
    return {r.doc_id: (r.score - low) / (high - low) if high > low else 1.0 for r in ranking}


def fuse(keyword: list[Ranked], semantic: list[Ranked], keyword_weight: float) -> list[Ranked]:
    """Documents by ``keyword_weight`` times their keyword confidence (already in [0, 1]: BM25 over the best
    score the query could reach, so a match on a few common words stays low) plus the rest times their
    min-max normalised similarity; relevant enough when either side finds them so. Chosen on PIAF's tuning
    half (docs/ranking.md)."""
    by_words = {r.doc_id: r.score for r in keyword}
    by_meaning = min_max(semantic)
    scores = {
        doc: keyword_weight * by_words.get(doc, 0.0) + (1.0 - keyword_weight) * by_meaning.get(doc, 0.0)
        for doc in by_words.keys() | by_meaning.keys()
    }
    enough = {r.doc_id for r in [*keyword, *semantic] if r.enough}
    chunk_of = {r.doc_id: r.chunk_id for r in [*semantic, *keyword]}  # the keyword side's chunk shows words
    ordered = sorted(scores, key=lambda d: (-scores[d], d))  # ties in a fixed order, run after run
    return [Ranked(d, chunk_of[d], scores[d], d in enough) for d in ordered]


class Retriever:
    def __init__(
        self, store: StoreReader, index: VectorIndex, keywords: KeywordIndex, embedder: Embedder, settings: Settings
    ):
        self.store, self.index, self.keywords = store, index, keywords
        self.embedder, self.settings = embedder, settings

    def keyword(self, query: str, among: set[str] | None, floor: float = 0.0) -> list[Ranked]:
        """Documents by their best chunk's BM25 score over the highest score the query's terms could reach;
        relevant enough from ``floor`` on."""
        with stage("keywords"):
            asked = query_terms(query)
            hits = self.keyword_chunks(asked, among)
            ceiling = self.keywords.ceiling(asked) if hits else 1.0
        ranked = best_per_document([(doc, chunk, score / ceiling) for chunk, doc, score in hits])
        return [replace(r, enough=r.score >= floor) for r in ranked]

    def keyword_chunks(self, asked: list[str], among: set[str] | None) -> list[tuple[str, str, float]]:
        """The keyword index's best chunks as (chunk id, document id, score); a chunk the store no longer holds
        (its document replaced since the index was copied) is passed over."""
        hits = self.keywords.search(asked, CANDIDATES, among)
        found = self.store.chunks_at([rowid for rowid, _ in hits])
        return [(*found[rowid], score) for rowid, score in hits if rowid in found]

    def semantic(self, query: str, among: set[str] | None) -> list[Ranked]:
        """Documents by their nearest chunk's cosine similarity; relevant enough from the similarity floor on."""
        with stage("embed"):
            vector = self.embedder.query(query)
        with stage("vectors"):
            hits = self.index.query(vector, CANDIDATES, among)
        ranked = best_per_document([(h.doc_id, h.chunk_id, h.similarity) for h in hits])
        return [replace(r, enough=r.score >= self.settings.similarity_floor) for r in ranked]

    def rank(self, query: str, mode: Mode, among: set[str] | None = None) -> list[Ranked]:
        """Documents for the query; only those ``among`` when filters gave a set. In keyword mode every
        document holding a query term counts in the total."""
        if mode is Mode.keyword:
            return self.keyword(query, among)
        if mode is Mode.semantic:
            return self.semantic(query, among)
        keyword = self.keyword(query, among, self.settings.keyword_floor)
        return fuse(keyword, self.semantic(query, among), self.settings.fusion_keyword_weight)


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


def ranked_documents(
    retriever: Retriever, q: str, mode: Mode, collapse: bool, filters: Filters
) -> tuple[list[Ranked], dict]:
    """The documents that pass the filters, ranked for the query (the best of each duplicate cluster when
    ``collapse``), with their rows."""
    with stage("filters"):
        among = documents_matching(retriever.store.db, filters)
    ranked = retriever.rank(q, mode, among)
    with stage("documents"):
        docs = retriever.store.documents([r.doc_id for r in ranked])
        ranked = [r for r in ranked if r.doc_id in docs]
        if collapse:
            ranked = collapse_duplicates(ranked, {d: row["cluster"] for d, row in docs.items()})
    return ranked, docs


def search_documents(
    retriever: Retriever,
    q: str,
    mode: Mode,
    limit: int,
    offset: int,
    collapse: bool = True,
    filters: Filters | None = None,
) -> SearchResponse:
    """One page of ranked documents, with facets over the whole result set and a hint when nothing matched."""
    filters = filters or Filters()
    db = retriever.store.db
    ranked, docs = ranked_documents(retriever, q, mode, collapse, filters)
    counted = [r for r in ranked if r.enough]
    page = ranked[offset : offset + limit]
    with stage("page"):
        texts = retriever.store.chunk_texts([r.chunk_id for r in page])
        members = retriever.store.cluster_members([docs[r.doc_id]["cluster"] or r.doc_id for r in page])
        named = facets.hit_entities(db, [r.doc_id for r in page])
        hits = [
            hit(docs[r.doc_id], r, snippet(texts.get(r.chunk_id, ""), q), members, named.get(r.doc_id, []))
            for r in page
        ]
    with stage("facets"):
        found = result_facets(db, [r.doc_id for r in counted])
    return SearchResponse(
        query=q,
        mode=mode.value,
        total=len(counted),
        limit=limit,
        offset=offset,
        hits=hits,
        facets=found,
        hint=None if ranked else no_hit_hint(retriever.store, mode, bool(filters)),
    )


def result_facets(db, doc_ids: list[str]) -> Facets:
    def counts(pairs):
        return [FacetCount(value=value, documents=n) for value, n in pairs]

    return Facets(
        source=counts(facets.by_source(db, doc_ids)),
        year=counts(facets.by_year(db, doc_ids)),
        entities={label: counts(pairs) for label, pairs in facets.top_entities(db, doc_ids).items()},
    )


NOTHING_INDEXED = "nothing is indexed yet: run `ess crawl` (or `ess ingest`) then `ess process`"


def no_hit_hint(store: StoreReader, mode: Mode, filtered: bool) -> str:
    if not store.has_chunks():
        return NOTHING_INDEXED
    if filtered:
        return "no document passes these filters and matches the query: remove a filter or widen the dates"
    if mode is Mode.keyword:
        return "no document contains any of the query's words: try mode=hybrid or mode=semantic"
    return "no document matches: try other words"


def empty_response(q: str, mode: Mode, limit: int, offset: int) -> SearchResponse:
    """The answer while nothing is indexed."""
    return SearchResponse(query=q, mode=mode.value, total=0, limit=limit, offset=offset, hits=[], hint=NOTHING_INDEXED)


def also_on(doc, members: dict) -> list[AlsoOn]:
    """The other documents of ``doc``'s duplicate cluster, from ``StoreReader.cluster_members``."""
    return [
        AlsoOn(id=m["id"], source=m["source"], url=m["url"])
        for m in members.get(doc["cluster"] or doc["id"], [])
        if m["id"] != doc["id"]
    ]


def hit(doc, ranked: Ranked, passage: str, members: dict, entities: list[tuple[str, str]]) -> SearchHit:
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
        also_on=also_on(doc, members),
        entities=[EntityRef(name=name, type=label) for name, label in entities],
    )
