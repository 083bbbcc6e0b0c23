"""Incremental processing of the crawled fixture sites: counted skips, idempotent reruns, a lock."""

from __future__ import annotations

import json
import shutil

import pytest

from pipeline.index.vectors import IndexMismatch, VectorIndex
from pipeline.locks import Busy, data_lock
from pipeline.processing.batch import document_id
from pipeline.processing.run import process
from pipeline.store.reader import StoreReader


def test_first_run_counts_what_it_did(processed):
    _, report = processed
    assert report.counts["processed"] == 8  # the eight articles
    assert report.counts["skipped: listing page"] >= 2  # the two home pages
    assert report.counts["chunks"] >= 8


def test_store_and_index_hold_the_same_chunks(processed, embedder):
    settings, _ = processed
    store = StoreReader(settings.store_db)
    chunk_ids = {r["id"] for r in store.db.execute("SELECT id FROM chunks")}
    store.close()
    index = VectorIndex(settings, embedder.name, embedder.dim)
    assert set(index.collection.get(include=[])["ids"]) == chunk_ids


def test_rerun_processes_nothing_and_changes_nothing(processed, embedder):
    settings, first = processed
    store = StoreReader(settings.store_db)
    before = store.counts()
    store.close()
    report = process(settings)
    assert report.counts["processed"] == 0 and report.counts["unchanged"] >= first.counts["processed"]
    store = StoreReader(settings.store_db)
    assert store.counts() == before
    store.close()


def test_document_ids_are_stable():
    assert document_id("http://127.0.0.1:1/a") == document_id("http://127.0.0.1:1/a") != document_id("http://x/b")


def test_a_second_writer_is_refused_while_one_runs(tmp_path):
    with data_lock(tmp_path, "recrawl"):
        with pytest.raises(Busy, match=r"in use by `ess recrawl` \(pid \d+\)"):
            with data_lock(tmp_path, "process"):
                pass
    with data_lock(tmp_path, "process"):  # released: the next run goes ahead
        pass


def test_an_index_built_by_another_model_is_refused(processed, embedder):
    settings, _ = processed
    with pytest.raises(IndexMismatch, match="ess process --reindex"):
        VectorIndex(settings, "some-other-model", embedder.dim)


def test_rebuild_derives_the_same_chunks(processed, embedder, tmp_path):
    settings, first = processed
    shutil.copytree(settings.data_dir, tmp_path / "data")
    settings = settings.model_copy(update={"data_dir": tmp_path / "data"})
    report = process(settings, rebuild=True)
    assert report.counts["processed"] == first.counts["processed"]
    assert VectorIndex(settings, embedder.name, embedder.dim).count() == report.counts["chunks"]


def test_gazetteer_entities_carry_their_aliases_and_mentions_fold_into_them(processed):
    settings, _ = processed
    store = StoreReader(settings.store_db)
    coorace = store.db.execute("SELECT * FROM entities WHERE key = 'coorace'").fetchone()
    mentioned = store.db.execute("SELECT count(*) FROM mentions WHERE entity_id = ?", (coorace["id"],)).fetchone()[0]
    store.close()
    assert coorace["gazetteer"] == 1 and coorace["name"] == "Coorace" and coorace["label"] == "ORG"
    assert json.loads(coorace["aliases"]) and mentioned >= 1


def test_a_store_older_than_schema_versions_gets_an_error_line_not_a_traceback(tmp_path, base_settings):
    import sqlite3

    from tests_support import run_ess

    settings = base_settings.model_copy(update={"data_dir": tmp_path})
    old = sqlite3.connect(settings.store_db)
    old.execute("CREATE TABLE documents (id TEXT PRIMARY KEY)")
    old.close()
    done = run_ess(settings, "process")
    assert done.returncode == 1
    assert "error: this store predates schema versions: run `ess process --rebuild`" in done.stderr
    assert "Traceback" not in done.stderr


PROCESSING_LOGGERS = ("pipeline.processing.run", "pipeline.processing.batch")


def test_batches_are_embedded_on_another_thread_while_the_next_is_prepared(processed, tmp_path, caplog):
    settings, first = processed
    copy = settings.model_copy(update={"data_dir": tmp_path, "batch_documents": 3})
    shutil.copytree(settings.raw_dir, copy.raw_dir)
    with caplog.at_level("INFO", logger="pipeline"):
        report = process(copy)
    steps = [(r.getMessage().split()[0], r.threadName) for r in caplog.records if r.name in PROCESSING_LOGGERS]
    assert {thread for step, thread in steps if step == "embedded"} == {"embed_0"}
    assert {thread for step, thread in steps if step in ("extracted", "indexed", "stored")} == {"MainThread"}
    order = [step for step, _ in steps]
    assert order.index("indexed") > [i for i, step in enumerate(order) if step == "extracted"][1]  # batch 2 first
    assert report.counts["processed"] == first.counts["processed"] and report.counts["chunks"] == first.counts["chunks"]
    original, rerun = StoreReader(settings.store_db), StoreReader(copy.store_db)
    chunks = "SELECT id, start, end FROM chunks ORDER BY id"
    assert rerun.db.execute(chunks).fetchall() == original.db.execute(chunks).fetchall()
    original.close(), rerun.close()
