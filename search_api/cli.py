"""The `ess` command: the search API's sub-commands (entity, search, serve, demo), mounted with those of the
crawler and the pipeline. The entry point sits here, in the top layer, which may import every package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crawler import cli as crawler_cli
from crawler.cli import load_sources
from pipeline import cli as pipeline_cli
from pipeline.cli import JsonOpt, fail, open_store, setup_logging
from pipeline.config import PROJECT_ROOT, Settings

if TYPE_CHECKING:
    from search_api.retrieval import Retriever

commands = typer.Typer(add_completion=False)  # this package's; `app`, at the end, composes them with the others


DEMO_DIR = PROJECT_ROOT / "corpus" / "demo"


entity_app = typer.Typer(
    help="Entities: one across sources and time, and the analysts' decisions about them.", no_args_is_help=True
)
commands.add_typer(entity_app, name="entity")


@entity_app.command("show")
def entity_show(name: str, as_json: JsonOpt = False) -> None:
    """What was written about an entity: sources, months, co-occurring entities, documents."""
    from pipeline.entities.curation import Curation
    from search_api.entity_pages import UnknownEntity, build_entity_page

    store = open_store(Settings())
    try:
        page = build_entity_page(store.db, name, curation=Curation.load(Settings().curation))
    except UnknownEntity as exc:
        fail(f"{exc}" + (f"; closest: {', '.join(exc.closest)}" if exc.closest else ""))
    finally:
        store.close()
    if as_json:
        typer.echo(page.model_dump_json(indent=1))
        return
    typer.echo(f"{page.name} ({page.type}): {page.mentions} mentions in {page.documents} documents")
    typer.echo("sources: " + ", ".join(f"{s.source} {s.documents}" for s in page.by_source))
    typer.echo("with: " + ", ".join(f"{c.name} {c.documents}" for c in page.cooccurring[:10]))
    for doc in page.document_list:
        typer.echo(f"  {doc.published or 'n.d.':<10} {doc.source:<22} {doc.title}")


@entity_app.command("merge")
def entity_merge(
    kept: Annotated[str, typer.Argument(help="The entity kept.")],
    merged: Annotated[str, typer.Argument(help="The entity whose mentions become the kept one's.")],
) -> None:
    """Merge two entities: MERGED's mentions become KEPT's, its names KEPT's aliases."""
    decide("merge", kept, merged)


@entity_app.command("alias")
def entity_alias(name: str, alias: str) -> None:
    """Give an entity another name: mentions of ALIAS are NAME's (an entity of that name is merged into it)."""
    decide("alias", name, alias)


@entity_app.command("reject")
def entity_reject(name: str) -> None:
    """A false positive: its mentions are dropped, now and in every later run."""
    decide("reject", name, None)


@entity_app.command("retype")
def entity_retype(name: str, type: Annotated[str, typer.Argument(help="ORG, PER, LOC or MISC.")]) -> None:  # noqa: A002
    """Change an entity's type (its mentions' labels follow)."""
    decide("retype", name, type)


def decide(action: str, name: str, other: str | None) -> None:
    """Record a decision in the curation file and apply every decision to the store, holding the data lock."""
    from pipeline.entities import curation
    from pipeline.locks import Busy, data_lock
    from pipeline.store.curation import apply_curation
    from pipeline.store.writer import Store

    settings = Settings()
    if not settings.store_db.exists():
        fail("nothing processed yet: run `ess process` first")
    try:
        with data_lock(settings.data_dir, f"entity {action}"):
            store = Store(settings.store_db)
            try:
                names = [name, other] if action == "merge" else [name]
                found = [known(store.db, n) for n in names]
                decision = curation.Decision(action, found[0], found[1] if action == "merge" else other)
                taken = curation.record(settings.curation, decision)
                started = time.perf_counter()
                changed = apply_curation(store.db, curation.Curation.load(settings.curation))
                seconds = time.perf_counter() - started
            finally:
                store.close()
    except (Busy, curation.CurationError) as exc:
        fail(str(exc))
    typer.echo(
        f"{taken.action} {taken.name!r}{f' {taken.other!r}' if taken.other else ''}: "
        f"{changed[action]} mention rows changed in {seconds:.2f} s; recorded in {settings.curation}"
    )


