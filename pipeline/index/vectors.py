"""The vector index: a Chroma collection of chunk embeddings, embedded on disk or on a Chroma server."""

from __future__ import annotations

import os
import shutil
import tempfile
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


def disk_stamp(settings: Settings) -> int | None:
    """When the files of the embedded index and of the keyword index last changed (None when there are none).
    A file the writer removes between the listing and its stat (tantivy's temporary files) is passed over."""
    folders = [settings.keywords_dir] + ([] if settings.chroma_host else [settings.chroma_dir])
    stamps = [
        stamp
        for folder in folders
        if folder.is_dir()
        for entry in os.scandir(folder)
        if (stamp := modified(entry)) is not None
    ]
    return max(stamps, default=None)


def modified(entry: os.DirEntry) -> int | None:
    """A file's modification time, None for a folder or a file already gone."""
    try:
        return entry.stat().st_mtime_ns if entry.is_file() else None
    except FileNotFoundError:
        return None


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


def copy_files(source: Path, target: Path) -> None:
    """The files under ``source`` copied into ``target``, writable by this process whatever the source's modes."""
    for folder, _, files in os.walk(source):
        destination = target / Path(folder).relative_to(source)
        destination.mkdir(parents=True, exist_ok=True)
        for name in files:
            shutil.copyfile(Path(folder) / name, destination / name)


@dataclass(frozen=True)
class IndexCopy:
    folder: Path
    stamp: int | None  # of the index's files when they were copied

    @property
    def chroma(self) -> Path:
        return self.folder / "chroma"

    @property
    def keywords(self) -> Path:
        return self.folder / "keywords"


class IndexCopies:
    """Private copies of the indexes for processes that only read them (the API, `ess search`, `ess check`).

    Chroma writes to an index's files whenever a client opens it, and tantivy takes a lock file to read, so only
    the pipeline opens ``DATA/chroma`` and ``DATA/keywords``. A reader copies those files, holding the index lock
    shared so that no write is half done, into a folder of its own outside the data directory, and opens the
    copy. With a Chroma server only the keyword index is copied."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.root = Path(tempfile.mkdtemp(prefix="ess-index-", dir=settings.index_copies))
        self.taken = 0

    def take(self) -> IndexCopy:
        """A copy of the indexes as they are now."""
        embedded = not self.settings.chroma_host
        if embedded and not self.settings.chroma_dir.is_dir():
            raise IndexMissing(NO_INDEX)
        self.taken += 1
        with index_lock(self.settings, shared=True):
            copy = IndexCopy(self.root / str(self.taken), disk_stamp(self.settings))
            if embedded:
                copy_files(self.settings.chroma_dir, copy.chroma)
            if self.settings.keywords_dir.is_dir():
                copy_files(self.settings.keywords_dir, copy.keywords)
        return copy

    def discard(self, copy: IndexCopy) -> None:
        forget_client(copy.chroma)
        shutil.rmtree(copy.folder, ignore_errors=True)

    def close(self) -> None:
        for folder in self.root.iterdir() if self.root.is_dir() else ():
            forget_client(folder / "chroma")
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def reading_copy(settings: Settings) -> Iterator[IndexCopy]:
    """A private copy of the indexes for a command that only reads them, deleted afterwards."""
    copies = IndexCopies(settings)
    try:
        yield copies.take()
    finally:
        copies.close()


class VectorIndex:
    """Chunk vectors with their document id and filterable metadata; the model that built it is recorded.

    Opened on the data directory's files (the pipeline, holding ``DATA/.lock``), every call holds the index lock
    exclusively; opened on a private ``copy``, nothing is locked and the data directory is never written."""

    def __init__(
        self, settings: Settings, model_name: str, dim: int, create: bool = False, copy: IndexCopy | None = None
    ):
        self.settings, self.copy = settings, copy
        self.location = settings.chroma_location
        self.model_name, self.dim = model_name, dim
        self.owner = copy is None and not settings.chroma_host
        if self.owner and not create and not settings.chroma_dir.is_dir():
            raise IndexMissing(NO_INDEX)
        with self._files():
            self.client = chroma_client(settings, copy.chroma if copy else None)
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
