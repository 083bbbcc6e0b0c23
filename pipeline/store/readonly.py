"""Opening SQLite databases for reading without ever writing to their folder."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def connect_readonly(path: Path, **options) -> sqlite3.Connection:
    """A read-only connection to the database at ``path``.

    A reader of a WAL database needs the ``-wal`` and ``-shm`` files beside it; SQLite makes them when they are
    missing, which a read-only folder (permissions or a read-only mount) forbids. There, with no ``-wal`` file, no
    writer has the database open and none can, so it is opened immutable: read as a plain file, nothing created.
    """
    path = Path(path)
    query = "mode=ro"
    if not os.access(path.parent, os.W_OK) and not Path(f"{path}-wal").exists():
        query += "&immutable=1"
    return sqlite3.connect(f"file:{path}?{query}", uri=True, **options)
