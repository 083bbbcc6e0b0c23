"""The `ess search` and `ess check` commands, run for real in a child process."""

from __future__ import annotations

import json
import shutil

import pytest

from pipeline.index.keywords import KeywordIndex
from pipeline.index.vectors import VectorIndex, document_of
from pipeline.store.writer import Store


def test_search_command_applies_the_api_filters(processed, ess, client):
    settings, _ = processed
    done = ess(settings, "search", "emploi coopération", "--source", "beta", "--since", "2025-04", "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["hits"] and all(h["source"] == "beta" and h["published"] >= "2025-04" for h in result["hits"])
    done = ess(settings, "search", "projet", "--entity", "le COORACE", "--until", "2025-12", "--json")
    named = json.loads(done.stdout)
    assert named["total"] > 0 and all(h["published"] <= "2025-12" for h in named["hits"])
    api = client.get("/search", params={"q": "projet", "entity": "le COORACE", "date_to": "2025-12"}).json()
    assert [h["id"] for h in named["hits"]] == [h["id"] for h in api["hits"]]


def test_search_command_prints_titles_and_plain_snippets(processed, ess):
    done = ess(processed[0], "search", "Coorace", "--mode", "keyword", "--limit", "2")
    assert done.returncode == 0 and " 1. " in done.stdout and "Coorace" in done.stdout
    assert "<mark>" not in done.stdout


def test_search_command_refuses_bad_options_clearly(processed, ess):
    bad_date = ess(processed[0], "search", "emploi", "--since", "mars 2025")
    assert bad_date.returncode == 1 and "--since takes YYYY" in bad_date.stderr
    bad_mode = ess(processed[0], "search", "emploi", "--mode", "fuzzy")
    assert bad_mode.returncode == 1 and "--mode must be one of" in bad_mode.stderr


@pytest.fixture
def copied(processed, tmp_path, embedder):
    """A copy of the processed data directory, to damage."""
    settings, _ = processed
    shutil.copytree(settings.data_dir, tmp_path / "data")
    return settings.model_copy(update={"data_dir": tmp_path / "data"})


def test_check_agrees_on_a_processed_store_and_says_what_differs_once_damaged(copied, ess, embedder):
    clean = ess(copied, "check", "--json")
    assert clean.returncode == 0, clean.stderr[-2000:]
    report = json.loads(clean.stdout)
    assert report["agree"] and report["chunks"] == report["keyword_rows"] == report["vectors"] > 0

    store = Store(copied.store_db)
    first, second = [row[0] for row in store.db.execute("SELECT id FROM chunks ORDER BY id LIMIT 2")]
    doc = document_of(first)
    kept = [row for row in store.keyword_rows(doc_ids=[doc]) if store.chunks_at([row[0]])[row[0]][0] != first]
    KeywordIndex(copied).replace_documents([doc], kept)
    store.close()
    VectorIndex(copied, embedder.name, embedder.dim).collection.delete(ids=[second])

    damaged = ess(copied, "check")
    assert damaged.returncode == 1
    assert f"chunks missing from the keyword index: 1 (e.g. {first})" in damaged.stdout
    assert f"chunks missing from the vector index: 1 (e.g. {second})" in damaged.stdout
    assert "ess process --reindex" in damaged.stdout


def test_chunk_metadata_in_the_index_allows_filtering(processed, embedder):
    settings, _ = processed
    index = VectorIndex(settings, embedder.name, embedder.dim)
    metadata = index.collection.get(limit=1, include=["metadatas"])["metadatas"][0]
    assert set(metadata) == {"doc_id", "source", "kind", "language", "idx", "published"}
    assert metadata["language"] == "fr" and 20000101 < metadata["published"] < 21000101
    recent = index.collection.get(where={"published": {"$gte": 20250401}}, include=["metadatas"])["metadatas"]
    assert recent and all(m["published"] >= 20250401 for m in recent)


def test_the_demo_embeds_again_an_index_another_engine_built(base_settings, tmp_path, embedder):
    from search_api.cli import built_by_another_embedder

    settings = base_settings.model_copy(update={"data_dir": tmp_path})
    assert not built_by_another_embedder(settings)  # no index yet
    VectorIndex(settings, embedder.name, embedder.dim, create=True)
    assert not built_by_another_embedder(settings)
    other = settings.model_copy(update={"embedding_engine": "torch" if "onnx" in embedder.name else "onnx-int8"})
    assert built_by_another_embedder(other)
