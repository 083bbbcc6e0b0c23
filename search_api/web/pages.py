"""HTML pages for analysts: search with facets, entity pages with charts, documents, sources.

Every page is rendered on the server from the same queries as the JSON API; the URL holds the whole state.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path as FilePath
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from crawler.overview import sources_overview
from pipeline.entities.curation import Curation
from pipeline.entities.gazetteer import LABELS as ENTITY_TYPES
from pipeline.records import DOCUMENT_KINDS, Filters
from pipeline.store import queries
from search_api.attention import ALL_SOURCES, INTERVALS, MAX_QUERIES, attention, nothing_yet
from search_api.deps import ResourcesDep, RetrieverDep, StoreDep
from search_api.entity_pages import UnknownEntity, build_entity_page
from search_api.retrieval import Mode, also_on, empty_response, is_publication_date, search_documents
from search_api.routers.search import MAX_QUERY_CHARS
from search_api.web.charts import Bar, lines, network, source_bars, timeline
from search_api.web.highlight import highlighted

HERE = FilePath(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(include_in_schema=False)
PAGE_SIZE = 10
MAX_PAGE = 100
MODE_LABELS = {"hybrid": "Hybride", "semantic": "Sémantique", "keyword": "Mots-clés"}


def url_with(path: str, params: dict, **changes) -> str:
    """``path`` with ``params`` (lists repeat) after ``changes``; a None value drops the parameter."""
    merged = {**params, **changes}
    kept = {k: v for k, v in merged.items() if v not in (None, "", [])}
    return path + ("?" + urlencode(kept, doseq=True) if kept else "")


templates.env.globals["url_with"] = url_with
templates.env.filters["pathquote"] = lambda name: quote(name, safe="")


class SearchForm:
    """The search page's state, read from the query string; bad values are dropped with a message."""

    def __init__(self, request: Request):
        query = request.query_params
        self.problems: list[str] = []
        self.q = query.get("q", "").strip()
        if len(self.q) > MAX_QUERY_CHARS:
            self.problems.append(f"La requête dépasse {MAX_QUERY_CHARS} caractères : elle a été coupée.")
            self.q = self.q[:MAX_QUERY_CHARS]
        self.mode = query.get("mode", "hybrid") if query.get("mode") in Mode.__members__ else "hybrid"
        self.sources = [s for s in query.getlist("source") if s.strip()]
        self.entities = [e.strip() for e in query.getlist("entity") if e.strip()]  # the form sends an empty box
        self.kinds = [k for k in query.getlist("kind") if k in DOCUMENT_KINDS]
        self.date_from = self.date(query.get("date_from"), "date de début")
        self.date_to = self.date(query.get("date_to"), "date de fin")
        page = query.get("page", "1")
        self.page = min(int(page), MAX_PAGE) if page.isdigit() and int(page) > 0 else 1

    def date(self, value: str | None, name: str) -> str | None:
        if value and not is_publication_date(value):
            self.problems.append(
                f"La {name} « {value} » n'est pas de la forme AAAA, AAAA-MM ou AAAA-MM-JJ (une date du calendrier)."
            )
            return None
        return value or None

    def params(self) -> dict:
        return {
            "q": self.q,
            "mode": None if self.mode == "hybrid" else self.mode,
            "source": self.sources,
            "entity": self.entities,
            "kind": self.kinds,
            "date_from": self.date_from,
            "date_to": self.date_to,
        }

    def filters(self) -> Filters:
        return Filters(self.sources, self.date_from, self.date_to, self.entities, kinds=self.kinds)