def known(db, name: str) -> str:
    """The canonical name of the entity ``name`` designates; fails with the closest names otherwise."""
    from pipeline.store import queries

    entity = queries.resolve(db, name)
    if entity is None:
        closest = queries.closest_names(db, name)
        fail(f"no entity named {name!r}" + (f"; closest: {', '.join(closest)}" if closest else ""))
    return entity["name"]


@commands.command()
def search(
    query: str,
    mode: Annotated[str, typer.Option(help="hybrid, semantic or keyword.")] = "hybrid",
    source: Annotated[list[str] | None, typer.Option(help="Only this source (repeatable).")] = None,
    entity: Annotated[list[str] | None, typer.Option(help="Documents naming this entity (repeatable: all).")] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after YYYY[-MM[-DD]].")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before YYYY[-MM[-DD]].")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Search the processed documents from the command line, with the API's filters."""
    from pipeline.records import Filters
    from search_api.retrieval import Mode, is_publication_date, search_documents
    from search_api.snippets import plain

    settings = Settings()
    if mode not in Mode.__members__:
        fail(f"--mode must be one of {', '.join(Mode.__members__)}, not {mode!r}")
    for name, value in (("--since", since), ("--until", until)):
        if value and not is_publication_date(value):
            fail(f"{name} takes YYYY, YYYY-MM or YYYY-MM-DD (a calendar date), not {value!r}")
    with opened_retriever(settings) as retriever:
        filters = Filters(sources=source or [], date_from=since, date_to=until, entities=entity or [])
        result = search_documents(retriever, query, Mode(mode), limit, 0, filters=filters)
    if as_json:
        typer.echo(result.model_dump_json(indent=1))
        return
    typer.echo(f"{result.total} documents" + (f" ({result.hint})" if result.hint else ""))
    for rank, hit in enumerate(result.hits, 1):
        typer.echo(f"{rank:>2}. {hit.title}  [{hit.source}, {hit.published or 'n.d.'}]\n    {hit.url}")
        typer.echo(f"    {plain(hit.snippet)}")


@contextmanager
def opened_retriever(settings: Settings) -> Iterator[Retriever]:
    """The API's retriever over the processed store and index, for one command."""
    from search_api.deps import Resources
    from search_api.retrieval import Retriever

    resources = Resources.open(settings)
    try:
        if resources.indexes.problem:
            fail(resources.indexes.problem)
        store = open_store(settings)
        indexes = resources.indexes.index
        try:
            yield Retriever(store, indexes.vectors, indexes.keywords, resources.embedder, settings)
        finally:
            store.close()
    finally:
        resources.close()


watch_app = typer.Typer(help="Watched searches: keep a search, follow what arrives (feeds, digests).")
commands.add_typer(watch_app, name="watch")


@watch_app.command("add")
def watch_add(
    name: str,
    query: str,
    mode: Annotated[str, typer.Option(help="hybrid, semantic or keyword.")] = "hybrid",
    source: Annotated[list[str] | None, typer.Option(help="Only this source (repeatable).")] = None,
    entity: Annotated[list[str] | None, typer.Option(help="Documents naming this entity (repeatable: all).")] = None,
    kind: Annotated[list[str] | None, typer.Option(help="Only this kind: html, pdf, text (repeatable).")] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after YYYY[-MM[-DD]].")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before YYYY[-MM[-DD]].")] = None,
) -> None:
    """Watch a search under a name: the API serves its Atom feed, `ess watch report` its digest."""
    from pydantic import ValidationError

    from search_api.routers.watches import sentences
    from search_api.watches import WatchExists, WatchIn, WatchStore

    fields = {"name": name, "q": query, "mode": mode, "source": source or [], "entity": entity or []}
    fields |= {"kind": kind or [], "date_from": since, "date_to": until}
    try:
        watched = WatchStore(Settings().watches_db).add(WatchIn.model_validate(fields))
    except ValidationError as exc:
        fail(sentences(exc))
    except WatchExists as exc:
        fail(str(exc))
    typer.echo(f"watching {watched.name!r} (id {watched.id}); feed: /watches/{watched.id}/feed.atom")


