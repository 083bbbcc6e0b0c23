"""GET /health: is the service up, and what does it serve."""

from fastapi import APIRouter

from search_api.deps import ResourcesDep, StoreDep
from search_api.schemas import Health

router = APIRouter(prefix="/health", tags=["health"])


@router.get("", response_model=Health, summary="Service status and index size")
def health(resources: ResourcesDep, store: StoreDep) -> Health:
    counts = store.counts() if store else {"documents": 0, "chunks": 0}
    return Health(
        status="ok" if resources.problem is None else "empty",
        documents=counts["documents"],
        chunks=counts["chunks"],
        vectors=resources.index.count() if resources.index else 0,
        embedding_model=resources.embedder.name,
    )
