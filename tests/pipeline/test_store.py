"""The SQLite store: documents replaced atomically, keyword search safe for any input."""

from __future__ import annotations

import pytest

from pipeline.store import ChunkRow, Document, Mention, Store, fts_query, query_terms

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
    assert store.db.execute("SELECT count(*) FROM chunks_fts").fetchone()[0] == 2


def test_keyword_search_folds_case_and_accents(store):
    save(store)
    assert [hit[0] for hit in store.keyword_search("COORACE", 10)] == ["d1:0"]
    assert [hit[0] for hit in store.keyword_search("creent emplois", 10)] == ["d1:1"]


def test_keyword_hits_need_half_of_the_content_words(store):
    save(store)
    assert store.keyword_search("emplois lointains introuvables inconnus", 10) == []
    assert store.keyword_search("les des à", 10) == []  # function words only


@pytest.mark.parametrize(
    ("query", "hits"),
    [
        ("clauses sociales Bressuire", ["d1:1"]),  # 2 of 3 words in the second chunk
        ("clauses Coorace Bressuire", []),  # 2 of 3 words, but never in one chunk
        ("Coorace structures insertion clauses", ["d1:0"]),  # 3 of 4 in the first, 1 in the second
        # 12 words: too many combinations for one FTS5 expression, checked word by word (6 needed)
        ("clauses sociales emplois Grasse créent a1 a2 a3 a4 a5 a6 a7", []),
        ("clauses sociales emplois Grasse créent titre a2 a3 a4 a5 a6 a7", ["d1:1"]),  # the title counts
    ],
)
def test_half_the_words_within_one_chunk(store, query, hits):
    save(store)
    assert [chunk for chunk, _, _ in store.keyword_search(query, 10)] == hits


def test_fts_query_of_at_least_two_terms_lists_every_pair():
    assert fts_query(["a", "b", "c"], needed=2) == '("a" AND "b") OR ("a" AND "c") OR ("b" AND "c")'


@pytest.mark.parametrize(
    ("query", "hits"),
    [
        ('"', []),
        ('"Coorace', ["d1:0"]),
        ("NEAR(Coorace structures)", ["d1:0"]),
        ("Coorace* OR -Grasse", ["d1:0", "d1:1"]),
        ("((Grasse", ["d1:1"]),
        ("' OR 1=1 --", []),
        ("text:Grasse", ["d1:1"]),
        ("^x", []),
        ("\x00", []),
    ],
)
def test_query_syntax_is_read_as_words(store, query, hits):
    save(store)
    assert sorted(chunk for chunk, _, _ in store.keyword_search(query, 10)) == hits


def test_query_terms_drop_function_words_and_fold():
    assert query_terms("Les clauses sociales à Bressuire, les CLAUSES") == ["clauses", "sociales", "bressuire"]
    assert fts_query(['a"b']) == '"ab"'


def test_readonly_store_refuses_writes(tmp_path):
    Store(tmp_path / "ess.sqlite").close()
    readonly = Store(tmp_path / "ess.sqlite", readonly=True)
    with pytest.raises(Exception, match="readonly"):
        save(readonly)
