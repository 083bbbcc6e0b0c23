"""The Server-Timing header: each stage of a search, timed, and only the stages the mode runs."""

from __future__ import annotations

from search_api.timing import parse_server_timing


def test_a_hybrid_search_reports_each_of_its_stages(client):
    answer = client.get("/search", params={"q": "Coorace insertion", "mode": "hybrid"})
    stages = parse_server_timing(answer.headers["server-timing"])
    assert set(stages) == {"filters", "keywords", "embed", "vectors", "documents", "page", "facets"}
    assert all(ms >= 0 for ms in stages.values()) and stages["embed"] > 0


def test_a_keyword_search_embeds_nothing(client):
    stages = parse_server_timing(
        client.get("/search", params={"q": "Coorace", "mode": "keyword"}).headers["server-timing"]
    )
    assert "keywords" in stages and not {"embed", "vectors"} & set(stages)


def test_a_page_without_stages_has_no_header(client):
    assert "server-timing" not in client.get("/health").headers
