"""GET /stats: what the store holds."""

from fastapi import APIRouter, HTTPException

from pipeline.store.queries import totals
from search_api.deps import StoreDep
from search_api.schemas import Stats

router = APIRouter(prefix="/stats", tags=["stats"])


@router.get("", response_model=Stats, summary="Counts of documents, chunks, entities and mentions")
def stats(store: StoreDep) -> Stats:
    if store is None:
        raise HTTPException(status_code=503, detail="nothing processed yet: run `ess process`")
    return Stats(**totals(store.db))
