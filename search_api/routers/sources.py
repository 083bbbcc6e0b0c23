"""GET /sources: per source, documents and the last crawl's summary."""

from fastapi import APIRouter

from crawler.overview import sources_overview
from search_api.deps import ResourcesDep, StoreDep
from search_api.schemas import SourceInfo

router = APIRouter(prefix="/sources", tags=["sources"])


@router.get("", response_model=list[SourceInfo], summary="Sources with their documents and last crawl")
def list_sources(resources: ResourcesDep, store: StoreDep) -> list[SourceInfo]:
    overview = sources_overview(resources.settings, store)
    return [SourceInfo(**source) for source in overview]
