"""GET /documents/{id}: a document with its text and its entity and date mentions."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from search_api.deps import StoreDep
from search_api.retrieval import also_on
from search_api.schemas import DocumentOut, ErrorOut, MentionOut

router = APIRouter(prefix="/documents", tags=["documents"])
DOC_ID = Path(pattern=r"^[0-9a-f]{16}$", description="Document id, as search hits give it.")


@router.get(
    "/{doc_id}",
    response_model=DocumentOut,
    responses={404: {"model": ErrorOut, "description": "No such document."}},
    summary="One document with its mentions",
)
def get_document(doc_id: Annotated[str, DOC_ID], store: StoreDep) -> DocumentOut:
    row = store.document(doc_id) if store else None
    if row is None:
        raise HTTPException(status_code=404, detail=f"no document {doc_id}")
    computed = ("mentions", "gone", "tags", "duplicates")
    fields = {key: row[key] for key in DocumentOut.model_fields if key not in computed}
    mentions = [MentionOut(**dict(m)) for m in store.mentions(doc_id)]
    tags = json.loads(row["tags"]) if row["tags"] else []
    duplicates = also_on(row, store.cluster_members([row["cluster"] or doc_id]))
    return DocumentOut(**fields, gone=bool(row["gone"]), tags=tags, mentions=mentions, duplicates=duplicates)
