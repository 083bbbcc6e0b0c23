"""A batch of archived pages made ready to write: extraction, the article rule, entities, chunks and vectors.

``BatchMaker`` reads the raw archive and its models and writes nothing: what it decides (documents, the pages
that are no documents and why, counts) comes back in a ``Batch`` for the one writer of the store and the
indexes (``pipeline.processing.run.Processor``) to record. ``ess process`` runs it on its own threads; being stateless
between batches, it is the unit of work other processes can take on.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections import Counter
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from pipeline.archive.listings import ANNOUNCED, MAPPED
from pipeline.archive.warc_reader import RawPage, read_body
from pipeline.config import Settings
from pipeline.embed.embedder import Embedder
from pipeline.extract.article_rule import Page, PageSignals, Thresholds, Verdict, judge
from pipeline.extract.chunks import chunk_spans
from pipeline.extract.language import detect_language
from pipeline.extract.main_text import (
    Extracted,
    ExtractionError,
    extract_html,
    extract_json_document,
    extract_pdf,
    extract_plain_text,
)
from pipeline.nlp import tagger
from pipeline.processing.ingest import JSON_DOCUMENT
from pipeline.records import ChunkRow, Document, Mention

log = logging.getLogger(__name__)


@dataclass
class Skipped:
    """An archived page that is no document, and why."""

    page: RawPage
    reason: str
    words: int | None


@dataclass
class Batch:
    """A batch's documents with their chunks and mentions (then their vectors), the pages skipped, and counts."""

    docs: list[Document] = field(default_factory=list)
    chunks: list[list[ChunkRow]] = field(default_factory=list)
    mentions: list[list[Mention]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    vectors: np.ndarray | None = None
    embedded_by: str = ""  # the embedder's name, as the vector index records it

    def inputs(self) -> list[str]:
        """What the encoder reads of each chunk: its document's title, then its text."""
        return [f"{d.title or ''}\n{c.text}".strip() for d, cs in zip(self.docs, self.chunks, strict=True) for c in cs]


def batch_to_json(batch: Batch) -> dict:
    """The batch as JSON values, vectors as base64 float32: what a worker sends back through the broker."""
    vectors = batch.vectors if batch.vectors is not None else np.zeros((0, 0), dtype=np.float32)
    return {
        "docs": [asdict(doc) for doc in batch.docs],
        "chunks": [[asdict(chunk) for chunk in chunks] for chunks in batch.chunks],
        "mentions": [[asdict(mention) for mention in mentions] for mentions in batch.mentions],
        "skipped": [{"page": asdict(s.page), "reason": s.reason, "words": s.words} for s in batch.skipped],
        "counts": dict(batch.counts),
        "vectors": base64.b64encode(vectors.astype(np.float32).tobytes()).decode("ascii"),
        "shape": list(vectors.shape),
        "embedded_by": batch.embedded_by,
    }


def batch_from_json(data: dict) -> Batch:
    vectors = np.frombuffer(base64.b64decode(data["vectors"]), dtype=np.float32).reshape(data["shape"])
    return Batch(
        docs=[Document(**doc) for doc in data["docs"]],
        chunks=[[ChunkRow(**chunk) for chunk in chunks] for chunks in data["chunks"]],
        mentions=[[Mention(**mention) for mention in mentions] for mentions in data["mentions"]],
        skipped=[Skipped(RawPage(**s["page"]), s["reason"], s["words"]) for s in data["skipped"]],
        counts=Counter(data["counts"]),
        vectors=vectors if data["embedded_by"] else None,
        embedded_by=data["embedded_by"],
    )


class BatchMaker:
    """The models and rules a batch needs: the NLP pipeline, the encoder, the article thresholds."""

    def __init__(self, settings: Settings, embedder: Embedder):
        self.settings, self.embedder = settings, embedder
        self.nlp = tagger.load_nlp(settings.spacy_model, str(settings.gazetteer))
        self.limits = Thresholds.from_settings(settings)

    def prepare(self, pages: list[RawPage], listed: dict[str, str], included: set[str]) -> Batch:
        """Extraction, the article rule, entities and chunks of a batch: everything but its vectors.
        ``listed`` says how the site's feeds and sitemaps list pages (``site_listings``), ``included`` are the ids
        an analyst forced in."""
        batch = Batch()
        for page in pages:
            if (doc := self.load(page, listed, included, batch)) is not None:
                batch.docs.append(doc)
        log.info("extracted %d of %d pages", len(batch.docs), len(pages))
        if batch.docs:
            batch.mentions = self.tag(batch.docs, batch.counts)
            batch.chunks = [chunk_rows(d) for d in batch.docs]
            log.info("tagged %d documents", len(batch.docs))
        return batch

    def load(self, page: RawPage, listed: dict[str, str], included: set[str], batch: Batch) -> Document | None:
        """The page's document, or None when it is no document (the reason goes into the batch)."""
        try:
            kind, extracted = extract(page, read_body(self.settings.raw_dir, page))
        except ExtractionError as exc:
            batch.skipped.append(Skipped(page, str(exc), None))
            return None
        if extracted.no_text:
            batch.counts["stored without text: PDF has no text layer"] += 1
            return to_document(page, kind, extracted)
        verdict = page_verdict(page, kind, extracted, listed, included, self.limits)
        if not verdict.keep:
            batch.skipped.append(Skipped(page, verdict.reason, extracted.words))
            return None
        batch.counts[f"kept: {verdict.reason}"] += 1
        return to_document(page, kind, extracted)

    def tag(self, docs: list[Document], counts: Counter) -> list[list[Mention]]:
        """Mentions of every document; documents not in French are kept but skip the French NER."""
        french = [d for d in docs if d.language in (None, "fr")]
        counts["not French: no entities"] += len(docs) - len(french)
        found, dropped = tagger.entities(self.nlp, [d.text for d in french], [d.published for d in french])
        for reason, n in dropped.items():
            counts[f"entities dropped: {reason}"] += n
        by_id = {d.id: mentions for d, mentions in zip(french, found, strict=True)}
        return [by_id.get(d.id, []) for d in docs]

    def embed(self, batch: Batch) -> Batch:
        """The batch with the vectors of its chunks."""
        inputs = batch.inputs()
        dim = self.embedder.dim
        vectors = self.embedder.passages(inputs) if inputs else np.zeros((0, dim), dtype=np.float32)
        log.info("embedded %d chunks", len(vectors))
        return replace(batch, vectors=vectors, embedded_by=self.embedder.name)


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
    page: RawPage, kind: str, extracted: Extracted, listed: dict[str, str], included: set[str], limits: Thresholds
) -> Verdict:
    """Whether an extracted archived page is a document; ``listed`` says how the site's feeds and sitemaps list
    pages (``site_listings``), ``included`` are the ids an analyst forced in."""
    facts = Page(
        url=page.url,
        kind=kind,
        words=extracted.words,
        link_density=extracted.link_density,
        signals=extracted.signals or PageSignals(),
        listed=listed.get(page.key) == ANNOUNCED,
        in_sitemap=listed.get(page.key) == MAPPED,
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
