"""GET /graph.gexf: the entities' co-occurrence graph for a period, sources and types, for Gephi (GEXF 1.2)."""

from __future__ import annotations

import io
from typing import Annotated, Literal

import networkx as nx
from fastapi import APIRouter, Query
from fastapi.responses import Response

from pipeline.entities.gazetteer import LABELS
from pipeline.store import queries
from search_api.deps import StoreDep
from search_api.exports import download
from search_api.filters import SourceAndDates

router = APIRouter(tags=["entities"])
GEXF_MEDIA_TYPE = "application/gexf+xml"


@router.get(
    "/graph.gexf",
    response_class=Response,
    responses={200: {"content": {GEXF_MEDIA_TYPE: {}}, "description": "GEXF 1.2, as Gephi opens it."}},
    summary="The entities' co-occurrence graph",
)
def cooccurrence_graph(
    store: StoreDep,
    filters: SourceAndDates,
    type: Annotated[list[Literal[LABELS]] | None, Query(description="Entity types (default: all).")] = None,  # noqa: A002
    min_documents: Annotated[
        int, Query(ge=1, le=10_000, description="Entities, and pairs, named in at least this many documents.")
    ] = 2,
    max_entities: Annotated[int, Query(ge=1, le=5_000, description="The entities named in most documents.")] = 500,
) -> Response:
    """Nodes: entities (label, type, documents naming them). Edges: entities named in the same documents,
    weighted by how many."""
    graph = nx.Graph()
    if store is not None:
        nodes, edges = queries.cooccurrence(store.db, filters, list(type or LABELS), min_documents, max_entities)
        for row in nodes:
            graph.add_node(row["id"], label=row["name"], type=row["label"], documents=row["documents"])
        graph.add_weighted_edges_from(edges)
    out = io.BytesIO()
    nx.write_gexf(graph, out)
    return download(out.getvalue(), GEXF_MEDIA_TYPE, "ess-entities.gexf")
