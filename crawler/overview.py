"""What each source holds: the registry, the store's counts and the last crawl (`GET /sources`, `ess sources`)."""

from __future__ import annotations

from crawler.registry import RegistryError, load_registry
from crawler.state import CrawlState
from pipeline.config import Settings
from pipeline.store.queries import documents_by_source, skipped_counts
from pipeline.store.reader import StoreReader


def sources_overview(settings: Settings, store: StoreReader | None) -> list[dict]:
    """Every registered or stored source: title, kind, homepage, documents, gone ones, last crawl summary."""
    try:
        registry = {s.name: s for s in load_registry(settings.sources)}
    except RegistryError:
        registry = {}
    counts, skipped = {}, {}
    if store is not None:
        counts, skipped = documents_by_source(store.db), skipped_counts(store.db)
    last = {}
    if settings.crawl_db.exists():
        state = CrawlState.reader(settings.crawl_db)
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