@watch_app.command("list")
def watch_list(as_json: JsonOpt = False) -> None:
    """The watched searches."""
    from search_api.watches import WatchStore

    watched = WatchStore(Settings().watches_db).all()
    if as_json:
        rows = [{"id": w.id, "created_at": w.created_at, **w.search.model_dump(mode="json")} for w in watched]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for w in watched:
        typer.echo(f"{w.id:>4}  {w.name:<30} {w.search.mode.value:<8} {w.search.q}")


@watch_app.command("remove")
def watch_remove(name: Annotated[str, typer.Argument(help="The watch's name or id.")]) -> None:
    """Stop watching a search."""
    from search_api.watches import WatchStore

    removed = WatchStore(Settings().watches_db).remove(name)
    if removed is None:
        fail(f"no watch named {name!r}")
    typer.echo(f"no longer watching {removed.name!r}")


@watch_app.command("report")
def watch_report(
    since: Annotated[
        str | None, typer.Option(help="Arrived at or after this UTC date or time (default: a week ago).")
    ] = None,
    form: Annotated[str, typer.Option("--format", help="md or html.")] = "md",
    output: Annotated[Path | None, typer.Option(help="Default: digests/ in the data directory.")] = None,
) -> None:
    """Write a digest: per watched search, the documents that arrived since a time."""
    from search_api.digest import FORMATS

    if form not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, not {form!r}")
    settings = Settings()
    start = utc_time(since) if since else utc_now(days_ago=7)
    found = watch_arrivals(settings, start)
    path = output or settings.data_dir / "digests" / f"digest-{utc_now().replace(':', '')}.{form}"
    write_digest(found, start, form, path)
    typer.echo(f"{sum(len(a) for _, a in found)} new documents for {len(found)} watches since {start}: {path}")


def watch_arrivals(settings: Settings, since: str) -> list:
    """Per watch, what arrived since ``since``: [(watch, arrivals)]."""
    from search_api.watches import WatchStore, arrivals

    watched = WatchStore(settings.watches_db).all()
    if not watched:
        return []
    with opened_retriever(settings) as retriever:
        return [(w, arrivals(retriever, w, since)) for w in watched]


def write_digest(found: list, since: str, form: str, path: Path) -> None:
    from search_api.digest import render

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(found, since, form), encoding="utf-8")


def utc_now(days_ago: int = 0) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_time(value: str) -> str:
    """An ISO date or time as the store's first_seen writes them (UTC, to the second)."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        fail(f"--since takes an ISO date or time (2026-11-30, 2026-11-30T08:00Z), not {value!r}")
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@commands.command()
def recrawl(
    source: crawler_cli.SourceOpt = None,
    then_process: Annotated[bool, typer.Option("--process", help="Then process, under the same lock.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Revisit known pages with conditional requests; look for new ones in feeds, sitemaps and changed pages.
    With --process, end with what each watched search matches among the documents this run brought."""
    started = utc_now()
    crawler_cli.run_crawl_command("recrawl", source, None, then_process, as_json)
    if then_process and not as_json:
        for watched, found in watch_arrivals(Settings(), started):
            typer.echo(f"\n{watched.name}: {len(found)} new")
            for arrival in found:
                typer.echo(f"  {arrival.published or 'n.d.':<10} {arrival.source:<22} {arrival.title or arrival.url}")


@commands.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default: ESS_API_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Default: ESS_API_PORT.")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes. Default: ESS_API_WORKERS.")] = None,
) -> None:
    """Serve the search API (read-only) with uvicorn."""
    import uvicorn

    from search_api.app import create_app

    settings = Settings()
    address = {"host": host or settings.api_host, "port": port or settings.api_port}
    count = workers or settings.api_workers
    if count == 1:
        uvicorn.run(create_app(settings), **address)
    else:  # each worker builds its app from the same environment
        uvicorn.run("search_api.app:create_app", factory=True, workers=count, **address)


def demo_settings() -> Settings:
    base = Settings()
    data_dir = base.data_dir / "demo"
    return base.model_copy(update={"data_dir": data_dir, "sources": DEMO_DIR / "sources.toml", "crawl_delay": 0.05})


def demo_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "ESS_DATA_DIR": str(settings.data_dir),
        "ESS_SOURCES": str(settings.sources),
        "ESS_CRAWL_DELAY": str(settings.crawl_delay),
    }


