"""The demo queries: a well-formed file, then every search mode above its floor on the crawled demo sites."""

from __future__ import annotations

import pytest

from crawler.registry import load_registry
from pipeline.store.reader import StoreReader
from tests.eval.floors import DEMO_HYBRID_MARGIN, DEMO_NDCG
from tests.eval.retrieval import (
    DEMO_QUERIES,
    DEMO_TYPES,
    demo_page,
    demo_path,
    demo_report,
    load_demo_queries,
    read_jsonl,
)
from tests_support import DEMO

pytestmark = pytest.mark.slow  # the demo sites crawled and processed

MIN_QUERIES = 30
FILTERS = {"date_from", "date_to", "source", "entity"}


@pytest.fixture(scope="module")
def lines() -> list[dict]:
    return read_jsonl(DEMO_QUERIES)


def test_the_demo_queries_are_well_formed(lines):
    sources = {source.name for source in load_registry(DEMO / "sources.toml")}
    assert len(lines) >= MIN_QUERIES
    assert len({line["id"] for line in lines}) == len(lines), "duplicate ids"
    assert {line["type"] for line in lines} == set(DEMO_TYPES)
    for line in lines:
        assert line["query"].strip() and line["relevant"], line["id"]
        missing = [path for path in line["relevant"] if not (DEMO / demo_path(path)).is_file()]
        assert not missing, f"{line['id']}: not under corpus/demo: {missing}"
        filters = line.get("filters") or {}
        assert set(filters) <= FILTERS, f"{line['id']}: unknown filters {set(filters) - FILTERS}"
        assert set(filters.get("source", [])) <= sources, f"{line['id']}: unknown source"


def test_every_relevant_page_becomes_a_document(demo_processed, lines):
    """A relevant page the pipeline drops (listing, stub) could never be found: the file or the pipeline is wrong."""
    settings, _ = demo_processed
    store = StoreReader(settings.store_db)
    rows = store.db.execute("SELECT source, url FROM documents").fetchall()
    store.close()
    documents = {demo_page(row["source"], row["url"]) for row in rows}
    relevant = {demo_path(path) for line in lines for path in line["relevant"]}
    assert not relevant - documents


@pytest.fixture(scope="module")
def modes(demo_processed) -> dict[str, dict]:
    settings, _ = demo_processed
    return demo_report(settings, load_demo_queries())["modes"]


@pytest.mark.parametrize("mode", sorted(DEMO_NDCG))
def test_each_mode_stays_above_its_floor(modes, mode):
    assert modes[mode]["ndcg@10"] >= DEMO_NDCG[mode], modes


def test_hybrid_is_not_worse_than_the_best_single_mode(modes):
    best = max(modes["keyword"]["ndcg@10"], modes["semantic"]["ndcg@10"])
    assert modes["hybrid"]["ndcg@10"] >= best - DEMO_HYBRID_MARGIN, modes
