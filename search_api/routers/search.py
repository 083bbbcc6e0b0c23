"""GET /search: ranked documents for a free-text query, as JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import StringConstraints

from pipeline.records import DOCUMENT_KINDS
from search_api.deps import RetrieverDep
from search_api.exports import SEARCH_COLUMNS, TABLE_RESPONSES, Format, search_rows, table_response
from search_api.retrieval import PUBLICATION_DATE, Filters, Mode, empty_response, search_documents
from search_api.schemas import SearchResponse

router = APIRouter(prefix="/search", tags=["search"])
DATE = PUBLICATION_DATE.pattern
MAX_QUERY_CHARS = 1000
EXPORT_LIMIT = 1000  # hits in one CSV export
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]


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
    mode: Annotated[Mode, Query(description="hybrid (default), semantic or keyword.")] = Mode.hybrid,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    source: Annotated[list[str] | None, Query(description="Only these sources (repeatable).")] = None,
    date_from: Annotated[str | None, Query(pattern=DATE, description="Published on or after (YYYY[-MM[-DD]]).")] = None,
    date_to: Annotated[str | None, Query(pattern=DATE, description="Published on or before (YYYY[-MM[-DD]]).")] = None,
    entity: Annotated[list[str] | None, Query(description="Documents naming this entity (repeatable: all).")] = None,
    exclude_gone: Annotated[bool, Query(description="Leave out pages that now answer 404/410.")] = False,
    kind: Annotated[list[Literal[DOCUMENT_KINDS]] | None, Query(description="Only these kinds.")] = None,
    lang: Annotated[list[LanguageCode] | None, Query(description="Only these languages (fr, en…).")] = None,
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
        filters = Filters(source or [], date_from, date_to, entity or [], exclude_gone, kind or [], lang or [])
        result = search_documents(retriever, q, mode, limit, offset, collapse, filters)
    if format != "json":
        return table_response(SEARCH_COLUMNS, search_rows(result), "ess-search", format)
    return result
