"""Incremental processing: new or changed archived pages become documents, entities, chunks and vectors.

Ids are deterministic (document id from the URL, chunk id = document id + index) and a document is
written to the index before the store records its content hash, so a killed run resumes where it
stopped and re-running never duplicates anything.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import astuple, dataclass, field

import numpy as np

from pipeline import curation, nlp
from pipeline.chunk import chunk_spans
from pipeline.config import Settings
from pipeline.curation import Curation
from pipeline.dedup import DuplicateFinder, to_blob
from pipeline.embed import Embedder, get_embedder
from pipeline.extract import (
    Extracted,
    ExtractionError,
    extract_html,
    extract_json_document,
    extract_pdf,
    extract_plain_text,
)
from pipeline.gazetteer import load_gazetteer
from pipeline.index import DocumentVectors, VectorIndex
from pipeline.ingest import JSON_DOCUMENT
from pipeline.keywords import KeywordIndex
from pipeline.language import detect_language
from pipeline.listings import listed_pages
from pipeline.locks import data_lock
from pipeline.pagekind import Page, PageSignals, Thresholds, Verdict, judge
from pipeline.store import ChunkRow, Document, Mention, Skip, Store
from pipeline.warc import RawPage, latest_records, read_body

log = logging.getLogger(__name__)
BATCH_DOCS = 16
GONE_UNPROCESSED = "gone before it was processed"


@dataclass
class Prepared:
    """A batch's documents with their chunks, mentions and duplicate signatures, before embedding."""

    docs: list[Document]
    chunks: list[list[ChunkRow]]
    mentions: list[list[Mention]]
    signatures: list[bytes | None]

    def inputs(self) -> list[str]:
        """What the encoder reads of each chunk: its document's title, then its text."""
        return [f"{d.title or ''}\n{c.text}".strip() for d, cs in zip(self.docs, self.chunks, strict=True) for c in cs]


@dataclass
class RunReport:
    counts: Counter = field(default_factory=Counter)

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] += n


def document_id(key: str) -> str:
    """Stable id from the page's canonical URL."""
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def extract(page: RawPage, body: bytes) -> tuple[str, Extracted]:
    """(kind, extracted): PDF sniffed from the body, ingested text and JSON by their type, else HTML."""
    if body[:5] == b"%PDF-":
        return "pdf", extract_pdf(body)
    if not body.strip():
        raise ExtractionError("empty body")
    if page.content_type.startswith(JSON_DOCUMENT):
        return "text", extract_json_document(body)
    if page.content_type.startswith("text/plain"):
        return "text", extract_plain_text(body)
    return "html", extract_html(body, page.url, page.content_type)


def page_verdict(
    page: RawPage, kind: str, extracted: Extracted, listed: set[str], included: set[str], limits: Thresholds
) -> Verdict:
    """Whether an extracted archived page is a document; ``listed`` are the canonical URLs in feeds and news
    sitemaps, ``included`` the ids an analyst forced in."""
    facts = Page(
        url=page.url,
        kind=kind,
        words=extracted.words,
        link_density=extracted.link_density,
        signals=extracted.signals or PageSignals(),
        listed=page.key in listed,
        given=page.given,
        included=document_id(page.key) in included,
    )
    return judge(facts, limits)


def to_document(page: RawPage, kind: str, extracted: Extracted) -> Document:
    return Document(
        id=document_id(page.key),
        url=page.url,
        source=page.source,
        kind=kind,
        text=extracted.text,
        raw_hash=page.raw_hash,
        title=extracted.title,
        author=extracted.author,
        published=extracted.published,
        sitename=extracted.sitename,
        description=extracted.description,
        fetched_at=page.fetched_at,
        warc_file=page.warc_file,
        warc_offset=page.offset,
        language=detect_language(extracted.text),
        no_text=int(extracted.no_text),
        tags=json.dumps(extracted.tags, ensure_ascii=False) if extracted.tags else None,
    )


def chunk_rows(doc: Document) -> list[ChunkRow]:
    return [
        ChunkRow(f"{doc.id}:{i}", i, start, end, doc.text[start:end])
        for i, (start, end) in enumerate(chunk_spans(doc.text))
    ]


