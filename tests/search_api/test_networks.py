"""Who appears with whom: an entity's neighbourhood on its page, and the whole co-occurrence graph as GEXF."""

from __future__ import annotations

import io
import re
import sqlite3
from itertools import combinations

import networkx as nx


def documents_naming(settings) -> dict[str, set[str]]:
    """Entity name -> ids of the documents naming it, read straight from the store."""
    with sqlite3.connect(settings.store_db) as db:
        rows = db.execute("SELECT e.name, m.doc_id FROM mentions m JOIN entities e ON e.id = m.entity_id").fetchall()
    naming: dict[str, set[str]] = {}
    for name, doc_id in rows:
        naming.setdefault(name, set()).add(doc_id)
    return naming


def test_the_gexf_graph_counts_the_documents_naming_each_entity_and_each_pair(client, processed):
    answer = client.get("/graph.gexf", params={"min_documents": 2})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/gexf+xml")
    graph = nx.read_gexf(io.BytesIO(answer.content))
    naming = documents_naming(processed[0])
    labels = {node: data["label"] for node, data in graph.nodes(data=True)}
    assert len(graph) >= 2 and graph.number_of_edges() > 0
    for _, data in graph.nodes(data=True):
        assert data["documents"] == len(naming[data["label"]]) >= 2 and data["type"] in ("ORG", "PER", "LOC", "MISC")
    for a, b, data in graph.edges(data=True):
        assert data["weight"] == len(naming[labels[a]] & naming[labels[b]]) >= 2
    strong = [(x, y) for x, y in combinations(graph.nodes, 2) if len(naming[labels[x]] & naming[labels[y]]) >= 2]
    assert len(strong) == graph.number_of_edges()  # no pair left out


def test_the_graph_takes_types_sources_and_dates(client):
    people = nx.read_gexf(io.BytesIO(client.get("/graph.gexf", params={"type": "ORG", "min_documents": 1}).content))
    assert people and {data["type"] for _, data in people.nodes(data=True)} == {"ORG"}
    alpha = nx.read_gexf(io.BytesIO(client.get("/graph.gexf", params={"source": "alpha", "min_documents": 1}).content))
    everything = nx.read_gexf(io.BytesIO(client.get("/graph.gexf", params={"min_documents": 1}).content))
    named = {data["label"]: data["documents"] for _, data in everything.nodes(data=True)}
    assert 0 < len(alpha) <= len(everything)
    assert all(data["documents"] <= named[data["label"]] for _, data in alpha.nodes(data=True))
    assert sum(d["documents"] for _, d in alpha.nodes(data=True)) < sum(named.values())  # beta's left out
    future = client.get("/graph.gexf", params={"date_from": "2999"})
    assert future.status_code == 200 and len(nx.read_gexf(io.BytesIO(future.content))) == 0
    assert client.get("/graph.gexf", params={"type": "DATE"}).status_code == 422


def test_the_entity_page_draws_its_neighbourhood(client, processed):
    page = client.get("/entity/Coorace").text
    assert 'class="network-node center"' in page
    around = re.findall(r'<a href="(/entity/[^"]+)" class="network-node ">', page)
    shown = client.get("/entities/Coorace").json()["cooccurring"]
    assert len(around) == min(12, len(shown)) > 1
    assert '<line class="network-spoke"' in page and 'href="/graph.gexf"' in page
