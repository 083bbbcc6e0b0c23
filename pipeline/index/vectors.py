"""The vector index: a Chroma collection of chunk embeddings, embedded on disk or on a Chroma server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.config import Settings
from pipeline.locks import file_lock

COLLECTION = "chunks"
NO_INDEX = "no vector index yet: run `ess process` first"


class IndexMismatch(RuntimeError):
    """The index was built by another embedding model; it must be rebuilt."""


class IndexMissing(RuntimeError):
    """Nothing has been indexed yet."""


class IndexUnavailable(RuntimeError):
    """The index did not answer (a Chroma server down or unreachable)."""


def document_of(chunk_id: str) -> str:
    """The document id in a chunk id ("<document id>:<index>")."""
    return chunk_id.rpartition(":")[0]


@dataclass
class DocumentVectors:
    doc_id: str
    ids: list[str]
    vectors: np.ndarray
    metadatas: list[dict]


@dataclass
class VectorHit:
    chunk_id: str
    doc_id: str
    similarity: float


def chroma_client(settings: Settings, folder: Path | None = None):
    """A client of the Chroma server, or of the embedded index in ``folder`` (default: the data directory's)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    return chromadb.PersistentClient(path=str(folder or settings.chroma_dir), settings=chroma_settings)


def forget_client(folder: Path) -> None:
    """Stop and drop the Chroma system cached for ``folder``: Chroma keeps one per path for the process's life."""
    from chromadb.api.shared_system_client import SharedSystemClient

    system = SharedSystemClient._identifier_to_system.pop(str(folder), None)
    if system is not None:
        system.stop()


@contextmanager
def index_lock(settings: Settings, shared: bool = False) -> Iterator[None]:
    """Hold ``DATA/chroma.lock``: exclusive for the one process that opens the index's files, shared by readers
    copying them. A reader finding no lock file (an index written before locks) copies without one."""
    if settings.chroma_host:
        yield
        return
    if not shared:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as held:
        try:
            held.enter_context(file_lock(settings.chroma_lock, shared, mode="r" if shared else "a"))
        except FileNotFoundError:  # a reader of an index written before locks
            pass
        yield


class VectorIndex:
    """Chunk vectors with their document id and filterable metadata; the model that built it is recorded.

    Opened on the data directory's files (the pipeline, holding ``DATA/.lock``), every call holds the index lock
    exclusively; opened on the Chroma folder of a private ``copy`` (``pipeline.index.copies``), nothing is locked
    and the data directory is never written."""

    def __init__(self, settings: Settings, model_name: str, dim: int, create: bool = False, copy: Path | None = None):
        self.settings, self.copy = settings, copy
        self.location = settings.chroma_location
        self.model_name, self.dim = model_name, dim
        self.owner = copy is None and not settings.chroma_host
        if self.owner and not create and not settings.chroma_dir.is_dir():
            raise IndexMissing(NO_INDEX)
        with self._files():
            self.client = chroma_client(settings, copy)
            self.collection = self._open(create)

    def _files(self):
        """The index lock, held by the owner of the files while it touches them; a copy needs none."""
        return index_lock(self.settings) if self.owner else nullcontext()

    def _open(self, create: bool):
        metadata = {"embedding_model": self.model_name, "dim": self.dim}
        if create:
            collection = self.client.get_or_create_collection(
                COLLECTION,
                metadata=metadata,
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
        else:
            try:
                collection = self.client.get_collection(COLLECTION, embedding_function=None)
            except Exception as exc:  # noqa: BLE001 - chroma raises different types per backend
                raise IndexMissing(NO_INDEX) from exc
        built_by = {k: (collection.metadata or {}).get(k) for k in metadata}
        if built_by != metadata:
            raise IndexMismatch(
                f"the index was built with {built_by['embedding_model']} ({built_by['dim']} dims), not "
                f"{self.model_name} ({self.dim} dims): run `ess process --reindex`"
            )
        return collection

    def replace_documents(self, documents: list[DocumentVectors]) -> None:
        """Every chunk vector of these documents, their older chunks gone, in one delete and one upsert."""
        if not documents:
            return
        with self._files():
            self.collection.delete(where={"doc_id": {"$in": [d.doc_id for d in documents]}})
            ids = [i for d in documents for i in d.ids]
            if ids:
                self.collection.upsert(
                    ids=ids,
                    embeddings=np.concatenate([d.vectors for d in documents if d.ids]).tolist(),
                    metadatas=[m for d in documents for m in d.metadatas],
                )

    def query(self, vector: np.ndarray, limit: int, among: set[str] | None = None) -> list[VectorHit]:
        """The chunks nearest to ``vector``, only of the documents ``among`` when given."""
        try:
            with self._files():
                result = self._nearest(vector, limit, among)
        except Exception as exc:  # noqa: BLE001 - transport errors of the HTTP client have many types
            raise IndexUnavailable(f"the vector index at {self.location} did not answer: {exc}") from exc
        if result is None:
            return []
        return [
            VectorHit(chunk_id, document_of(chunk_id), 1.0 - distance)
            for chunk_id, distance in zip(result["ids"][0], result["distances"][0], strict=True)
        ]

    def _nearest(self, vector: np.ndarray, limit: int, among: set[str] | None):
        if among == set():
            return None
        # No count() first: Chroma returns what it has when asked for more, and counting 100k vectors took 12 ms.
        return self.collection.query(
            query_embeddings=[vector.tolist()],
            n_results=limit,
            where={"doc_id": {"$in": sorted(among)}} if among is not None else None,
            include=["distances"],  # the document is in the chunk id; reading metadata would double the time
        )

    @staticmethod
    def drop(settings: Settings) -> None:
        """Delete every vector, whatever model built them (before a rebuild)."""
        with index_lock(settings):
            client = chroma_client(settings)
            if COLLECTION in [c.name for c in client.list_collections()]:
                client.delete_collection(COLLECTION)

    def count(self) -> int:
        try:
            with self._files():
                return self.collection.count()
        except Exception as exc:  # noqa: BLE001 - transport errors of the HTTP client have many types
            raise IndexUnavailable(f"the vector index at {self.location} did not answer: {exc}") from exc

    def built_by(self) -> tuple[str, int]:
        """The embedding model and dimensions recorded when the index was created."""
        metadata = self.collection.metadata or {}
        return metadata.get("embedding_model"), metadata.get("dim")

    def ids(self, page: int = 5000) -> set[str]:
        """Every chunk id in the index, read page by page."""
        ids: set[str] = set()
        with self._files():
            while batch := self.collection.get(include=[], limit=page, offset=len(ids))["ids"]:
                ids.update(batch)
        return ids
