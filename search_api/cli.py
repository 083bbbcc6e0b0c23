"""The `ess` command: the search API's sub-commands (entity, search, serve, demo), mounted with those of the
crawler and the pipeline. The entry point sits here, in the top layer, which may import every package."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Annotated

import typer

from crawler import cli as crawler_cli
from crawler.cli import load_sources
from pipeline import cli as pipeline_cli
from pipeline.cli import JsonOpt, fail, open_store, setup_logging
from pipeline.config import PROJECT_ROOT, Settings

app = typer.Typer(
    help="ESS press search: crawl, process and search French press about the ESS.",
    no_args_is_help=True,
    add_completion=False,
)


DEMO_DIR = PROJECT_ROOT / "corpus" / "demo"


@app.command()
def entity(name: str, as_json: JsonOpt = False) -> None:
    """What was written about an entity: sources, months, co-occurring entities, documents."""
    from search_api.entity_pages import UnknownEntity, build_entity_page

    store = open_store(Settings())
    try:
        page = build_entity_page(store.db, name)
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


@app.command()
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
    from search_api.deps import Resources
    from search_api.retrieval import Filters, Mode, Retriever, is_publication_date, search_documents
    from search_api.snippets import plain

    settings = Settings()
    if mode not in Mode.__members__:
        fail(f"--mode must be one of {', '.join(Mode.__members__)}, not {mode!r}")
    for name, value in (("--since", since), ("--until", until)):
        if value and not is_publication_date(value):
            fail(f"{name} takes YYYY, YYYY-MM or YYYY-MM-DD (a calendar date), not {value!r}")
    resources = Resources.open(settings)
    try:
        if resources.problem:
            fail(resources.problem)
        store = open_store(settings)
        filters = Filters(sources=source or [], date_from=since, date_to=until, entities=entity or [])
        indexes = resources.index
        retriever = Retriever(store, indexes.vectors, indexes.keywords, resources.embedder, settings)
        result = search_documents(retriever, query, Mode(mode), limit, 0, filters=filters)
        store.close()
    finally:
        resources.close()
    if as_json:
        typer.echo(result.model_dump_json(indent=1))
        return
    typer.echo(f"{result.total} documents" + (f" ({result.hint})" if result.hint else ""))
    for rank, hit in enumerate(result.hits, 1):
        typer.echo(f"{rank:>2}. {hit.title}  [{hit.source}, {hit.published or 'n.d.'}]\n    {hit.url}")
        typer.echo(f"    {plain(hit.snippet)}")


@app.command()
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


@app.command()
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
    from pipeline.schema import VERSION, stored_version

    if not settings.store_db.exists():
        return False
    version = stored_version(settings.store_db)
    return version is not None and version < VERSION


def built_by_another_embedder(settings: Settings) -> bool:
    """A demo index whose vectors another model or engine made (the default engine changed): the demo embeds
    its pages again instead of refusing its own queries."""
    from pipeline.embed import embedder_name
    from pipeline.index import COLLECTION, chroma_client, forget_client, reading_copy

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


# The crawler's commands, then the pipeline's, then this package's, as `ess --help` lists them.
app.registered_commands[:0] = [*crawler_cli.app.registered_commands, *pipeline_cli.app.registered_commands]


if __name__ == "__main__":
    app()
