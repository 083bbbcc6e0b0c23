"""Shared objects of the API, opened once at start-up and handed to routers as dependencies."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import Depends, HTTPException, Request

from pipeline.config import Settings
from pipeline.embed.embedder import Embedder, OnnxEmbedder, get_embedder
from pipeline.index.analysis import french_stop_words
from pipeline.index.keywords import KeywordIndex
from pipeline.index.vectors import IndexCopies, IndexCopy, IndexMismatch, IndexMissing, VectorIndex, disk_stamp
from pipeline.store.schema import SchemaError, check, stored_version
from pipeline.store.writer import Store
from search_api.retrieval import Retriever
from search_api.watches import WatchStore


class StorePool:
    """Read-only connections to the store, each lent to one request at a time and kept afterwards: a connection
    keeps its page cache warm, where opening one per request read the same pages again and unmapped them at
    close (1 to 3 ms of a keyword search at 100k chunks). A connection to a file the pipeline has since replaced
    (``ess process --rebuild``) is closed rather than lent; the schema version is checked at every loan."""

    def __init__(self, path: Path, size: int = 8):
        self.path, self.guard = path, threading.Lock()
        self.idle: list[tuple[Store, tuple[int, int, int]]] = []  # with the identity of the file each one opened
        # At most ``size`` requests hold a connection: the others wait on the event loop, holding no thread.
        # Unbounded, 50 clients held 47 connections, each mapping the file (1.2 GB resident over a 25 MB store).
        self.turns = anyio.Semaphore(size)

    def take(self) -> tuple[Store, tuple[int, int, int]] | None:
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
        return Store(self.path, readonly=True), current

    def give_back(self, taken: tuple[Store, tuple[int, int, int]] | None) -> None:
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


@dataclass(eq=False)
class Indexes:
    """The vector index and the keyword index, opened on the same private copy."""

    vectors: VectorIndex
    keywords: KeywordIndex
    copy: IndexCopy


@dataclass
class Resources:
    """What every request shares: settings, the query encoder, the vector index and the keyword index.

    The indexes are read from a private copy (see ``IndexCopies``; with a Chroma server, the keyword index only),
    taken again when the pipeline has changed their files, at most every ``index_refresh_seconds``. A copy stays
    open while a request reads it and is deleted once the last such request is done."""

    settings: Settings
    embedder: Embedder | OnnxEmbedder
    copies: IndexCopies
    stores: StorePool
    index: Indexes | None = None
    problem: str | None = None
    empty: bool = False  # nothing indexed yet: searches answer zero hits with a hint
    seen: int | None = None  # the stamp of the index files when last opened
    checked: float = 0.0
    guard: threading.Lock = field(default_factory=threading.Lock)
    refreshing: threading.Lock = field(default_factory=threading.Lock)
    readers: Counter = field(default_factory=Counter)  # requests reading each open index, by id
    retired: list[Indexes] = field(default_factory=list)

    def watches(self) -> WatchStore:
        return WatchStore(self.settings.watches_db)

    @classmethod
    def open(cls, settings: Settings) -> Resources:
        # One query is a tiny forward pass: splitting it over threads only adds waiting, and with concurrent
        # requests (or `ess process` on the same cores) torch's spinning threads made it ten times slower
        # (1.2 s instead of 0.12 s per query, measured under load). Requests run in parallel instead, on either
        # engine; with the ONNX one torch is not imported at all.
        embedder = get_embedder(settings, threads=1)
        resources = cls(settings, embedder, IndexCopies(settings), StorePool(settings.store_db, settings.api_threads))
        french_stop_words()  # loaded now (seconds of spaCy data) rather than during the first keyword query
        resources.connect()
        return resources

    def close(self) -> None:
        self.copies.close()
        self.stores.close()

    def connect(self) -> None:
        """Open the index, or remember why it cannot be used; the index it replaces retires."""
        self.seen = disk_stamp(self.settings)
        index, problem, empty = None, None, False
        try:
            index = self._open_index()
        except IndexMissing as exc:
            problem, empty = str(exc), True
        except IndexMismatch as exc:
            problem = str(exc)
        except Exception as exc:  # noqa: BLE001 - an unreachable Chroma server raises transport errors
            problem = f"cannot open the vector index at {self.settings.chroma_location}: {exc}"
        with self.guard:
            if self.index is not None:
                self.retired.append(self.index)
            self.index, self.problem, self.empty = index, problem, empty
            self._discard_unread()

    def _open_index(self) -> Indexes:
        copy = self.copies.take()
        self.seen = copy.stamp
        try:
            vectors = VectorIndex(self.settings, self.embedder.name, self.embedder.dim, copy=copy)
            return Indexes(vectors, KeywordIndex(self.settings, copy), copy)
        except Exception:
            self.copies.discard(copy)
            raise

    def _discard_unread(self) -> None:
        for index in [i for i in self.retired if not self.readers[id(i)]]:
            self.retired.remove(index)
            del self.readers[id(index)]
            self.copies.discard(index.copy)

    @contextmanager
    def reading(self) -> Iterator[Indexes | None]:
        """The freshest indexes, kept open until the caller is done with them."""
        self._refresh_if_due()
        with self.guard:
            index = self.index
            self.readers[id(index)] += 1
        try:
            yield index
        finally:
            with self.guard:
                self.readers[id(index)] -= 1
                self._discard_unread()

    def _refresh_if_due(self) -> None:
        """Open the index again when it was missing or the pipeline changed it; one request does it, the others
        go on with the index they have."""
        now = time.monotonic()
        if now - self.checked < self.settings.index_refresh_seconds or not self.refreshing.acquire(blocking=False):
            return
        try:
            self.checked = now
            server_was_empty = self.settings.chroma_host and self.empty
            if server_was_empty or disk_stamp(self.settings) != self.seen:
                self.connect()
        finally:
            self.refreshing.release()


def get_resources(request: Request) -> Resources:
    return request.app.state.resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


async def get_store(resources: ResourcesDep) -> AsyncIterator[Store | None]:
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


StoreDep = Annotated[Store | None, Depends(get_store)]


def get_retriever(resources: ResourcesDep, store: StoreDep) -> Iterator[Retriever | None]:
    """A retriever; None while nothing is indexed; 503 when the index cannot serve (another model, no server)."""
    with resources.reading() as index:
        if store is None or (index is None and resources.empty):
            yield None
            return
        if index is None:
            raise HTTPException(status_code=503, detail=resources.problem)
        yield Retriever(store, index.vectors, index.keywords, resources.embedder, resources.settings)


RetrieverDep = Annotated[Retriever | None, Depends(get_retriever)]
