"""GET /health: is the service up, what does it serve, and do the store and the index agree."""

from fastapi import APIRouter

from pipeline.index.copies import Indexes
from pipeline.index.vectors import IndexUnavailable
from pipeline.store.reader import StoreReader
from search_api.deps import Resources, ResourcesDep, StoreDep
from search_api.schemas import Health

router = APIRouter(prefix="/health", tags=["health"])


@router.get("", response_model=Health, summary="Service status, index model and counts")
def health(resources: ResourcesDep, store: StoreDep) -> Health:
    """Counts only (fast); `ess check` compares every chunk id."""
    with resources.indexes.reading() as index:
        return health_of(resources, index, store)


def health_of(resources: Resources, index: Indexes | None, store: StoreReader | None) -> Health:
    counts = store.counts() if store else {"documents": 0, "chunks": 0}
    keyword_rows = index.keywords.count() if index else 0
    problem = resources.indexes.problem
    try:
        vectors = index.vectors.count() if index else 0
    except IndexUnavailable as exc:
        vectors, problem = 0, str(exc)
    agree = counts["chunks"] == keyword_rows == vectors
    index_model, dimensions = index.vectors.built_by() if index else (None, None)
    if problem is None and not agree:
        problem = "store, keyword index and vector index differ: run `ess check`, then `ess process`"
    return Health(
        status=status(resources.indexes.empty or store is None, agree, problem),
        documents=counts["documents"],
        chunks=counts["chunks"],
        keyword_rows=keyword_rows,
        vectors=vectors,
        agree=agree,
        embedding_model=resources.embedder.name,
        index_model=index_model,
        dimensions=dimensions,
        chroma=f"server {resources.settings.chroma_location}" if resources.settings.chroma_host else "embedded",
        problem=problem,
    )


def status(empty: bool, agree: bool, problem: str | None) -> str:
    if empty:
        return "empty"
    return "ok" if agree and problem is None else "degraded"
