"""Incremental processing: new or changed archived pages become documents, entities, chunks and vectors.

``Processor`` is the one writer of the store and the indexes: it finds what changed, has each batch made ready
(``pipeline.processing.batch``, on this thread, then embedded on another), puts documents in their duplicate clusters
and writes batches one at a time, in order.

Ids are deterministic (document id from the URL, chunk id = document id + index) and a document is
written to the index before the store records its content hash, so a killed run resumes where it
stopped and re-running never duplicates anything.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import astuple, dataclass, field

from pipeline.archive.listings import site_listings
from pipeline.archive.warc_reader import RawPage, latest_records
from pipeline.config import Settings
from pipeline.embed.embedder import Embedder, get_embedder
from pipeline.entities.curation import Curation
from pipeline.entities.gazetteer import load_gazetteer
from pipeline.extract.article_rule import RULE_VERSION, Thresholds
from pipeline.index.keywords import KeywordIndex
from pipeline.index.vectors import DocumentVectors, VectorIndex
from pipeline.locks import data_lock
from pipeline.processing.batch import Batch, BatchMaker, chunk_metadata, document_id
from pipeline.processing.duplicates import DuplicateFinder, to_blob
from pipeline.records import Document, Skip
from pipeline.store.curation import apply_curation
from pipeline.store.writer import Store

log = logging.getLogger(__name__)
GONE_UNPROCESSED = "gone before it was processed"


@dataclass
class RunReport:
    counts: Counter = field(default_factory=Counter)

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] += n


class Processor:
    def __init__(self, settings: Settings, embedder: Embedder | None):
        """Without an ``embedder``, batches are made by `ess worker` processes (``pipeline.processing.workers``), not
        here: this process then loads no model, and opens the vector index with the embedder the workers name."""
        self.settings, self.distributed = settings, embedder is None
        self.maker = BatchMaker(settings, embedder) if embedder else None
        self.curation = Curation.load(settings.curation)
        self.store = Store(settings.store_db, curation=self.curation)
        self.store.sync_gazetteer(load_gazetteer(settings.gazetteer))
        self.index = VectorIndex(settings, embedder.name, embedder.dim, create=True) if embedder else None
        self.keywords = KeywordIndex(settings)
        self.duplicates = DuplicateFinder(self.store.signatures())
        self.report = RunReport()
        # the rule and thresholds that judged a skip: pages skipped under others are judged again
        self.rule = "/".join(str(v) for v in (RULE_VERSION, *astuple(Thresholds.from_settings(settings))))
        self.listed: dict[str, str] = {}  # canonical URL -> how the site's feeds and sitemaps list it
        self.included: set[str] = set()
        for change, n in sync_keywords(self.store, self.keywords).items():
            if n:
                self.report.count(f"keyword index repaired: chunks {change}", n)

    def pending(self, pages: list[RawPage]) -> list[RawPage]:
        """The pages whose archived body is neither a stored document's nor judged before under this rule."""
        documents, skips = self.store.raw_hashes(), self.store.skip_records()
        todo = []
        for page in pages:
            page_id = document_id(page.key)
            if documents.get(page_id) == page.raw_hash:
                self.report.count("unchanged")
            elif skips.get(page_id) == (page.raw_hash, self.rule):
                self.report.count("unchanged, skipped before")
            else:
                todo.append(page)
        return todo

    def run(self) -> RunReport:
        """Process what changed; the report counts what happened, and the seconds and CPU seconds (every thread of
        this process) it took, models loaded."""
        started, cpu_started = time.perf_counter(), time.process_time()
        records = latest_records(self.settings.raw_dir)
        todo = self.pending([r for r in records.values() if r.role == "page"])
        if todo:
            self.listed = site_listings(self.settings.raw_dir, records.values())
            self.included = self.store.included_ids()
        for page in [p for p in todo if p.gone]:
            if self.store.mark_gone(document_id(page.key), page.raw_hash):
                self.report.count("gone")
            else:
                self.skip(page, GONE_UNPROCESSED, None)
        todo = [p for p in todo if not p.gone]
        size = self.settings.batch_documents
        batches = [todo[start : start + size] for start in range(0, len(todo), size)]
        if self.distributed:
            self.process_distributed(batches)
        else:
            self.process_overlapped(batches)
        self.store.name_entities()
        apply_curation(self.store.db, self.curation)  # the gazetteer's names and types were written again
        self.store.close()
        self.report.counts["seconds processing"] = round(time.perf_counter() - started, 2)
        self.report.counts["cpu seconds processing"] = round(time.process_time() - cpu_started, 2)
        return self.report

    def process_overlapped(self, batches: list[list[RawPage]]) -> None:
        """Each batch prepared (extraction, NLP) on this thread while the one before is embedded on another;
        batches are written one at a time, in order, on this thread, so a kill leaves what it always left."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed") as embedding:
            embedded: Future | None = None  # of (the batch with its vectors, its documents' signatures)
            for pages in batches:
                batch = self.maker.prepare(pages, self.listed, self.included)
                signatures = self.absorb(batch)
                if embedded:
                    self.write(*embedded.result())
                embedded = embedding.submit(self.embedded, batch, signatures) if signatures is not None else None
            if embedded:
                self.write(*embedded.result())

    def embedded(self, batch: Batch, signatures: list[bytes | None]) -> tuple[Batch, list[bytes | None]]:
        return self.maker.embed(batch), signatures

    def skip(self, page: RawPage, reason: str, words: int | None) -> None:
        """Count the skip and remember it, so that the same body is not extracted again."""
        self.report.count(f"skipped: {reason}")
        log.info("skipped %s: %s", page.url, reason)
        self.store.record_skip(
            Skip(document_id(page.key), page.url, page.source, page.raw_hash, reason, words, self.rule)
        )

    def cluster(self, doc: Document) -> bytes | None:
        """Put the document in its duplicate cluster; return its MinHash signature to store."""
        if doc.no_text:
            doc.cluster = doc.id
            return None
        doc.cluster, doc.text_hash, signature = self.duplicates.assign(doc.id, doc.text)
        if doc.cluster != doc.id:
            self.report.count("duplicates found")
        return to_blob(signature)

    def process_distributed(self, batches: list[list[RawPage]]) -> None:
        """Batches made by the workers, received and written one at a time, in the order they were sent."""
        from pipeline.processing.workers import Dispatcher

        for batch in Dispatcher(self.settings, self.listed, self.included).results(batches):
            signatures = self.absorb(batch)
            if signatures is not None:
                self.write(batch, signatures)
                self.report.count("batches made by workers")

    def absorb(self, batch: Batch) -> list[bytes | None] | None:
        """What a made batch skipped recorded, its counts added, its documents put in their duplicate clusters
        (the one state batches share, kept here): their MinHash signatures, to store with them; None when it
        holds no document."""
        self.report.counts.update(batch.counts)
        for skipped in batch.skipped:
            self.skip(skipped.page, skipped.reason, skipped.words)
        if not batch.docs:
            return None
        return [self.cluster(doc) for doc in batch.docs]

    def vector_index(self, batch: Batch) -> VectorIndex:
        """The vector index; opened on the first batch made by a worker, for the embedder the worker names (the
        index refuses it if it was built by another)."""
        if self.index is None:
            self.index = VectorIndex(self.settings, batch.embedded_by, batch.vectors.shape[1], create=True)
        return self.index

    def write(self, batch: Batch, signatures: list[bytes | None]) -> None:
        """A batch's vectors, then each document's store transaction (with its ``signatures``), then its keyword
        rows."""
        vectors = batch.vectors
        bounds = list(itertools.accumulate((len(c) for c in batch.chunks), initial=0))
        # Vectors first, then each document's store transaction: a crash in between leaves the documents
        # unrecorded in the store, so the next run processes them again and replaces their vectors.
        self.vector_index(batch).replace_documents(
            [
                DocumentVectors(doc.id, [c.id for c in cs], vectors[a:b], [chunk_metadata(doc, c) for c in cs])
                for doc, cs, (a, b) in zip(batch.docs, batch.chunks, itertools.pairwise(bounds), strict=True)
            ]
        )
        log.info("indexed %d documents", len(batch.docs))
        rows = zip(batch.docs, batch.chunks, batch.mentions, signatures, strict=True)
        for doc, doc_chunks, doc_mentions, signature in rows:
            self.store.save_document(doc, doc_chunks, doc_mentions, signature)
            log.info("stored %s", doc.id)
            self.report.count("processed")
            self.report.count("chunks", len(doc_chunks))
        # Then their keyword rows, read back from the store with its rowids; a crash before this commit leaves
        # chunks the keyword index lacks, which the next run's ``sync_keywords`` adds.
        doc_ids = [doc.id for doc in batch.docs]
        self.keywords.replace_documents(doc_ids, self.store.keyword_rows(doc_ids=doc_ids))
        log.info("keyword rows of %d documents", len(batch.docs))


def process(settings: Settings, rebuild: bool = False, distributed: bool = False) -> RunReport:
    """Process what changed; ``rebuild`` re-derives the store and the vector index from the raw archive;
    ``distributed`` has `ess worker` processes make the batches."""
    with data_lock(settings.data_dir, "process"):
        return process_locked(settings, rebuild, distributed)


def process_locked(settings: Settings, rebuild: bool = False, distributed: bool = False) -> RunReport:
    """``process`` for a caller that already holds the data-directory lock. A rebuild keeps when each document
    was first seen (what watched searches call new), not the time of the rebuild."""
    if rebuild:
        keep_first_seen(settings)
        VectorIndex.drop(settings)
        KeywordIndex.drop(settings)
        for path in settings.data_dir.glob(settings.store_db.name + "*"):  # the database, its WAL and SHM
            path.unlink()
    report = Processor(settings, None if distributed else get_embedder(settings)).run()
    restore_first_seen(settings)
    return report


SYNC_BATCH = 5000  # chunks read from the store at a time when the keyword index is filled again


def sync_keywords(store: Store, keywords: KeywordIndex) -> dict[str, int]:
    """Put right what the keyword index holds that differs from the store's chunks (after a crash between the
    store's commit and the index's, a migration or a deleted folder): rowids without a chunk go, missing chunks
    are added, re-read from the store."""
    stored, indexed = store.chunk_rowids(), keywords.rowids()
    orphans, missing = indexed - stored, sorted(stored - indexed)
    if orphans or missing:
        batches = (set(missing[start : start + SYNC_BATCH]) for start in range(0, len(missing), SYNC_BATCH))
        keywords.put_right(orphans, (store.keyword_rows(rowids=rowids) for rowids in batches))
    return {"removed": len(orphans), "added": len(missing)}


FIRST_SEEN_FILE = "first-seen.json"  # document id -> first seen, while a rebuild runs


def keep_first_seen(settings: Settings) -> None:
    """Write each document's first-seen time beside the store before a rebuild deletes it, merged with what
    an interrupted rebuild left."""
    path = settings.data_dir / FIRST_SEEN_FILE
    kept = json.loads(path.read_text()) if path.exists() else {}
    if settings.store_db.exists():
        store = Store(settings.store_db)
        for doc_id, seen in store.first_seen().items():
            kept[doc_id] = min(seen, kept.get(doc_id, seen))
        store.close()
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(kept))
    os.replace(partial, path)


def restore_first_seen(settings: Settings) -> None:
    path = settings.data_dir / FIRST_SEEN_FILE
    if not path.exists():
        return
    store = Store(settings.store_db)
    store.restore_first_seen(json.loads(path.read_text()))
    store.close()
    path.unlink()
