"""Response models of the JSON API."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ErrorOut(BaseModel):
    detail: str = Field(description="What went wrong and, where it helps, what to run.")


class UnknownName(BaseModel):
    message: str
    closest: list[str] = Field(description="Known names closest to the one asked for.")


class UnknownEntityOut(BaseModel):
    detail: UnknownName


class AlsoOn(BaseModel):
    id: str
    source: str
    url: str


class EntityRef(BaseModel):
    name: str = Field(description="Canonical name; GET /entities/{name} gives its page.")
    type: str = Field(description="ORG, LOC, PER or MISC.")


class SearchHit(BaseModel):
    id: str = Field(description="Document id (stable across runs).")
    title: str | None
    url: str
    source: str
    kind: str = Field(description="html or pdf.")
    published: str | None = Field(description="Publication date, ISO 8601, when known.")
    author: str | None
    snippet: str = Field(
        description="Passage of the best-matching chunk, HTML-escaped; the query's words are wrapped in <mark>."
    )
    score: float = Field(description="Fused relevance score; higher is better.")
    gone: bool = Field(False, description="The page now answers 404/410; the archived text is shown.")
    also_on: list[AlsoOn] = Field([], description="The same text (or nearly) published elsewhere.")
    entities: list[EntityRef] = Field([], description="The document's most mentioned entities.")


class FacetCount(BaseModel):
    value: str
    documents: int


class Facets(BaseModel):
    source: list[FacetCount] = Field([], description="Documents of the whole result set per source.")
    year: list[FacetCount] = Field([], description="Per publication year, newest first; n.d. for undated.")
    entities: dict[str, list[FacetCount]] = Field(
        {}, description="Per type (ORG, LOC, PER, MISC), the entities named in most documents of the result set."
    )


class SearchResponse(BaseModel):
    query: str
    mode: str
    total: int = Field(
        description="Documents relevant enough: in keyword mode every one holding a query term; in semantic and "
        "hybrid modes those whose similarity or keyword confidence reaches its floor. Hits may go on beyond it."
    )
    limit: int
    offset: int
    hits: list[SearchHit]
    facets: Facets = Field(Facets(), description="Counts over the whole result set, not only this page.")
    hint: str | None = Field(None, description="Why there are no hits and what to try, when there are none.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "query": "coopération territoriale pour l'emploi",
                    "mode": "hybrid",
                    "total": 1,
                    "limit": 10,
                    "offset": 0,
                    "hits": [
                        {
                            "id": "3f2a9c0d1e4b5a67",
                            "title": "À Bressuire, le PTCE Bocage Solidaire mise sur la coopération",
                            "url": "http://127.0.0.1:8701/economie/2025/03/14/ptce.html",
                            "source": "echo-des-territoires",
                            "kind": "html",
                            "published": "2025-03-14",
                            "author": "Claire Fontaine",
                            "snippet": "Entreprises, associations et collectivité mettent en commun leurs "
                            "moyens pour créer des <mark>emplois</mark>…",
                            "score": 0.0328,
                            "entities": [{"name": "Bocage Solidaire", "type": "ORG"}],
                        }
                    ],
                    "facets": {
                        "source": [{"value": "echo-des-territoires", "documents": 1}],
                        "year": [{"value": "2025", "documents": 1}],
                        "entities": {"ORG": [{"value": "Bocage Solidaire", "documents": 1}]},
                    },
                }
            ]
        }
    }


class Health(BaseModel):
    status: str = Field(description="ok; empty when nothing is indexed yet; degraded when store and index differ.")
    documents: int
    chunks: int = Field(description="Chunks in the SQLite store.")
    keyword_rows: int = Field(description="Chunks in the keyword index.")
    vectors: int = Field(description="Chunk vectors in the Chroma index.")
    agree: bool = Field(description="Store, keyword index and vector index hold the same number of chunks.")
    embedding_model: str = Field(description="The model that embeds queries.")
    index_model: str | None = Field(description="The model that built the vector index.")
    dimensions: int | None
    chroma: str = Field(description="embedded (on disk) or the server's address.")
    problem: str | None = Field(None, description="What is wrong and what to run, when something is.")


class MentionOut(BaseModel):
    text: str = Field(description="The words as written in the document.")
    label: str = Field(description="ORG, LOC, PER, MISC or DATE.")
    start: int = Field(description="Character offset in the document's text.")
    end: int
    entity: str | None = Field(None, description="Canonical entity name (not for DATE).")
    value: str | None = Field(None, description="DATE only: ISO value; its length gives day, month or year.")


class DocumentOut(BaseModel):
    id: str
    url: str
    source: str
    kind: str
    title: str | None
    author: str | None
    published: str | None
    sitename: str | None
    description: str | None
    language: str | None
    tags: list[str] = Field(description="The page's own tags and categories.")
    gone: bool
    fetched_at: str | None
    processed_at: str
    text: str
    mentions: list[MentionOut]
    duplicates: list[AlsoOn] = Field([], description="The same text (or nearly) published elsewhere.")


class EntitySummary(BaseModel):
    name: str = Field(description="Canonical name.")
    type: str = Field(description="ORG, LOC, PER or MISC.")
    mentions: int
    documents: int
    gazetteer: bool = Field(description="The entity comes from the ESS gazetteer.")


class EntityList(BaseModel):
    total: int
    limit: int
    offset: int
    entities: list[EntitySummary]


class SourceCount(BaseModel):
    source: str
    mentions: int
    documents: int


class MonthCount(BaseModel):
    month: str = Field(description="YYYY-MM of the documents' publication.")
    mentions: int
    documents: int


class Cooccurring(BaseModel):
    name: str
    type: str
    documents: int = Field(description="Documents that name both.")


class EntityDocument(BaseModel):
    id: str
    title: str | None
    url: str
    source: str
    published: str | None
    mentions: int


class DecisionOut(BaseModel):
    action: str = Field(description="merge, alias, reject or retype (ess entity ...).")
    name: str = Field(description="The entity decided about (merge: the one kept).")
    other: str | None = Field(description="merge: the entity merged into it; alias: the alias; retype: the type.")
    at: str = Field(description="When, UTC.")


class EntityPage(BaseModel):
    name: str
    type: str
    aliases: list[str]
    gazetteer: bool
    decisions: list[DecisionOut] = Field([], description="The analysts' decisions about this entity, in order.")
    mentions: int
    documents: int
    by_source: list[SourceCount]
    by_month: list[MonthCount]
    cooccurring: list[Cooccurring]
    document_list: list[EntityDocument] = Field(description="Newest first, paginated by limit and offset.")


class SourceInfo(BaseModel):
    name: str
    title: str | None = Field(description="From the sources registry; none for ingested sources.")
    kind: str | None
    homepage: str | None
    documents: int
    gone: int = Field(description="Documents whose page now answers 404/410.")
    skipped: dict[str, int] = Field(
        default_factory=dict,
        description="Archived pages that are not documents, by reason (listing page, too short...): `ess skipped`.",
    )
    last_crawl: dict | None = Field(description="Summary of the last crawl: command, finished, counters.")


class Stats(BaseModel):
    documents: int
    chunks: int
    entities: int = Field(description="Entities mentioned at least once.")
    mentions: int
    dates: int = Field(description="DATE mentions.")
    duplicates: int = Field(description="Documents that joined another's duplicate cluster.")
    gone: int
    without_text: int = Field(description="PDFs without a text layer, kept and flagged.")
    by_kind: dict[str, int]
    by_language: dict[str, int]
