"""The keyword index: French terms ranked by BM25 in tantivy, any input read as words, kept in step with the store."""

from __future__ import annotations

import os

import pytest

from pipeline.index.analysis import query_terms
from pipeline.index.copies import IndexCopies, disk_stamp
from pipeline.index.keywords import KeywordIndex
from pipeline.processing.run import sync_keywords
from pipeline.records import ChunkRow, Document
from pipeline.store.writer import Store

TEXT = "Le Coorace réunit les structures d'insertion. Les clauses sociales créent des emplois à Grasse."


@pytest.fixture()
def settings(base_settings, tmp_path):
    return base_settings.model_copy(update={"data_dir": tmp_path / "data"})


@pytest.fixture()
def store(settings):
    store = Store(settings.store_db)
    yield store
    store.close()


def save(store, keywords, doc_id="d1", text=TEXT, title="Titre"):
    doc = Document(id=doc_id, url=f"http://x/{doc_id}", source="s", kind="html", text=text, raw_hash="h", title=title)
    cut = text.index(".") + 1
    chunks = [
        ChunkRow(f"{doc_id}:0", 0, 0, cut, text[:cut]),
        ChunkRow(f"{doc_id}:1", 1, cut + 1, len(text), text[cut + 1 :]),
    ]
    store.save_document(doc, chunks, [])
    keywords.replace_documents([doc_id], store.keyword_rows(doc_ids=[doc_id]))


def found(store, keywords, query, among=None):
    hits = keywords.search(query_terms(query), 10, among)
    chunks = store.chunks_at([rowid for rowid, _ in hits])
    return [chunks[rowid][0] for rowid, _ in hits if rowid in chunks]


@pytest.fixture()
def keywords(settings, store):
    keywords = KeywordIndex(settings)
    save(store, keywords)
    return keywords


def test_case_accents_and_other_forms_of_a_word_meet(store, keywords):
    assert found(store, keywords, "COORACE") == ["d1:0"]
    assert found(store, keywords, "creent emplois") == ["d1:1"]
    assert found(store, keywords, "la clause sociale") == ["d1:1"]  # singular meets plural
    assert found(store, keywords, "réunion des structures") == ["d1:0"]  # réunit, réunion
    assert found(store, keywords, "les des à") == []  # function words only


def test_any_word_is_enough_and_more_of_them_rank_higher(store, keywords):
    assert found(store, keywords, "emplois lointains introuvables inconnus") == ["d1:1"]
    assert found(store, keywords, "Coorace clauses sociales Grasse") == ["d1:1", "d1:0"]


def test_title_words_weigh_more_than_text_words(store, keywords):
    save(store, keywords, "d2", "Un texte sans rapport. Les coopératives de Grasse recrutent.", title="Autre titre")
    save(store, keywords, "d3", "Un texte sans rapport. Rien à signaler ici.", title="Grasse")
    assert found(store, keywords, "Grasse")[0] == "d3:0"  # the title counts twice, in every chunk


def test_scores_stay_under_the_ceiling(store, keywords):
    asked = query_terms("Coorace clauses sociales Grasse")
    hits = keywords.search(asked, 10)
    assert 0 < hits[-1][1] <= hits[0][1] < keywords.ceiling(asked)


def test_filter_keeps_only_the_documents_given(store, keywords):
    save(store, keywords, "d2", "Les clauses sociales à Nice. Autre phrase.")
    assert found(store, keywords, "clauses", among={"d2"}) == ["d2:0"]
    assert found(store, keywords, "clauses", among=set()) == []


def test_saving_a_document_again_replaces_its_rows(store, keywords):
    save(store, keywords, text="Un tout autre texte. Sans les mots de la veille.")
    assert keywords.count() == 2 and found(store, keywords, "Coorace") == []
    assert found(store, keywords, "veille") == ["d1:1"]


def test_sync_puts_right_what_a_crash_left(settings, store, keywords):
    doc = Document(id="d2", url="http://x/d2", source="s", kind="html", text="Insertion à Nice.", raw_hash="h")
    store.save_document(doc, [ChunkRow("d2:0", 0, 0, 17, doc.text)], [])  # the store committed, then a crash
    store.save_document(  # and d1 replaced in the store only: its two old rowids are orphans
        Document(id="d1", url="http://x/d1", source="s", kind="html", text="Autre.", raw_hash="h2"),
        [ChunkRow("d1:0", 0, 0, 6, "Autre.")],
        [],
    )
    next_run = KeywordIndex(settings)
    assert sync_keywords(store, next_run) == {"removed": 2, "added": 2}
    assert next_run.rowids() == store.chunk_rowids()
    assert found(store, next_run, "insertions") == ["d2:0"]
    assert sync_keywords(store, KeywordIndex(settings)) == {"removed": 0, "added": 0}


def test_a_reader_reads_a_copy_and_a_missing_index_reads_empty(settings, store, keywords):
    copies = IndexCopies(settings)
    try:
        settings.chroma_dir.mkdir(parents=True)
        copy = copies.take()
        assert copy.keywords.is_dir() and not copy.keywords.is_relative_to(settings.data_dir)
        assert found(store, KeywordIndex(settings, copy.keywords), "Coorace") == ["d1:0"]
        KeywordIndex.drop(settings)
        assert KeywordIndex(settings, copies.take().keywords).count() == 0
    finally:
        copies.close()


@pytest.mark.parametrize(
    ("query", "hits"),
    [
        ('"', []),
        ('"Coorace', ["d1:0"]),
        ("NEAR(Coorace structures)", ["d1:0"]),
        ("Coorace* OR -Grasse", ["d1:0", "d1:1"]),
        ("((Grasse", ["d1:1"]),
        ("' OR 1=1 --", []),
        ("terms:Grasse", ["d1:1"]),
        ("doc:d1", []),
        ("^x", []),
        ("\x00", []),
        ("*", []),
    ],
)
def test_query_syntax_is_read_as_words(store, keywords, query, hits):
    assert sorted(found(store, keywords, query)) == hits


def test_the_index_stamp_passes_over_a_file_removed_while_it_reads(tmp_path, monkeypatch, base_settings):
    """tantivy removes its temporary files while readers look at the folder: the stamp is taken anyway."""
    settings = base_settings.model_copy(update={"data_dir": tmp_path})
    settings.keywords_dir.mkdir()
    (settings.keywords_dir / "meta.json").write_text("{}")
    (settings.keywords_dir / ".tmp-gone").write_text("")
    listed = list(os.scandir(settings.keywords_dir))
    (settings.keywords_dir / ".tmp-gone").unlink()
    monkeypatch.setattr(os, "scandir", lambda folder: iter(listed))
    assert disk_stamp(settings) == (settings.keywords_dir / "meta.json").stat().st_mtime_ns
