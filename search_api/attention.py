"""Attention over time: how many documents a subject gets per week or month, per source, and what share of each
source's own output that is, for up to three subjects side by side.

A document counts for a query when one of its passages (chunks) holds every term of the query, as the keyword
index reads terms: French words stemmed, accents folded, function words dropped ("clauses sociales" counts a
passage naming "clause sociale"). Unlike a search, nothing is ranked or cut off: every such document counts.
A document's period is its publication date's week (ISO 8601, a full date needed) or month; undated documents,
or dated too coarsely for the interval, are counted apart. A share divides by the documents the same source
published in the same period (all sources, for the total).
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from pipeline.index.analysis import query_terms
from pipeline.index.keywords import KeywordIndex
from pipeline.records import Filters
from pipeline.store.queries import dated_documents
from pipeline.store.reader import StoreReader

INTERVALS = ("week", "month")
MAX_QUERIES = 3
ALL_SOURCES = "all"


def period_of(published: str | None, interval: str) -> str | None:
    """2024-03 (month) or 2024-W11 (ISO week) of an ISO publication date; None when too coarse."""
    if interval == "month":
        return published[:7] if published and len(published) >= 7 else None
    if not published or len(published) < 10:
        return None
    year, week, _ = datetime.date.fromisoformat(published[:10]).isocalendar()
    return f"{year}-W{week:02d}"


def periods_between(first: str, last: str, interval: str) -> list[str]:
    """Every period from ``first`` to ``last``, empty ones included."""
    if interval == "month":
        start, end = datetime.date.fromisoformat(first + "-01"), datetime.date.fromisoformat(last + "-01")
        months = (end.year - start.year) * 12 + end.month - start.month
        return [
            f"{start.year + (start.month - 1 + n) // 12}-{(start.month - 1 + n) % 12 + 1:02d}"
            for n in range(months + 1)
        ]
    start, end = (datetime.date.fromisocalendar(int(p[:4]), int(p[6:]), 1) for p in (first, last))
    return [
        period_of((start + datetime.timedelta(weeks=n)).isoformat(), "week") for n in range((end - start).days // 7 + 1)
    ]


@dataclass
class Series:
    query: str
    terms: list[str]
    documents: int = 0  # every matching document, dated or not
    undated: int = 0  # of which not placed in a period
    counts: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # source or "all" -> period


@dataclass
class Attention:
    interval: str
    periods: list[str]
    sources: list[str]
    volume: dict[str, Counter]  # source or "all" -> period -> documents published
    series: list[Series]

    def share(self, series: Series, source: str, period: str) -> float | None:
        published = self.volume[source][period]
        return round(series.counts[source][period] / published, 6) if published else None


def attention(
    store: StoreReader,
    keywords: KeywordIndex,
    queries: list[str],
    interval: str,
    filters: Filters | None = None,
) -> Attention:
    """Counts per period and source of each query's documents within the source and date ``filters``, with each
    source's volume."""
    dated = documents_by_period(store, interval, filters or Filters())
    volume: dict[str, Counter] = defaultdict(Counter)
    for source, period in dated.values():
        if period:
            volume[source][period] += 1
            volume[ALL_SOURCES][period] += 1
    series = [count(store, keywords, query, dated) for query in queries]
    seen = [p for counts in volume.values() for p in counts]
    periods = periods_between(min(seen), max(seen), interval) if seen else []
    named = sorted(s for s in volume if s != ALL_SOURCES)
    return Attention(interval, periods, named, volume, series)


def nothing_yet(queries: list[str], interval: str) -> Attention:
    """The answer while nothing is indexed: every query, no period."""
    return Attention(interval, [], [], defaultdict(Counter), [Series(q, query_terms(q)) for q in queries])


def documents_by_period(store: StoreReader, interval: str, filters: Filters) -> dict[str, tuple[str, str | None]]:
    """Document id -> (source, period or None) of the documents within the filters."""
    rows = dated_documents(store.db, filters)
    return {doc_id: (source, period_of(published, interval)) for doc_id, source, published in rows}


def count(store: StoreReader, keywords: KeywordIndex, query: str, dated: dict[str, tuple[str, str | None]]) -> Series:
    asked = query_terms(query)
    series = Series(query, asked)
    found = store.chunks_at(keywords.holding_all(asked))
    for doc_id in {doc_id for _, doc_id in found.values()} & dated.keys():
        source, period = dated[doc_id]
        series.documents += 1
        if period is None:
            series.undated += 1
            continue
        series.counts[source][period] += 1
        series.counts[ALL_SOURCES][period] += 1
    return series


def table(result: Attention) -> tuple[list[str], list[list]]:
    """One row per query, period and source ("all" first): documents, the source's volume, share."""
    header = ["query", "period", "source", "documents", "source documents", "share"]
    rows = [
        [
            series.query,
            period,
            source,
            series.counts[source][period],
            result.volume[source][period],
            result.share(series, source, period),
        ]  # fmt: skip
        for series in result.series
        for period in result.periods
        for source in [ALL_SOURCES, *result.sources]
    ]
    return header, rows
