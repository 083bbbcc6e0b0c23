"""What the API, the page and `ess entity` show of an entity: one service beside the routers."""

from __future__ import annotations

import json
from dataclasses import asdict

from pipeline.entities.curation import Curation
from pipeline.store import queries
from search_api.schemas import Cooccurring, DecisionOut, EntityDocument, EntityPage, MonthCount, SourceCount


class UnknownEntity(LookupError):
    def __init__(self, name: str, closest: list[str]):
        super().__init__(f"no entity named {name!r}")
        self.closest = closest


def build_entity_page(db, name: str, limit: int = 20, offset: int = 0, curation: Curation | None = None) -> EntityPage:
    """The page of the entity a name or alias designates, with the decisions taken about it; UnknownEntity
    (with the closest names) otherwise."""
    entity = queries.resolve(db, name)
    if entity is None:
        raise UnknownEntity(name, queries.closest_names(db, name))
    facts = queries.profile(db, entity["id"])
    documents = queries.documents_of(db, entity["id"], limit, offset)
    return EntityPage(
        name=entity["name"],
        type=entity["label"],
        aliases=json.loads(entity["aliases"] or "[]"),
        gazetteer=bool(entity["gazetteer"]),
        decisions=[DecisionOut(**asdict(d)) for d in curation.about(entity["key"])] if curation else [],
        mentions=facts["totals"]["mentions"],
        documents=facts["totals"]["documents"],
        by_source=[SourceCount(**dict(r)) for r in facts["by_source"]],
        by_month=[MonthCount(**dict(r)) for r in facts["by_month"]],
        cooccurring=[
            Cooccurring(name=r["name"], type=r["label"], documents=r["documents"]) for r in facts["cooccurring"]
        ],
        document_list=[EntityDocument(**dict(r)) for r in documents],
    )