@router.get("/", response_class=HTMLResponse)
def search_page(request: Request, retriever: RetrieverDep, store: StoreDep, resources: ResourcesDep):
    form = SearchForm(request)
    result = None
    if form.q:
        offset = (form.page - 1) * PAGE_SIZE
        if retriever is None:
            result = empty_response(form.q, Mode(form.mode), PAGE_SIZE, offset)
        else:
            result = search_documents(retriever, form.q, Mode(form.mode), PAGE_SIZE, offset, filters=form.filters())
    sources = store.source_names() if store else []
    pages = -(-result.total // PAGE_SIZE) if result else 0
    watched = [w for w in resources.watches().all() if w.page_params() == form.params()] if form.q else []
    context = {
        "form": form,
        "params": form.params(),
        "result": result,
        "sources": sources,
        "modes": MODE_LABELS,
        "kinds": DOCUMENT_KINDS,
        "pages": min(pages, MAX_PAGE),
        "title": form.q or "Recherche",
        "watched": watched[0] if watched else None,
    }
    return templates.TemplateResponse(request, "search.html", context)


@router.get("/coverage", response_class=HTMLResponse)
def coverage_page(request: Request, retriever: RetrieverDep, store: StoreDep):
    """Attention over time for up to three queries: the same counts as /attention, drawn."""
    query = request.query_params
    asked = [q.strip()[:200] for q in query.getlist("q") if q.strip()][:MAX_QUERIES]
    interval = query.get("interval") if query.get("interval") in INTERVALS else "month"
    measure = "documents" if query.get("measure") == "documents" else "share"
    sources = [s for s in query.getlist("source") if s.strip()]
    result = None
    if asked:
        result = (
            attention(retriever.store, retriever.keywords, asked, interval, Filters(sources)) if retriever else None
        )
        result = result or nothing_yet(asked, interval)
    params = {"q": asked, "interval": interval, "source": sources}
    context = {
        "asked": asked + [""] * (MAX_QUERIES - len(asked)),
        "interval": interval,
        "measure": measure,
        "chosen": sources,
        "sources": store.source_names() if store else [],
        "result": result,
        "chart": coverage_chart(result, measure) if result else "",
        "params": params,
        "title": "Couverture" + (" : " + ", ".join(asked) if asked else ""),
    }
    return templates.TemplateResponse(request, "coverage.html", context)


def coverage_chart(result, measure: str) -> str:
    def points(series) -> list:
        if measure == "documents":
            return [series.counts[ALL_SOURCES][p] for p in result.periods]
        return [result.share(series, ALL_SOURCES, p) for p in result.periods]

    unit = "documents" if measure == "documents" else "part"
    return lines(result.periods, [(series.query, points(series)) for series in result.series], unit)


@router.get("/watchlist", response_class=HTMLResponse)
def watchlist_page(request: Request, resources: ResourcesDep):
    watched = resources.watches().all()
    context = {"watches": watched, "title": "Veille", "page_of": lambda w: url_with("/", w.page_params())}
    return templates.TemplateResponse(request, "watchlist.html", context)


@router.get("/entity/{name:path}", response_class=HTMLResponse)
def entity_page(request: Request, name: str, store: StoreDep, resources: ResourcesDep, page: int = 1):
    if store is None:
        return not_found(request, "Rien n'a encore été traité : lancez `ess process`.")
    page = max(1, min(page, 10_000))
    try:
        decided = Curation.load(resources.settings.curation)
        entity = build_entity_page(store.db, name[:200], PAGE_SIZE * 2, (page - 1) * PAGE_SIZE * 2, decided)
    except UnknownEntity as exc:
        return not_found(request, f"Aucune entité « {name[:200]} ».", exc.closest)
    context = {
        "entity": entity,
        "title": entity.name,
        "page": page,
        "pages": -(-entity.documents // (PAGE_SIZE * 2)),
        "sources_chart": source_bars([Bar(s.source, s.mentions) for s in entity.by_source]),
        "timeline_chart": timeline({m.month: m.mentions for m in entity.by_month}),
        "network_chart": neighbourhood_chart(store.db, entity),
    }
    return templates.TemplateResponse(request, "entity.html", context)


def neighbourhood_chart(db, entity) -> str:
    around, links = queries.neighbourhood(db, queries.resolve(db, entity.name)["id"])
    return network((entity.name, entity.type), [(r["name"], r["label"], r["documents"]) for r in around], links)


@router.get("/document/{doc_id}", response_class=HTMLResponse)
def document_page(request: Request, doc_id: str, store: StoreDep):
    row = store.document(doc_id) if store and re.fullmatch(r"[0-9a-f]{16}", doc_id) else None
    if row is None:
        return not_found(request, "Ce document n'existe pas (ou plus).")
    mentions = store.mentions(doc_id)
    duplicates = also_on(row, store.cluster_members([row["cluster"] or doc_id]))
    context = {
        "doc": row,
        "title": row["title"] or row["url"],
        "tags": json.loads(row["tags"]) if row["tags"] else [],
        "text": highlighted(row["text"], mentions),
        "named": entities_by_type(mentions),
        "dates": sum(1 for m in mentions if m["label"] == "DATE"),
        "duplicates": duplicates,
    }
    return templates.TemplateResponse(request, "document.html", context)


def entities_by_type(mentions: list) -> dict[str, list[tuple[str, int]]]:
    """Per type (ORG, LOC, PER, MISC), the document's entities, most mentioned first."""
    counts = Counter((m["label"], m["entity"]) for m in mentions if m["entity"])
    by_type: dict[str, list[tuple[str, int]]] = {}
    for (label, name), n in counts.most_common():
        by_type.setdefault(label, []).append((name, n))
    return {label: by_type[label] for label in ENTITY_TYPES if label in by_type}


@router.get("/corpus", response_class=HTMLResponse)
def sources_page(request: Request, resources: ResourcesDep, store: StoreDep):
    overview = sources_overview(resources.settings, store)
    return templates.TemplateResponse(request, "sources.html", {"sources": overview, "title": "Sources"})


def not_found(request: Request, message: str, closest: list[str] | None = None) -> HTMLResponse:
    context = {"message": message, "closest": closest or [], "title": "Introuvable"}
    return templates.TemplateResponse(request, "not_found.html", context, status_code=404)


def problem_page(request: Request, title: str, message: str, status: int) -> HTMLResponse:
    context = {"message": message, "title": title}
    return templates.TemplateResponse(request, "problem.html", context, status_code=status)
