"""`ess` sub-commands of the crawler's work: sources, crawl; and the crawl runner `ess recrawl` uses."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from pipeline.cli import JsonOpt, fail, open_store
from pipeline.config import Settings

app = typer.Typer(add_completion=False)


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
    from crawler.overview import sources_overview

    settings = Settings()
    load_sources(settings)  # a clear error for a broken registry
    store = open_store(settings) if settings.store_db.exists() else None
    rows = sources_overview(settings, store)
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
    from crawler.commands import CrawlFailed, crawl_sources, summary_table
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
