"""Shared objects of the API, opened once at start-up and handed to routers as dependencies."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from pipeline.config import Settings
from pipeline.embed import Embedder, get_embedder
from pipeline.index import IndexMismatch, IndexMissing, VectorIndex
from pipeline.schema import SchemaError
from pipeline.store import Store, french_stop_words
from search_api.retrieval import Retriever


@dataclass
class Resources:
    settings: Settings
    embedder: Embedder
    index: VectorIndex | None
    problem: str | None = None

    @classmethod
    def open(cls, settings: Settings) -> Resources:
        embedder = get_embedder(settings)
        french_stop_words()  # loaded now (seconds of spaCy data) rather than during the first keyword query
        if not settings.store_db.exists():
            return cls(settings, embedder, None, "no data yet: run `ess crawl` then `ess process`")
        try:
            return cls(settings, embedder, VectorIndex(settings, embedder.name, embedder.dim))
        except (IndexMissing, IndexMismatch) as exc:
            return cls(settings, embedder, None, str(exc))


def get_resources(request: Request) -> Resources:
    return request.app.state.resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


def get_store(resources: ResourcesDep) -> Iterator[Store | None]:
    """A read-only connection per request (SQLite connections are cheap and not shared across threads)."""
    if not resources.settings.store_db.exists():
        yield None
        return
    try:
        store = Store(resources.settings.store_db, readonly=True)
    except SchemaError as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from None
    try:
        yield store
    finally:
        store.close()


StoreDep = Annotated[Store | None, Depends(get_store)]


def get_retriever(resources: ResourcesDep, store: StoreDep) -> Retriever:
    if resources.problem or store is None:
        raise HTTPException(status_code=503, detail=resources.problem or "no data yet")
    return Retriever(store, resources.index, resources.embedder)


RetrieverDep = Annotated[Retriever, Depends(get_retriever)]
