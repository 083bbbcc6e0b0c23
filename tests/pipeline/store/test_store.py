"""The SQLite store: documents replaced atomically, read-only connections refuse writes."""

from __future__ import annotations

import pytest

from pipeline.records import ChunkRow, Document, Mention
from pipeline.store.reader import StoreReader
from pipeline.store.writer import Store

TEXT = "Le Coorace réunit les structures d'insertion. Les clauses sociales créent des emplois à Grasse."


@pytest.fixture()
def store(tmp_path):
    store = Store(tmp_path / "ess.sqlite")
    yield store
    store.close()


def save(store, text=TEXT, raw_hash="h1"):
    doc = Document(id="d1", url="http://x/1", source="s", kind="html", text=text, raw_hash=raw_hash, title="Titre")
    chunks = [ChunkRow("d1:0", 0, 0, 45, text[:45]), ChunkRow("d1:1", 1, 46, len(text), text[46:])]
    store.save_document(doc, chunks, [Mention("Coorace", "ORG", 3, 10), Mention("Grasse", "LOC", 89, 95)])


def test_saving_again_replaces_chunks_and_mentions(store):
    save(store)
    save(store, raw_hash="h2")
    assert store.counts() == {"documents": 1, "chunks": 2, "entities": 2, "mentions": 2}
    assert store.raw_hash("d1") == "h2" and [r[0] for r in store.db.execute("SELECT id FROM chunks ORDER BY idx")] == [
        "d1:0",
        "d1:1",
    ]
    assert (
        store.keyword_rows(doc_ids=["d1"])
        == [
            (3, "d1", "Titre", TEXT[:45]),  # rowids are never reused: the keyword index names a chunk by it
            (4, "d1", "Titre", TEXT[46:]),
        ]
    )


def test_a_reader_cannot_write(tmp_path):
    Store(tmp_path / "ess.sqlite").close()
    reader = StoreReader(tmp_path / "ess.sqlite")
    assert not hasattr(reader, "save_document")
    with pytest.raises(Exception, match="readonly"):  # nor through its connection
        reader.db.execute("INSERT INTO included (id, url) VALUES ('d', 'http://x/d')")