def chunk_metadata(doc: Document, chunk: ChunkRow) -> dict:
    published = int(doc.published.replace("-", "")[:8]) if doc.published else 0
    return {
        "doc_id": doc.id,
        "source": doc.source,
        "kind": doc.kind,
        "language": doc.language or "",
        "idx": chunk.idx,
        "published": published,  # yyyymmdd as a number, 0 when unknown: sortable and comparable in filters
    }


class Processor:
    def __init__(self, settings: Settings, embedder: Embedder):
        self.settings, self.embedder = settings, embedder
        self.nlp = nlp.load_nlp(settings.spacy_model, str(settings.gazetteer))
        self.curation = Curation.load(settings.curation)
        self.store = Store(settings.store_db, curation=self.curation)
        self.store.sync_gazetteer(load_gazetteer(settings.gazetteer))
        self.index = VectorIndex(settings, embedder.name, embedder.dim, create=True)
        self.keywords = KeywordIndex(settings)
        self.duplicates = DuplicateFinder(self.store.signatures())
        self.report = RunReport()
        self.limits = settings.article_thresholds
        self.rule = "/".join(str(v) for v in astuple(self.limits))  # skips judged by other thresholds are redone
        self.listed: set[str] = set()
        self.included: set[str] = set()
        for change, n in self.keywords.sync(self.store).items():
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
        """Process what changed; the report counts what happened and the seconds it took, models loaded."""
        started = time.perf_counter()
        records = latest_records(self.settings.raw_dir)
        todo = self.pending([r for r in records.values() if r.role == "page"])
        if todo:
            self.listed = listed_pages(self.settings.raw_dir, records.values())
            self.included = self.store.included_ids()
        for page in [p for p in todo if p.gone]:
            if self.store.mark_gone(document_id(page.key), page.raw_hash):
                self.report.count("gone")
            else:
                self.skip(page, GONE_UNPROCESSED, None)
        todo = [p for p in todo if not p.gone]
        self.process_overlapped([todo[start : start + BATCH_DOCS] for start in range(0, len(todo), BATCH_DOCS)])
        self.store.name_entities()
        curation.apply(self.store.db, self.curation)  # the gazetteer's names and types were written again
        self.store.close()
        self.report.counts["seconds processing"] = round(time.perf_counter() - started, 2)
        return self.report

    def process_overlapped(self, batches: list[list[RawPage]]) -> None:
        """Each batch prepared (extraction, NLP) on this thread while the one before is embedded on another;
        batches are written one at a time, in order, on this thread, so a kill leaves what it always left."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed") as embedding:
            embedded: tuple[Prepared, Future] | None = None
            for pages in batches:
                batch = self.prepare(pages)
                if embedded:
                    self.write(embedded[0], embedded[1].result())
                embedded = (batch, embedding.submit(self.embed, batch)) if batch else None
            if embedded:
                self.write(embedded[0], embedded[1].result())

    def tag(self, docs: list[Document]) -> list[list[Mention]]:
        """Mentions of every document; documents not in French are kept but skip the French NER."""
        french = [d for d in docs if d.language in (None, "fr")]
        self.report.count("not French: no entities", len(docs) - len(french))
        found, dropped = nlp.entities(self.nlp, [d.text for d in french], [d.published for d in french])
        for reason, n in dropped.items():
            self.report.count(f"entities dropped: {reason}", n)
        by_id = {d.id: mentions for d, mentions in zip(french, found, strict=True)}
        return [by_id.get(d.id, []) for d in docs]

    def load(self, page: RawPage) -> Document | None:
        """The page's document, or None when it is no document (the reason is counted and stored)."""
        try:
            kind, extracted = extract(page, read_body(self.settings.raw_dir, page))
        except ExtractionError as exc:
            self.skip(page, str(exc), None)
            return None
        if extracted.no_text:
            self.report.count("stored without text: PDF has no text layer")
            return to_document(page, kind, extracted)
        verdict = page_verdict(page, kind, extracted, self.listed, self.included, self.limits)
        if not verdict.keep:
            self.skip(page, verdict.reason, extracted.words)
            return None
        self.report.count(f"kept: {verdict.reason}")
        return to_document(page, kind, extracted)

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

    def prepare(self, pages: list[RawPage]) -> Prepared | None:
        """Extraction, duplicate clusters, entities and chunks of a batch: everything but its vectors."""
        docs = [doc for doc in map(self.load, pages) if doc is not None]
        log.info("extracted %d of %d pages", len(docs), len(pages))
        if not docs:
            return None
        signatures = [self.cluster(doc) for doc in docs]
        mentions = self.tag(docs)
        log.info("tagged %d documents", len(docs))
        return Prepared(docs, [chunk_rows(d) for d in docs], mentions, signatures)

    def embed(self, batch: Prepared) -> np.ndarray:
        inputs = batch.inputs()
        vectors = self.embedder.passages(inputs) if inputs else np.zeros((0, self.embedder.dim), dtype=np.float32)
        log.info("embedded %d chunks", len(vectors))
        return vectors

    def write(self, batch: Prepared, vectors: np.ndarray) -> None:
        """A batch's vectors, then each document's store transaction, then its keyword rows."""
        bounds = list(itertools.accumulate((len(c) for c in batch.chunks), initial=0))
        # Vectors first, then each document's store transaction: a crash in between leaves the documents
        # unrecorded in the store, so the next run processes them again and replaces their vectors.
        self.index.replace_documents(
            [
                DocumentVectors(doc.id, [c.id for c in cs], vectors[a:b], [chunk_metadata(doc, c) for c in cs])
                for doc, cs, (a, b) in zip(batch.docs, batch.chunks, itertools.pairwise(bounds), strict=True)
            ]
        )
        log.info("indexed %d documents", len(batch.docs))
        rows = zip(batch.docs, batch.chunks, batch.mentions, batch.signatures, strict=True)
        for doc, doc_chunks, doc_mentions, signature in rows:
            self.store.save_document(doc, doc_chunks, doc_mentions, signature)
            log.info("stored %s", doc.id)
            self.report.count("processed")
            self.report.count("chunks", len(doc_chunks))
        # Then their keyword rows, read back from the store with its rowids; a crash before this commit leaves
        # chunks the keyword index lacks, which the next run's ``sync`` adds.
        doc_ids = [doc.id for doc in batch.docs]
        self.keywords.replace_documents(doc_ids, self.store.keyword_rows(doc_ids=doc_ids))
        log.info("keyword rows of %d documents", len(batch.docs))


