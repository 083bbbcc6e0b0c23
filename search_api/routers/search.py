"""GET /search: ranked documents for a free-text query."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from search_api.deps import RetrieverDep
from search_api.retrieval import Mode, search_documents
from search_api.schemas import SearchResponse

router = APIRouter(prefix="/search", tags=["search"])


@router.get("", response_model=SearchResponse, summary="Search documents")
def search(
    retriever: RetrieverDep,
    q: Annotated[str, Query(min_length=1, max_length=500, description="Free text; never parsed as syntax.")],
    mode: Annotated[Mode, Query(description="hybrid (default), semantic or keyword.")] = Mode.hybrid,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    collapse: Annotated[
        bool, Query(description="One hit per cluster of duplicates, with the others in also_on.")
    ] = True,
) -> SearchResponse:
    return search_documents(retriever, q, mode, limit, offset, collapse)
