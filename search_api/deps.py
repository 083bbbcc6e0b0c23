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
    index: VectorIndex | None = None
    problem: str | None = None
    empty: bool = False  # nothing indexed yet: searches answer zero hits with a hint

    @classmethod
    def open(cls, settings: Settings) -> Resources:
        import torch

        # One query is a tiny forward pass: splitting it over threads only adds waiting, and with concurrent
        # requests (or `ess process` on the same cores) torch's spinning threads made it ten times slower
        # (1.2 s instead of 0.12 s per query, measured under load). Requests run in parallel instead.
        torch.set_num_threads(1)
        resources = cls(settings, get_embedder(settings))
        french_stop_words()  # loaded now (seconds of spaCy data) rather than during the first keyword query
        resources.connect()
        return resources

    def connect(self, fresh: bool = False) -> None:
        """Open the vector index, or remember why it cannot be used."""
        self.index, self.problem, self.empty = None, None, False
        try:
            self.index = VectorIndex(self.settings, self.embedder.name, self.embedder.dim, fresh=fresh)
        except IndexMissing as exc:
            self.problem, self.empty = str(exc), True
        except IndexMismatch as exc:
            self.problem = str(exc)
        except Exception as exc:  # noqa: BLE001 - an unreachable Chroma server raises transport errors
            self.problem = f"cannot open the vector index at {self.settings.chroma_location}: {exc}"

    def vector_index(self) -> VectorIndex | None:
        """The index; opened again when it was missing, or reloaded when `ess process` changed it since."""
        if self.index is None and self.empty:
            self.connect(fresh=True)
        elif self.index is not None and self.index.changed_on_disk():
            self.connect(fresh=True)
        return self.index


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


def get_retriever(resources: ResourcesDep, store: StoreDep) -> Retriever | None:
    """A retriever; None while nothing is indexed; 503 when the index cannot serve (another model, no server)."""
    index = resources.vector_index()
    if store is None or (index is None and resources.empty):
        return None
    if index is None:
        raise HTTPException(status_code=503, detail=resources.problem)
    return Retriever(store, index, resources.embedder)


RetrieverDep = Annotated[Retriever | None, Depends(get_retriever)]
