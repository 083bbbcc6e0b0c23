"""What the data directory holds, per source and in total (for `GET /sources`, `GET /stats`, `ess stats`)."""

from __future__ import annotations

import sqlite3

from crawler.registry import RegistryError, load_registry
from crawler.state import CrawlState
from pipeline.config import Settings
from pipeline.store import skipped_counts


def sources_overview(settings: Settings, db: sqlite3.Connection | None) -> list[dict]:
    """Every registered or stored source: title, kind, homepage, documents, gone ones, last crawl summary."""
    try:
        registry = {s.name: s for s in load_registry(settings.sources)}
    except RegistryError:
        registry = {}
    counts, skipped = {}, {}
    if db is not None:
        rows = db.execute("SELECT source, count(*) AS documents, sum(gone) AS gone FROM documents GROUP BY source")
        counts = {r["source"]: (r["documents"], r["gone"]) for r in rows}
        skipped = skipped_counts(db)
    last = {}
    if settings.crawl_db.exists():
        state = CrawlState(settings.crawl_db)
        last = state.last_runs()
        state.close()
    return [
        {
            "name": name,
            "title": registry[name].title if name in registry else None,
            "kind": registry[name].kind if name in registry else None,
            "homepage": registry[name].homepage if name in registry else None,
            "documents": counts.get(name, (0, 0))[0],
            "gone": counts.get(name, (0, 0))[1] or 0,
            "skipped": skipped.get(name, {}),
            "last_crawl": last.get(name),
        }
        for name in sorted(set(registry) | set(counts) | set(last) | set(skipped))
    ]


def _count(db: sqlite3.Connection, sql: str) -> int:
    return db.execute(sql).fetchone()[0]


def _documents_by(db: sqlite3.Connection, column: str) -> dict[str, int]:
    rows = db.execute(f"SELECT coalesce({column}, 'unknown'), count(*) FROM documents GROUP BY 1 ORDER BY 2 DESC")
    return dict(rows.fetchall())


def totals(db: sqlite3.Connection) -> dict:
    """Counts of the store, with documents by kind and language, duplicates and gone pages."""
    return {
        "documents": _count(db, "SELECT count(*) FROM documents"),
        "chunks": _count(db, "SELECT count(*) FROM chunks"),
        "entities": _count(db, "SELECT count(DISTINCT entity_id) FROM mentions WHERE entity_id IS NOT NULL"),
        "mentions": _count(db, "SELECT count(*) FROM mentions"),
        "dates": _count(db, "SELECT count(*) FROM mentions WHERE label = 'DATE'"),
        "duplicates": _count(db, "SELECT count(*) FROM documents WHERE cluster IS NOT NULL AND cluster != id"),
        "gone": _count(db, "SELECT count(*) FROM documents WHERE gone = 1"),
        "without_text": _count(db, "SELECT count(*) FROM documents WHERE no_text = 1"),
        "by_kind": _documents_by(db, "kind"),
        "by_language": _documents_by(db, "language"),
    }
