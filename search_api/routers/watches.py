"""/watches: watched searches (list, add, remove) and the Atom feed of each.

Adding and removing write the analysts' watch database, never the store. A browser may only do it from this
site's own pages: a request whose ``Sec-Fetch-Site`` or ``Origin`` says another site is refused (403), so a
page elsewhere cannot make an analyst's browser add or remove watches.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field, ValidationError

from search_api import atom
from search_api.deps import ResourcesDep, RetrieverDep
from search_api.schemas import ErrorOut
from search_api.watches import Watch, WatchExists, WatchIn, arrivals
from search_api.web.pages import problem_page, url_with

router = APIRouter(prefix="/watches", tags=["watches"])
FEED_DAYS = 90  # a feed holds what arrived in this many days (a reader polls far more often)
LIST_FIELDS = ("source", "entity", "kind", "lang")
WatchId = Annotated[int, Path(ge=1, le=2**62)]


class WatchOut(BaseModel):
    id: int
    created_at: str = Field(description="UTC, ISO 8601.")
    search: WatchIn
    feed: str = Field(description="Path of the watch's Atom feed.")


def out(watched: Watch) -> WatchOut:
    return WatchOut(id=watched.id, created_at=watched.created_at, search=watched.search, feed=feed_path(watched))


def feed_path(watched: Watch) -> str:
    return f"/watches/{watched.id}/feed.atom"


def same_origin(request: Request) -> None:
    """Refuse a write that a browser sends from another site."""
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    if (site is not None and site not in ("same-origin", "none")) or (origin is not None and origin != own):
        raise HTTPException(status_code=403, detail="watches are changed only from this site's own pages")


SameOrigin = Depends(same_origin)


@router.get("", response_model=list[WatchOut], summary="Watched searches")
def list_watches(resources: ResourcesDep) -> list[WatchOut]:
    return [out(w) for w in resources.watches().all()]


WATCH_IN = {"$ref": "#/components/schemas/WatchIn"}
AS_PAGE = {"text/html": {}}  # to the page's form, a page saying what went wrong
REFUSED = {
    403: {"model": ErrorOut, "description": "Sent by a browser from another site."},
    409: {"model": ErrorOut, "content": AS_PAGE, "description": "A watch has this name."},
    422: {"model": ErrorOut, "content": AS_PAGE, "description": "A field is missing or wrong; the detail names each."},
}


@router.post(
    "",
    status_code=201,
    response_model=WatchOut,
    dependencies=[SameOrigin],
    responses={303: {"description": "From the page's form: to the list of watches."}, **REFUSED},
    # The page's form posts the same fields url-encoded (repeated for lists); the schema names JSON only,
    # which can say "no date" where a form field cannot.
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": WATCH_IN}}}},
    summary="Watch a search (JSON, or the page's form)",
)
async def add_watch(request: Request, resources: ResourcesDep) -> WatchOut | Response:
    from_form = request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
    fields = form_fields(await request.form()) if from_form else await json_body(request)
    try:
        watched = resources.watches().add(WatchIn.model_validate(fields))
    except (ValidationError, WatchExists) as exc:
        status, message = (422, sentences(exc)) if isinstance(exc, ValidationError) else (409, str(exc))
        if from_form:
            return problem_page(request, "Recherche non suivie", message, status)
        raise HTTPException(status_code=status, detail=message) from None
    if from_form:
        return RedirectResponse(f"/watchlist#watch-{watched.id}", status_code=303)
    return out(watched)


def form_fields(form) -> dict:
    """The form's fields, repeated ones as lists; empty boxes dropped."""
    fields = {key: [v for v in form.getlist(key) if v.strip()] for key in LIST_FIELDS if key in form}
    return fields | {key: value for key, value in form.items() if key not in LIST_FIELDS}


async def json_body(request: Request) -> dict:
    try:
        body = await request.json()
    except ValueError:
        raise HTTPException(status_code=422, detail="the body is neither JSON nor a form") from None
    if not isinstance(body, dict):
        raise HTTPException(status_code=422, detail="the body must be a JSON object")
    return body


def sentences(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in error.errors())


@router.post(
    "/{watch_id}/delete",
    dependencies=[SameOrigin],
    status_code=303,
    response_class=RedirectResponse,
    responses={403: REFUSED[403]},
    summary="Stop watching (the page's form): to the list of watches",
)
def remove_watch_form(watch_id: WatchId, resources: ResourcesDep) -> RedirectResponse:
    resources.watches().remove(watch_id)
    return RedirectResponse("/watchlist", status_code=303)


@router.delete(
    "/{watch_id}",
    dependencies=[SameOrigin],
    status_code=204,
    responses={403: REFUSED[403], 404: {"model": ErrorOut, "description": "No such watch."}},
    summary="Stop watching",
)
def remove_watch(watch_id: WatchId, resources: ResourcesDep) -> Response:
    if resources.watches().remove(watch_id) is None:
        raise HTTPException(status_code=404, detail=f"no watch {watch_id}")
    return Response(status_code=204)


@router.get(
    "/{watch_id}/feed.atom",
    response_class=Response,
    responses={
        200: {"content": {"application/atom+xml": {}}, "description": "Atom 1.0 (RFC 4287)."},
        404: {"model": ErrorOut, "description": "No such watch."},
    },
    summary="The newest documents a watched search matches",
)
def watch_feed(watch_id: WatchId, request: Request, resources: ResourcesDep, retriever: RetrieverDep) -> Response:
    watched = resources.watches().get(watch_id)
    if watched is None:
        raise HTTPException(status_code=404, detail=f"no watch {watch_id}")
    since = (datetime.now(UTC) - timedelta(days=FEED_DAYS)).strftime("%Y-%m-%dT%H:%M:%SZ")
    entries = arrivals(retriever, watched, since) if retriever else []
    base = str(request.base_url).rstrip("/")
    page = base + url_with("/", watched.page_params())
    body = atom.feed(watched, entries, f"{base}{feed_path(watched)}", page, base)
    return Response(body, media_type=atom.MEDIA_TYPE)
