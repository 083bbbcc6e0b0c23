"""The FastAPI application: ``create_app()`` opens the store, the index and the query embedder once."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from pipeline.config import Settings
from search_api.deps import Resources
from search_api.routers import documents, entities, health, search, sources, stats


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.resources = Resources.open(settings)
        yield

    app = FastAPI(
        title="ESS press search",
        description="Search French press and reports about the économie sociale et solidaire.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.include_router(search.router)
    app.include_router(documents.router)
    app.include_router(entities.router)
    app.include_router(sources.router)
    app.include_router(stats.router)
    app.include_router(health.router)
    return app