@commands.command()
def demo(
    port: Annotated[int | None, typer.Option(help="API port. Default: ESS_API_PORT.")] = None,
    recrawl: Annotated[bool, typer.Option(help="Crawl again even if the demo was crawled before.")] = False,
) -> None:
    """Serve the bundled demo sites, crawl them, process them and serve the API; Ctrl-C stops all."""
    import uvicorn

    from crawler.registry import host_and_port
    from crawler.sitehost import SiteHost
    from search_api.app import create_app

    setup_logging(False)
    settings = demo_settings()
    demo_sources = load_sources(settings)
    sites = [(DEMO_DIR / s.name, host_and_port(s.homepage)[1]) for s in demo_sources]
    typer.echo("Preparing the embedding model (the first run converts and quantises it, about a minute)…")
    run_step(settings, "model")
    host = SiteHost(sites)
    try:
        host.start()
    except OSError as exc:
        fail(f"cannot serve the demo sites on ports {[p for _, p in sites]}: {exc}")
    with host:
        if recrawl or not settings.crawl_db.exists():
            typer.echo(f"Crawling {len(sites)} demo sites: {', '.join(host.urls())}")
            run_step(settings, "crawl")
        typer.echo("Processing (extraction, entities, embeddings, index)…")
        rebuild = older_schema(settings) or built_by_another_embedder(settings)
        run_step(settings, "process", *(["--rebuild"] if rebuild else []))
        api_port = port or settings.api_port
        base = f"http://{settings.api_host}:{api_port}"
        typer.secho(
            f"\nDemo sites: {' '.join(host.urls())}\nAnalysts' page: {base}/\n"
            f"API: {base}/docs   health: {base}/health\n"
            f"Try: curl '{base}/search?q=coop%C3%A9rer+entre+acteurs+d+un+territoire+pour+cr%C3%A9er"
            f"+des+emplois&limit=3'\nCtrl-C stops everything.",
            fg=typer.colors.GREEN,
        )
        uvicorn.run(create_app(settings), host=settings.api_host, port=api_port, log_level="warning")


def older_schema(settings: Settings) -> bool:
    """A demo store written by an older version: the demo re-derives it from its archive, so that it shows
    what this version makes of the pages (an upgraded store keeps the documents it had)."""
    from pipeline.store.schema import VERSION, stored_version

    if not settings.store_db.exists():
        return False
    version = stored_version(settings.store_db)
    return version is not None and version < VERSION


def built_by_another_embedder(settings: Settings) -> bool:
    """A demo index whose vectors another model or engine made (the default engine changed): the demo embeds
    its pages again instead of refusing its own queries."""
    from pipeline.embed.embedder import embedder_name
    from pipeline.index.copies import reading_copy
    from pipeline.index.vectors import COLLECTION, chroma_client, forget_client

    if settings.chroma_host or not settings.chroma_dir.is_dir():
        return False
    with reading_copy(settings) as copy:
        try:
            collection = chroma_client(settings, copy.chroma).get_collection(COLLECTION)
            recorded = (collection.metadata or {}).get("embedding_model")
        except Exception:  # noqa: BLE001 - no collection yet: nothing to embed again
            recorded = None
        finally:
            forget_client(copy.chroma)
    return recorded is not None and recorded != embedder_name(settings)


def run_step(settings: Settings, command: str, *args: str) -> None:
    """One demo step as a child process (Scrapy's reactor cannot restart inside the API's process)."""
    done = subprocess.run([sys.executable, "-m", "search_api.cli", command, *args], env=demo_env(settings))
    if done.returncode != 0:
        fail(f"demo step `ess {command}` failed (exit {done.returncode})")


# The `ess` command: the crawler's commands (sources, crawl), then the pipeline's, then this package's, as `ess
# --help` lists them; recrawl is this package's, as it ends with the watched searches' news.
app = typer.Typer(
    help="ESS press search: crawl, process and search French press about the ESS.",
    no_args_is_help=True,
    add_completion=False,
)
for package_commands in (crawler_cli.app, pipeline_cli.app, commands):
    app.add_typer(package_commands)


if __name__ == "__main__":
    app()
