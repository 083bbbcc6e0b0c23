"""GET /search: ranked documents for a free-text query."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import StringConstraints

from search_api.deps import RetrieverDep
from search_api.retrieval import Filters, Mode, search_documents
from search_api.schemas import SearchResponse

router = APIRouter(prefix="/search", tags=["search"])
DATE = r"^\d{4}(-\d{2}(-\d{2})?)?$"
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]


@router.get("", response_model=SearchResponse, summary="Search documents")
def search(
    retriever: RetrieverDep,
    q: Annotated[str, Query(min_length=1, max_length=500, description="Free text; never parsed as syntax.")],
    mode: Annotated[Mode, Query(description="hybrid (default), semantic or keyword.")] = Mode.hybrid,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    source: Annotated[list[str] | None, Query(description="Only these sources (repeatable).")] = None,
    date_from: Annotated[str | None, Query(pattern=DATE, description="Published on or after (YYYY[-MM[-DD]]).")] = None,
    date_to: Annotated[str | None, Query(pattern=DATE, description="Published on or before (YYYY[-MM[-DD]]).")] = None,
    entity: Annotated[list[str] | None, Query(description="Documents naming this entity (repeatable: all).")] = None,
    exclude_gone: Annotated[bool, Query(description="Leave out pages that now answer 404/410.")] = False,
    kind: Annotated[list[Literal["html", "pdf", "text"]] | None, Query(description="Only these kinds.")] = None,
    lang: Annotated[list[LanguageCode] | None, Query(description="Only these languages (fr, en…).")] = None,
    collapse: Annotated[
        bool, Query(description="One hit per cluster of duplicates, with the others in also_on.")
    ] = True,
) -> SearchResponse:
    filters = Filters(source or [], date_from, date_to, entity or [], exclude_gone, kind or [], lang or [])
    return search_documents(retriever, q, mode, limit, offset, collapse, filters)
