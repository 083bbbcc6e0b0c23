"""One writer at a time per data directory: crawls and processing take an exclusive lock."""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path


class Busy(RuntimeError):
    """Another ess command holds the data directory; the message says which and its pid."""


@contextmanager
def data_lock(data_dir: Path, command: str):
    """Hold ``DATA/.lock`` while ``command`` runs; refuse at once, with a clear message, if it is held."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / ".lock"
    with open(path, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another ess command"
            raise Busy(f"{data_dir} is in use by {holder}; try again when it has finished") from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"`ess {command}` (pid {os.getpid()})")
        lock.flush()
        try:
            yield
        finally:
            lock.truncate(0)
