"""Private copies of the indexes for the processes that only read them (the API, `ess search`, `ess check`), from
creation to deletion.

Chroma writes to an index's files whenever a client opens it, and tantivy takes a lock file to read, so only the
pipeline opens ``DATA/chroma`` and ``DATA/keywords``. A reader copies those files, holding the index lock shared so
that no write is half done, into a folder of its own outside the data directory, and opens the copy
(``IndexCopies``). A long-lived reader keeps the freshest copy open (``ReadingIndexes``): it copies again when the
pipeline has changed the files, at most every ``ESS_INDEX_REFRESH_SECONDS``, and deletes an older copy once the
last request reading it is done. With a Chroma server only the keyword index is copied.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.config import Settings
from pipeline.index.keywords import KeywordIndex
from pipeline.index.vectors import NO_INDEX, IndexMismatch, IndexMissing, VectorIndex, forget_client, index_lock


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
    """The private copies one process takes, in a folder of its own outside the data directory."""

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


@dataclass(eq=False)
class Indexes:
    """The vector index and the keyword index, opened on the same private copy."""

    vectors: VectorIndex
    keywords: KeywordIndex
    copy: IndexCopy

    @classmethod
    def open(cls, settings: Settings, model_name: str, dim: int, copy: IndexCopy) -> Indexes:
        vectors = VectorIndex(settings, model_name, dim, copy=copy.chroma)
        return cls(vectors, KeywordIndex(settings, copy.keywords), copy)


@dataclass
class ReadingIndexes:
    """The freshest indexes for a long-lived reader, for the embedder ``model_name`` of ``dim`` dimensions; when
    they cannot be opened, ``problem`` says why (``empty``: nothing indexed yet)."""

    settings: Settings
    model_name: str
    dim: int
    copies: IndexCopies
    index: Indexes | None = None
    problem: str | None = None
    empty: bool = False
    seen: int | None = None  # the stamp of the index files when last opened
    checked: float = 0.0
    guard: threading.Lock = field(default_factory=threading.Lock)
    refreshing: threading.Lock = field(default_factory=threading.Lock)
    readers: Counter = field(default_factory=Counter)  # requests reading each open index, by id
    retired: list[Indexes] = field(default_factory=list)

    @classmethod
    def open(cls, settings: Settings, model_name: str, dim: int) -> ReadingIndexes:
        indexes = cls(settings, model_name, dim, IndexCopies(settings))
        indexes.connect()
        return indexes

    def close(self) -> None:
        self.copies.close()

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
            return Indexes.open(self.settings, self.model_name, self.dim, copy)
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
