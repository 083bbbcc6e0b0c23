"""The vector index: a Chroma collection of chunk embeddings, embedded on disk or on a Chroma server."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from pipeline.config import Settings

COLLECTION = "chunks"


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


def chroma_client(settings: Settings, fresh: bool = False, create: bool = True):
    """A client of the Chroma server, or of the embedded index; ``fresh`` reloads the embedded one from disk.
    A reader (``create=False``) never makes the index's folder: where there is none, there is no index."""
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    if not create and not settings.chroma_dir.is_dir():
        raise IndexMissing("no vector index yet: run `ess process` first")
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    if fresh:
        # Chroma caches one in-memory HNSW index per path and never reloads it: vectors another process wrote
        # stay invisible to queries (chroma-core/chroma#3792). Forgetting this path's cached system makes the
        # next client read the files again; clients already open keep working on their copy.
        SharedSystemClient._identifier_to_system.pop(str(settings.chroma_dir), None)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


def disk_stamp(settings: Settings) -> int | None:
    """When the embedded index's files last changed (None for a server, which has no such staleness)."""
    if settings.chroma_host or not settings.chroma_dir.is_dir():
        return None
    return max((entry.stat().st_mtime_ns for entry in os.scandir(settings.chroma_dir) if entry.is_file()), default=0)


class VectorIndex:
    """Chunk vectors with their document id and filterable metadata; the model that built it is recorded."""

    def __init__(self, settings: Settings, model_name: str, dim: int, create: bool = False, fresh: bool = False):
        self.settings = settings
        self.client = chroma_client(settings, fresh, create)
        self.location = settings.chroma_location
        self.model_name, self.dim = model_name, dim
        self.collection = self._open(create)
        self.stamp = disk_stamp(settings)  # after opening, which itself touches the files

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
                raise IndexMissing("no vector index yet: run `ess process` first") from exc
        built_by = {k: (collection.metadata or {}).get(k) for k in metadata}
        if built_by != metadata:
            raise IndexMismatch(
                f"the index was built with {built_by['embedding_model']} ({built_by['dim']} dims), not "
                f"{self.model_name} ({self.dim} dims): run `ess process --reindex`"
            )
        return collection

    def changed_on_disk(self) -> bool:
        """Another process (`ess process`) wrote to the embedded index since it was opened."""
        return self.stamp is not None and disk_stamp(self.settings) != self.stamp

    def replace_documents(self, documents: list[DocumentVectors]) -> None:
        """Every chunk vector of these documents, their older chunks gone, in one delete and one upsert."""
        if not documents:
            return
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
        client = chroma_client(settings)
        if COLLECTION in [c.name for c in client.list_collections()]:
            client.delete_collection(COLLECTION)

    def count(self) -> int:
        try:
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
        while batch := self.collection.get(include=[], limit=page, offset=len(ids))["ids"]:
            ids.update(batch)
        return ids