def process(settings: Settings, rebuild: bool = False) -> RunReport:
    """Process what changed; ``rebuild`` re-derives the store and the vector index from the raw archive."""
    with data_lock(settings.data_dir, "process"):
        return process_locked(settings, rebuild)


def process_locked(settings: Settings, rebuild: bool = False) -> RunReport:
    """``process`` for a caller that already holds the data-directory lock. A rebuild keeps when each document
    was first seen (what watched searches call new), not the time of the rebuild."""
    if rebuild:
        keep_first_seen(settings)
        VectorIndex.drop(settings)
        KeywordIndex.drop(settings)
        for path in settings.data_dir.glob(settings.store_db.name + "*"):  # the database, its WAL and SHM
            path.unlink()
    report = Processor(settings, get_embedder(settings)).run()
    restore_first_seen(settings)
    return report


FIRST_SEEN_FILE = "first-seen.json"  # document id -> first seen, while a rebuild runs


def keep_first_seen(settings: Settings) -> None:
    """Write each document's first-seen time beside the store before a rebuild deletes it, merged with what
    an interrupted rebuild left."""
    path = settings.data_dir / FIRST_SEEN_FILE
    kept = json.loads(path.read_text()) if path.exists() else {}
    if settings.store_db.exists():
        store = Store(settings.store_db)
        for doc_id, seen in store.db.execute("SELECT id, first_seen FROM documents WHERE first_seen IS NOT NULL"):
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
    with store.db:
        store.db.executemany(
            "UPDATE documents SET first_seen = ? WHERE id = ? AND first_seen > ?",
            [(seen, doc_id, seen) for doc_id, seen in json.loads(path.read_text()).items()],
        )
    store.close()
    path.unlink()
