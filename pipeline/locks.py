"""File locks (``flock``), the one helper every lock of the project goes through: one writer at a time per data
directory (``data_lock``), the index files (``pipeline.index.vectors.index_lock``), a model's conversion."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO


class Busy(RuntimeError):
    """Another ess command holds the data directory; the message says which and its pid."""


@contextmanager
def file_lock(path: Path, shared: bool = False, wait: bool = True, mode: str = "a+") -> Iterator[IO[str]]:
    """Hold an exclusive (or ``shared``) lock on the file at ``path``, opened with ``mode``, until the block
    ends. Without ``wait`` a lock held elsewhere raises BlockingIOError at once."""
    with open(path, mode) as lock:
        flags = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if wait else fcntl.LOCK_NB)
        fcntl.flock(lock, flags)
        yield lock


@contextmanager
def data_lock(data_dir: Path, command: str) -> Iterator[None]:
    """Hold ``DATA/.lock`` while ``command`` runs; refuse at once, with a clear message, if it is held."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / ".lock"
    with ExitStack() as held:
        try:
            lock = held.enter_context(file_lock(path, wait=False))
        except BlockingIOError:
            holder = path.read_text(encoding="utf-8").strip() or "another ess command"
            raise Busy(f"{data_dir} is in use by {holder}; try again when it has finished") from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"`ess {command}` (pid {os.getpid()})")
        lock.flush()
        try:
            yield
        finally:
            lock.truncate(0)
