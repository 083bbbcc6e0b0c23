"""The keyword index: tantivy over the French terms of every chunk, ranked by BM25 with top-k pruning.

Each chunk of the store is one tantivy document: its store rowid (a fast field), its document id (to filter and
to delete) and one field of terms (`pipeline.index.analysis`), its document's title twice then its text, so that a
title word weighs two text words in one BM25. Only term frequencies are indexed: no positions, no stored text.
A query is the OR of its terms; tantivy's Block-Max WAND skips the blocks of postings that cannot enter the
top k, where SQLite FTS5 scored every matching row before sorting (docs/ranking.md, `make bench` part keywords).

The index is derived from the store: the pipeline writes a batch's documents to the store, then their chunks
here in one commit, and ``put_right`` mends what a crash between the two left (chunks missing, rowids
without a chunk), which the processing finds by comparing rowids (``pipeline.processing.run.sync_keywords``).
The store never reuses a chunk rowid (AUTOINCREMENT), so a rowid names one text for good and comparing rowids
is enough. The index knows nothing of the store: callers map rowids to chunks. Readers open a private copy
(``pipeline.index.copies``).
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import tantivy

from pipeline.config import Settings
from pipeline.index.analysis import terms
from pipeline.index.vectors import index_lock

K1 = 1.2  # tantivy's BM25: a term's contribution tends to (k1 + 1) * idf as its frequency grows
WRITER_HEAP = 50_000_000  # bytes the writer buffers before it flushes a segment on its own
TERMS, ROWID, DOC = "terms", "rowid", "doc"


def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field(ROWID, indexed=True, fast=True)
    builder.add_text_field(DOC, tokenizer_name="raw", index_option="basic")
    builder.add_text_field(TERMS, tokenizer_name="whitespace", index_option="freq")
    return builder.build()


def indexed_terms(title: str | None, text: str) -> str:
    """What the index holds for a chunk: its title's terms twice, then its text's."""
    heading = " ".join(terms(title or ""))
    return f"{heading} {heading} {' '.join(terms(text))}"


class KeywordIndex:
    """Opened on the data directory's folder by the pipeline, which writes it holding the index lock; opened on
    the keyword folder of a private ``copy`` by readers (``pipeline.index.copies``; a copy without a keyword
    folder reads as an empty index)."""

    def __init__(self, settings: Settings, copy: Path | None = None):
        self.settings, self.owner = settings, copy is None
        self.folder = settings.keywords_dir if self.owner else copy
        self.schema = schema()
        if self.owner:
            with index_lock(settings):
                self.folder.mkdir(parents=True, exist_ok=True)
                self.index = tantivy.Index(self.schema, path=str(self.folder), reuse=True)
        elif self.folder.is_dir():
            self.index = tantivy.Index.open(str(self.folder))
        else:
            self.index = tantivy.Index(self.schema)  # in memory, empty

    @contextmanager
    def _writing(self) -> Iterator[tantivy.IndexWriter]:
        """A writer whose changes are committed and merged while the index lock is held, so that a reader's
        copy never catches a commit or a merge half done."""
        with index_lock(self.settings):
            writer = self.index.writer(heap_size=WRITER_HEAP, num_threads=1)
            yield writer
            writer.commit()
            writer.wait_merging_threads()
        self.index.reload()

    def replace_documents(self, doc_ids: list[str], rows: list[tuple[int, str, str | None, str]]) -> None:
        """The chunks of these documents replaced by ``rows``: (store rowid, document id, title, text)."""
        with self._writing() as writer:
            for doc_id in doc_ids:
                writer.delete_documents_by_term(DOC, doc_id)
            add(writer, rows)

    def put_right(self, orphans: set[int], missing: Iterable[list[tuple[int, str, str | None, str]]]) -> None:
        """In one commit, the chunks at the rowids ``orphans`` removed and the ``missing`` rows added, given in
        batches of (store rowid, document id, title, text)."""
        with self._writing() as writer:
            for rowid in orphans:  # by query: a term built from a Python int is no u64 term
                writer.delete_documents_by_query(tantivy.Query.term_query(self.schema, ROWID, rowid))
            for rows in missing:
                add(writer, rows)

    def search(self, asked: list[str], limit: int, among: set[str] | None = None) -> list[tuple[int, float]]:
        """(rowid, BM25 score) of the ``limit`` best chunks holding any of the terms ``asked``, only of the
        documents ``among`` when given."""
        if not asked or among == set():
            return []
        query = tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(self.schema, TERMS, t)) for t in asked]
        )
        if among is not None:  # a filter that adds nothing to the score (a term set scores 1 by itself)
            within = tantivy.Query.const_score_query(tantivy.Query.term_set_query(self.schema, DOC, sorted(among)), 0.0)
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.Must, within)])
        searcher = self.index.searcher()
        hits = searcher.search(query, limit=limit, count=False).hits
        rowids = searcher.fast_field_values(ROWID, [address for _, address in hits])
        return [(rowid, score) for (score, _), rowid in zip(hits, rowids, strict=True)]

    def holding_all(self, asked: list[str]) -> list[int]:
        """The rowid of every chunk holding all the terms ``asked`` (no ranking, no limit)."""
        searcher = self.index.searcher()
        if not asked or not searcher.num_docs:
            return []
        query = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, tantivy.Query.term_query(self.schema, TERMS, t)) for t in asked]
        )
        hits = searcher.search(query, limit=searcher.num_docs, count=False).hits
        return searcher.fast_field_values(ROWID, [address for _, address in hits])

    def ceiling(self, asked: list[str]) -> float:
        """The score a chunk holding every term very often would reach: the sum of (k1 + 1) times each term's
        idf, as tantivy computes it."""
        searcher = self.index.searcher()
        chunks = searcher.num_docs
        total = 0.0
        for term in asked:
            having = searcher.doc_freq(TERMS, term)
            total += (K1 + 1) * math.log(1 + (chunks - having + 0.5) / (having + 0.5))
        return total or 1.0

    def count(self) -> int:
        return self.index.searcher().num_docs

    def rowids(self) -> set[int]:
        """Every rowid in the index."""
        searcher = self.index.searcher()
        if not searcher.num_docs:
            return set()
        hits = searcher.search(tantivy.Query.all_query(), limit=searcher.num_docs, count=False).hits
        return set(searcher.fast_field_values(ROWID, [address for _, address in hits]))

    @staticmethod
    def drop(settings: Settings) -> None:
        """Delete the whole index (before a rebuild)."""
        with index_lock(settings):
            shutil.rmtree(settings.keywords_dir, ignore_errors=True)


def add(writer: tantivy.IndexWriter, rows: list[tuple[int, str, str | None, str]]) -> None:
    for rowid, doc_id, title, text in rows:
        entry = tantivy.Document(doc=doc_id, terms=indexed_terms(title, text))
        entry.add_unsigned(ROWID, rowid)
        writer.add_document(entry)
