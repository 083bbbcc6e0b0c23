"""GET /search: ranked documents for a free-text query, as JSON or CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from search_api.deps import RetrieverDep
from search_api.exports import SEARCH_COLUMNS, TABLE_RESPONSES, Format, search_rows, table_response
from search_api.filters import DocumentFilters
from search_api.retrieval import Mode, empty_response, search_documents
from search_api.schemas import SearchResponse

router = APIRouter(prefix="/search", tags=["search"])
MAX_QUERY_CHARS = 1000
EXPORT_LIMIT = 1000  # hits in one CSV export


@router.get("", response_model=SearchResponse, responses=TABLE_RESPONSES, summary="Search documents")
def search(
    retriever: RetrieverDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_QUERY_CHARS,
            description="Free text; never parsed as syntax.",
            examples=["coopération territoriale contre le chômage"],
        ),
    ],
    filters: DocumentFilters,
    mode: Annotated[Mode, Query(description="hybrid (default), semantic or keyword.")] = Mode.hybrid,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    collapse: Annotated[
        bool, Query(description="One hit per cluster of duplicates, with the others in also_on.")
    ] = True,
    format: Annotated[  # noqa: A002 - the API's word
        Format,
        Query(description=f"csv or xlsx: every hit from offset on (up to {EXPORT_LIMIT}), for a spreadsheet."),
    ] = "json",
) -> SearchResponse | Response:
    if format != "json":
        limit = EXPORT_LIMIT
    if retriever is None:
        result = empty_response(q, mode, limit, offset)
    else:
        result = search_documents(retriever, q, mode, limit, offset, collapse, filters)
    if format != "json":
        return table_response(SEARCH_COLUMNS, search_rows(result), "ess-search", format)
    return result
