"""GET /attention: documents per week or month for up to three queries, per source and as a share of each
source's own output (``search_api.attention``); JSON, CSV or xlsx."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from search_api.attention import ALL_SOURCES, INTERVALS, MAX_QUERIES, Attention, attention, nothing_yet, table
from search_api.deps import RetrieverDep
from search_api.exports import TABLE_RESPONSES, Format, table_response
from search_api.filters import SourceAndDates

router = APIRouter(prefix="/attention", tags=["attention"])


class SeriesOut(BaseModel):
    query: str
    terms: list[str] = Field(description="The terms a passage must all hold, as the keyword index reads them.")
    documents: int = Field(description="Matching documents within the filters, dated or not.")
    undated: int = Field(description="Of which without a date precise enough for the interval.")
    counts: dict[str, list[int]] = Field(description='Per source ("all" first), documents per period.')
    share: dict[str, list[float | None]] = Field(
        description="Per source, counts over the documents that source published in the period (null: none)."
    )


class AttentionOut(BaseModel):
    interval: str
    periods: list[str] = Field(description="Every period from the first to the last dated document, in order.")
    sources: list[str]
    volume: dict[str, list[int]] = Field(description='Per source ("all" first), documents published per period.')
    series: list[SeriesOut]


def out(result: Attention) -> AttentionOut:
    names = [ALL_SOURCES, *result.sources]
    return AttentionOut(
        interval=result.interval,
        periods=result.periods,
        sources=result.sources,
        volume={s: [result.volume[s][p] for p in result.periods] for s in names},
        series=[
            SeriesOut(
                query=series.query,
                terms=series.terms,
                documents=series.documents,
                undated=series.undated,
                counts={s: [series.counts[s][p] for p in result.periods] for s in names},
                share={s: [result.share(series, s, p) for p in result.periods] for s in names},
            )
            for series in result.series
        ],
    )


@router.get("", response_model=AttentionOut, responses=TABLE_RESPONSES, summary="Attention over time")
def attention_over_time(
    retriever: RetrieverDep,
    q: Annotated[
        list[Annotated[str, Query(min_length=1, max_length=200)]],
        Query(min_length=1, max_length=MAX_QUERIES, description="One to three queries (repeat q)."),
    ],
    filters: SourceAndDates,
    interval: Annotated[Literal[INTERVALS], Query(description="week (ISO) or month.")] = "month",
    format: Annotated[Format, Query(description="json, csv or xlsx: one row per query, period and source.")] = "json",  # noqa: A002
) -> AttentionOut | Response:
    if retriever is None:
        result = nothing_yet(q, interval)
    else:
        result = attention(retriever.store, retriever.keywords, q, interval, filters)
    if format != "json":
        header, rows = table(result)
        return table_response(header, rows, "ess-attention", format)
    return out(result)
