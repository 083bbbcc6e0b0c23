"""The SQLite store: documents replaced atomically, keyword search safe for any input."""

from __future__ import annotations

import pytest

from pipeline.store import ChunkRow, Document, Mention, Store, fts_query

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


def test_keyword_search_ranks_any_word_and_meets_other_forms_of_it(store):
    save(store)
    assert store.keyword_search("emplois lointains introuvables inconnus", 10)[0][0] == "d1:1"  # one word is enough
    assert [hit[0] for hit in store.keyword_search("la clause sociale", 10)] == ["d1:1"]  # singular meets plural
    assert [hit[0] for hit in store.keyword_search("réunion des structures", 10)] == ["d1:0"]  # réunit, réunion
    assert store.keyword_search("les des à", 10) == []  # function words only


def test_more_query_words_in_a_chunk_rank_it_higher(store):
    save(store)
    assert [hit[0] for hit in store.keyword_search("Coorace clauses sociales Grasse", 10)] == ["d1:1", "d1:0"]


def test_keyword_index_of_an_older_store_is_refilled_with_terms(tmp_path):
    store = Store(tmp_path / "ess.sqlite")
    save(store)
    store.db.execute("DELETE FROM chunks_fts")  # what the migration to French terms leaves
    store.db.commit()
    store.close()
    reopened = Store(tmp_path / "ess.sqlite")
    assert reopened.keyword_rows() == 2
    assert [hit[0] for hit in reopened.keyword_search("insertions", 10)] == ["d1:0"]
    reopened.close()


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


def test_fts_query_quotes_every_term():
    assert fts_query(['a"b', "c"]) == '"ab" OR "c"'


def test_readonly_store_refuses_writes(tmp_path):
    Store(tmp_path / "ess.sqlite").close()
    readonly = Store(tmp_path / "ess.sqlite", readonly=True)
    with pytest.raises(Exception, match="readonly"):
        save(readonly)
