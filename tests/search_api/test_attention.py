"""Attention over time: every matching document counted per period and source, and as a share of each
source's own output."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections import Counter

import pytest

from search_api.attention import period_of, periods_between


@pytest.mark.parametrize(
    "published, interval, period",
    [
        ("2024-03-17", "month", "2024-03"),
        ("2024-03", "month", "2024-03"),
        ("2024", "month", None),
        ("2024-12-30", "week", "2025-W01"),  # ISO weeks: this Monday opens 2025's first week
        ("2021-01-03", "week", "2020-W53"),
        ("2024-03", "week", None),
        (None, "month", None),
    ],
)
def test_a_document_falls_in_its_period(published, interval, period):
    assert period_of(published, interval) == period


def test_every_period_between_two_is_listed():
    assert periods_between("2023-11", "2024-02", "month") == ["2023-11", "2023-12", "2024-01", "2024-02"]
    assert periods_between("2020-W52", "2021-W02", "week") == ["2020-W52", "2020-W53", "2021-W01", "2021-W02"]


def dated_documents(settings, interval: str) -> Counter:
    with sqlite3.connect(settings.store_db) as db:
        rows = db.execute("SELECT source, published FROM documents").fetchall()
    return Counter(
        (source, period_of(published, interval)) for source, published in rows if period_of(published, interval)
    )


def test_counts_are_complete_and_shares_divide_by_each_source_s_output(client, processed):
    answer = client.get("/attention", params={"q": ["Coorace", "coopératives d'insertion"], "interval": "month"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    periods, sources = body["periods"], body["sources"]
    assert sources and set(sources) <= {"alpha", "beta"} and periods == sorted(periods)
    published = dated_documents(processed[0], "month")
    for source in sources:
        assert body["volume"][source] == [published[(source, p)] for p in periods]
    assert body["volume"]["all"] == [sum(v) for v in zip(*(body["volume"][s] for s in sources), strict=True)]
    coorace = body["series"][0]
    assert len(coorace["terms"]) == 1
    # one term: every document holding it, as keyword search counts them before collapsing duplicates
    holding = client.get("/search", params={"q": "Coorace", "mode": "keyword", "collapse": "false"}).json()["total"]
    assert coorace["documents"] == holding == sum(coorace["counts"]["all"]) + coorace["undated"] > 0
    for source in ["all", *sources]:
        for n, total, share in zip(
            coorace["counts"][source], body["volume"][source], coorace["share"][source], strict=True
        ):
            assert share == (round(n / total, 6) if total else None) and n <= total
    both = body["series"][1]
    assert both["documents"] <= client.get("/search", params={"q": "insertion", "mode": "keyword"}).json()["total"]


def test_filters_and_exports(client):
    alpha = client.get("/attention", params={"q": "Coorace", "source": "alpha", "interval": "week"}).json()
    assert alpha["sources"] == ["alpha"] and all("-W" in p for p in alpha["periods"])
    exported = client.get("/attention", params={"q": ["Coorace", "PTCE"], "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    body = client.get("/attention", params={"q": ["Coorace", "PTCE"]}).json()
    assert len(rows) == 2 * len(body["periods"]) * (1 + len(body["sources"]))
    assert {r["query"] for r in rows} == {"Coorace", "PTCE"} and rows[0]["source"] == "all"
    assert client.get("/attention", params={"q": "Coorace", "format": "xlsx"}).status_code == 200


@pytest.mark.parametrize(
    "params",
    [{"q": ["a", "b", "c", "d"]}, {"q": "a", "interval": "year"}, {}, {"q": "a", "date_from": "2024-13"}],
)
def test_bad_requests_are_refused(client, params):
    assert client.get("/attention", params=params).status_code == 422


def test_the_coverage_page_draws_one_line_per_query(client):
    page = client.get("/coverage", params={"q": ["Coorace", "insertion"], "measure": "documents"}).text
    assert page.count('class="chart-line series-0"') >= 1 and page.count('class="chart-line series-1"') >= 1
    assert "/attention?q=Coorace&amp;q=insertion" in page
