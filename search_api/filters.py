"""The filters of a request's query string as one ``Filters`` value: ``DocumentFilters`` for search and its
exports, ``SourceAndDates`` for attention over time and the co-occurrence graph."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Query
from pydantic import StringConstraints

from pipeline.records import DOCUMENT_KINDS, Filters
from search_api.retrieval import PUBLICATION_DATE

DATE = PUBLICATION_DATE.pattern
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]

SourceParam = Annotated[list[str] | None, Query(description="Only these sources (repeatable).")]
DateFromParam = Annotated[str | None, Query(pattern=DATE, description="Published on or after (YYYY[-MM[-DD]]).")]
DateToParam = Annotated[str | None, Query(pattern=DATE, description="Published on or before (YYYY[-MM[-DD]]).")]


def source_and_dates(
    source: SourceParam = None, date_from: DateFromParam = None, date_to: DateToParam = None
) -> Filters:
    return Filters(sources=source or [], date_from=date_from, date_to=date_to)


def document_filters(
    source: SourceParam = None,
    date_from: DateFromParam = None,
    date_to: DateToParam = None,
    entity: Annotated[list[str] | None, Query(description="Documents naming this entity (repeatable: all).")] = None,
    exclude_gone: Annotated[bool, Query(description="Leave out pages that now answer 404/410.")] = False,
    kind: Annotated[list[Literal[DOCUMENT_KINDS]] | None, Query(description="Only these kinds.")] = None,
    lang: Annotated[list[LanguageCode] | None, Query(description="Only these languages (fr, en…).")] = None,
) -> Filters:
    return Filters(source or [], date_from, date_to, entity or [], exclude_gone, kind or [], lang or [])


SourceAndDates = Annotated[Filters, Depends(source_and_dates)]
DocumentFilters = Annotated[Filters, Depends(document_filters)]
