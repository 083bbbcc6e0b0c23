"""End to end: fixture sites crawled over HTTP, processed by the real pipeline, searched through the API."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest


def first_path(client, query: str, mode: str = "hybrid") -> str | None:
    response = client.get("/search", params={"q": query, "mode": mode, "limit": 5})
    assert response.status_code == 200, response.text
    hits = response.json()["hits"]
    return urlsplit(hits[0]["url"]).path if hits else None


def test_health_reports_what_was_indexed(client, processed):
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["documents"] == processed[1].counts["processed"] == 8
    assert body["chunks"] == body["vectors"] > 0


PTCE_PARAPHRASE = "des acteurs économiques d'un même bassin de vie s'allient pour faire naître du travail"
PTCE_PATH = "/articles/saint-aubin-pole-territorial.html"  # "… mise sur son pôle territorial pour l'emploi"


def test_paraphrase_finds_the_ptce_article(client):
    """Semantic search ranks it first. Hybrid ranks it second, after an article on social clauses that holds
    four of the query's terms: the keyword side weighs 0.8, chosen on PIAF's tuning half, which also puts more
    paraphrases of the demo set first than the fusion before it did (docs/ranking.md)."""
    assert first_path(client, PTCE_PARAPHRASE, "semantic") == PTCE_PATH
    assert PTCE_PATH in paths(client, PTCE_PARAPHRASE, "hybrid", 2)


def paths(client, query: str, mode: str, limit: int) -> list[str]:
    hits = client.get("/search", params={"q": query, "mode": mode, "limit": limit}).json()["hits"]
    return [urlsplit(h["url"]).path for h in hits]


@pytest.mark.parametrize(("mode", "first_at_least", "top3_at_least"), [("semantic", 6, 8), ("hybrid", 5, 7)])
def test_paraphrases_rank_their_article_high(client, queries, mode, first_at_least, top3_at_least):
    """Eight paraphrases that share no content word with their article's title: most first, (nearly) all in the
    top 3. Hybrid puts 5 first on these 8 documents (the fusion before it, 6; on the 17 paraphrases of the demo
    set it scores nDCG@10 0.743 against 0.633 before: docs/ranking.md). With the int8 encoder "les mitrons d'un
    artisan du pain" ties the first document's similarity to three decimals and hybrid ranks its article 4th,
    which torch fp32 ranked in the top 3: seven of eight, not eight."""
    ranked = [paths(client, q["query"], mode, 3) for q in queries]
    first = sum(r[:1] == [q["expected_path"]] for r, q in zip(ranked, queries, strict=True))
    in_top3 = sum(q["expected_path"] in r for r, q in zip(ranked, queries, strict=True))
    assert len(queries) == 8 and first >= first_at_least and in_top3 >= top3_at_least, (mode, first, in_top3)


def test_hits_carry_the_metadata_analysts_need(client):
    hit = client.get("/search", params={"q": "boulangerie coopérative", "limit": 1}).json()["hits"][0]
    assert hit["source"] == "alpha"
    assert hit["title"] and hit["published"] and hit["author"] and hit["snippet"]
    assert hit["kind"] == "html" and hit["score"] > 0


def test_keyword_mode_finds_exact_names_and_only_them(client, processed):
    from pipeline.store.reader import StoreReader

    store = StoreReader(processed[0].store_db)
    naming = {
        urlsplit(r["url"]).path for r in store.db.execute("SELECT url FROM documents WHERE text LIKE '%Coorace%'")
    }
    store.close()
    assert naming, "the fixtures name Coorace"
    assert set(paths(client, "Coorace", "keyword", 20)) == naming


def test_query_syntax_is_treated_as_text(client):
    for query in ['"unbalanced', "NEAR(a b", "a* -b OR", "((", "' OR 1=1 --", "é*"]:
        assert client.get("/search", params={"q": query, "mode": "keyword"}).status_code == 200


def test_bad_parameters_get_clear_errors(client):
    assert client.get("/search", params={"q": ""}).status_code == 422
    assert client.get("/search", params={"q": "x", "limit": 0}).status_code == 422
    assert client.get("/search", params={"q": "x", "mode": "fuzzy"}).status_code == 422


def test_pagination_is_consistent(client):
    full = client.get("/search", params={"q": "emploi local", "limit": 6}).json()
    second = client.get("/search", params={"q": "emploi local", "limit": 3, "offset": 3}).json()
    assert [h["id"] for h in full["hits"][3:6]] == [h["id"] for h in second["hits"]]
    assert len(full["hits"]) == 6 and full["total"] == second["total"] <= 6  # hits go on past the relevant ones
