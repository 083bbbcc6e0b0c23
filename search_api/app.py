"""The FastAPI application: ``create_app()`` opens the store, the index and the query embedder once."""

from __future__ import annotations

from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from pipeline.config import Settings
from pipeline.index.vectors import IndexUnavailable
from search_api.deps import Resources
from search_api.routers import attention, documents, entities, graph, health, search, sources, stats, watches
from search_api.schemas import ErrorOut
from search_api.timing import server_timing
from search_api.web import pages
from search_api.web.pages import HERE as WEB_DIR

UNAVAILABLE = {503: {"model": ErrorOut, "description": "The store or the index cannot serve; the detail says why."}}

# Pages show crawled text: no inline script or style may run, whatever a page smuggles in.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Requests run in anyio's thread pool (40 threads by default): on a few cores more threads only add
        # memory, each holding its own buffers while it waits for a core.
        to_thread.current_default_thread_limiter().total_tokens = settings.api_threads
        app.state.resources = Resources.open(settings)
        yield
        app.state.resources.close()

    app = FastAPI(
        title="ESS press search",
        description="Search French press and reports about the économie sociale et solidaire.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.add_exception_handler(RequestValidationError, invalid_parameters)
    app.add_exception_handler(IndexUnavailable, index_unavailable)
    routers = (search, documents, entities, graph, sources, stats, health, watches, attention)
    for router in (module.router for module in routers):
        app.include_router(router, responses=UNAVAILABLE)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    app.middleware("http")(security_headers)
    app.middleware("http")(server_timing)
    return app


async def security_headers(request: Request, call_next):
    response = await call_next(request)
    if request.url.path not in ("/docs", "/redoc"):  # FastAPI's own API explorer loads its script from a CDN
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


PATTERN_MESSAGES = {  # what a parameter's pattern means, said instead of the pattern itself
    "date_from": "not a calendar date of the form YYYY, YYYY-MM or YYYY-MM-DD",
    "date_to": "not a calendar date of the form YYYY, YYYY-MM or YYYY-MM-DD",
}


def error_sentence(error: dict) -> str:
    name = ".".join(str(part) for part in error["loc"][1:])
    if error["type"] == "string_pattern_mismatch" and name in PATTERN_MESSAGES:
        return f"{name}: {PATTERN_MESSAGES[name]}"
    return f"{name}: {error['msg']}"


async def invalid_parameters(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 with one sentence per bad parameter ("q: String should have at most 1000 characters")."""
    errors = exc.errors()
    message = "; ".join(map(error_sentence, errors))
    return JSONResponse(status_code=422, content={"message": message, "detail": jsonable_encoder(errors)})


async def index_unavailable(request: Request, exc: IndexUnavailable) -> JSONResponse:
    return JSONResponse(status_code=503, content={"detail": str(exc)})
