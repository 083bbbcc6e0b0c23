"""GET /sources and GET /stats over the processed fixture sites."""

from __future__ import annotations


def test_sources_have_documents_and_their_last_crawl(client):
    sources = {s["name"]: s for s in client.get("/sources").json()}
    assert set(sources) == {"alpha", "beta"}
    assert sources["alpha"]["documents"] == 5 and sources["beta"]["documents"] == 3
    assert sources["alpha"]["last_crawl"]["command"] == "crawl" and sources["alpha"]["last_crawl"]["fetched"] >= 5
    assert sources["alpha"]["homepage"].startswith("http://127.0.0.1:")


def test_stats_count_the_store(client):
    stats = client.get("/stats").json()
    assert stats["documents"] == 8 and stats["chunks"] >= 8 and stats["mentions"] > stats["dates"] > 0
    assert stats["by_kind"] == {"html": 8} and stats["by_language"] == {"fr": 8}
