"""GET /entities and /entities/{name}: what was written about an actor, where, when and with whom."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import Response

from pipeline.entities.curation import Curation
from pipeline.entities.gazetteer import LABELS
from pipeline.store import queries
from search_api.deps import ResourcesDep, StoreDep
from search_api.entity_pages import UnknownEntity, build_entity_page
from search_api.exports import MENTION_COLUMNS, TABLE_RESPONSES, Format, mention_rows, table_response
from search_api.schemas import EntityList, EntityPage, EntitySummary, UnknownEntityOut

router = APIRouter(prefix="/entities", tags=["entities"])
Label = Literal[LABELS]


def summary(row) -> EntitySummary:
    return EntitySummary(
        name=row["name"],
        type=row["label"],
        mentions=row["mentions"],
        documents=row["documents"],
        gazetteer=bool(row["gazetteer"]),
    )


@router.get("", response_model=EntityList, summary="Canonical entities with their counts")
def list_entities(
    store: StoreDep,
    q: Annotated[str | None, Query(max_length=200, description="Part of a name, any case or accents.")] = None,
    type: Annotated[Label | None, Query(description="Only this type.")] = None,  # noqa: A002 - the API's word
    source: Annotated[str | None, Query(max_length=100, description="Count only this source's documents.")] = None,
    sort: Annotated[Literal["mentions", "documents", "name"], Query()] = "mentions",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> EntityList:
    if store is None:
        return EntityList(total=0, limit=limit, offset=offset, entities=[])
    total, rows = queries.list_entities(store.db, q, type, source, sort, limit, offset)
    return EntityList(total=total, limit=limit, offset=offset, entities=[summary(r) for r in rows])


@router.get(
    "/{name}",
    response_model=EntityPage,
    responses={**TABLE_RESPONSES, 404: {"model": UnknownEntityOut, "description": "Unknown name, with the closest."}},
    summary="One entity across sources and time",
)
def entity_page(
    store: StoreDep,
    resources: ResourcesDep,
    name: Annotated[
        str, Path(max_length=200, description="Canonical name or alias, any case or accents.", examples=["Coorace"])
    ],
    limit: Annotated[int, Query(ge=1, le=200, description="Documents per page.")] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    format: Annotated[  # noqa: A002 - the API's word
        Format, Query(description="csv or xlsx: every mention, with its document and sentence.")
    ] = "json",
) -> EntityPage | Response:
    if store is None:
        raise HTTPException(status_code=404, detail={"message": "nothing processed yet", "closest": []})
    try:
        if format != "json":
            return mentions_table(store.db, name, format)
        return build_entity_page(store.db, name, limit, offset, Curation.load(resources.settings.curation))
    except UnknownEntity as exc:
        raise HTTPException(status_code=404, detail={"message": str(exc), "closest": exc.closest}) from None


def mentions_table(db, name: str, form: Format) -> Response:
    entity = queries.resolve(db, name)
    if entity is None:
        raise UnknownEntity(name, queries.closest_names(db, name))
    mentions = queries.mentions_of(db, entity["id"])
    return table_response(MENTION_COLUMNS, mention_rows(mentions), f"ess-entity-{entity['key']}", form)
