"""Shared objects of the API, opened once at start-up and handed to routers as dependencies."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import Depends, HTTPException, Request

from pipeline.config import Settings
from pipeline.embed.embedder import Embedder, OnnxEmbedder, get_embedder
from pipeline.index.analysis import french_stop_words
from pipeline.index.copies import ReadingIndexes
from pipeline.store.reader import StoreReader
from pipeline.store.schema import SchemaError, check, stored_version
from search_api.retrieval import Retriever
from search_api.watches import WatchStore


class StorePool:
    """Read-only connections to the store, each lent to one request at a time and kept afterwards: a connection
    keeps its page cache warm, where opening one per request read the same pages again and unmapped them at
    close (1 to 3 ms of a keyword search at 100k chunks). A connection to a file the pipeline has since replaced
    (``ess process --rebuild``) is closed rather than lent; the schema version is checked at every loan."""

    def __init__(self, path: Path, size: int = 8):
        self.path, self.guard = path, threading.Lock()
        self.idle: list[tuple[StoreReader, tuple[int, int, int]]] = []  # with the identity of the file each one opened
        # At most ``size`` requests hold a connection: the others wait on the event loop, holding no thread.
        # Unbounded, 50 clients held 47 connections, each mapping the file (1.2 GB resident over a 25 MB store).
        self.turns = anyio.Semaphore(size)

    def take(self) -> tuple[StoreReader, tuple[int, int, int]] | None:
        """A connection with the identity of the file it opened, to hand back with ``give_back``; None while
        there is no store. SchemaError when the store has another schema version."""
        current = file_identity(self.path)
        if current is None:
            return None
        with self.guard:
            while self.idle:
                store, identity = self.idle.pop()
                if identity != current:
                    store.close()
                    continue
                try:
                    check(store.db)
                except SchemaError:
                    store.close()
                    raise
                return store, identity
        if stored_version(self.path) is None:
            return None
        return StoreReader(self.path), current

    def give_back(self, taken: tuple[StoreReader, tuple[int, int, int]] | None) -> None:
        if taken is not None:
            with self.guard:
                self.idle.append(taken)

    def close(self) -> None:
        with self.guard:
            for store, _ in self.idle:
                store.close()
            self.idle.clear()


def file_identity(path: Path) -> tuple[int, int, int] | None:
    """What tells a file from the one it replaced: an inode number can be reused at once, so its change time
    too (which a checkpoint also moves: connections are then opened afresh, which costs nothing to correctness)."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_dev, status.st_ino, status.st_ctime_ns


@dataclass
class Resources:
    """What every request shares: settings, the query encoder, the store's connections and the indexes, read
    from private copies that are taken again when the pipeline has changed them (``ReadingIndexes``)."""

    settings: Settings
    embedder: Embedder | OnnxEmbedder
    stores: StorePool
    indexes: ReadingIndexes

    def watches(self) -> WatchStore:
        return WatchStore(self.settings.watches_db)

    @classmethod
    def open(cls, settings: Settings) -> Resources:
        # One query is a tiny forward pass: splitting it over threads only adds waiting, and with concurrent
        # requests (or `ess process` on the same cores) torch's spinning threads made it ten times slower
        # (1.2 s instead of 0.12 s per query, measured under load). Requests run in parallel instead, on either
        # engine; with the ONNX one torch is not imported at all.
        embedder = get_embedder(settings, threads=1)
        french_stop_words()  # loaded now (seconds of spaCy data) rather than during the first keyword query
        indexes = ReadingIndexes.open(settings, embedder.name, embedder.dim)
        return cls(settings, embedder, StorePool(settings.store_db, settings.api_threads), indexes)

    def close(self) -> None:
        self.indexes.close()
        self.stores.close()


def get_resources(request: Request) -> Resources:
    return request.app.state.resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


async def get_store(resources: ResourcesDep) -> AsyncIterator[StoreReader | None]:
    """A read-only connection for the request, lent by the pool once one of its turns is free; None before the
    first `ess process` has created the store."""
    async with resources.stores.turns:
        try:
            taken = resources.stores.take()
        except SchemaError as exc:
            raise HTTPException(status_code=503, detail=str(exc)) from None
        try:
            yield taken[0] if taken else None
        finally:
            resources.stores.give_back(taken)


StoreDep = Annotated[StoreReader | None, Depends(get_store)]


def get_retriever(resources: ResourcesDep, store: StoreDep) -> Iterator[Retriever | None]:
    """A retriever; None while nothing is indexed; 503 when the index cannot serve (another model, no server)."""
    with resources.indexes.reading() as index:
        if store is None or (index is None and resources.indexes.empty):
            yield None
            return
        if index is None:
            raise HTTPException(status_code=503, detail=resources.indexes.problem)
        yield Retriever(store, index.vectors, index.keywords, resources.embedder, resources.settings)


RetrieverDep = Annotated[Retriever | None, Depends(get_retriever)]
