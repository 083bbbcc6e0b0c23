"""The encoder on ONNX Runtime with int8 weights: faithful to the fp32 model, same tokens, its own index."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from pipeline.embed.embedder import OnnxEmbedder, get_embedder
from pipeline.index.vectors import IndexMismatch, VectorIndex
from tests_support import FIXTURES

SENTENCES = [json.loads(line)["text"] for line in (FIXTURES / "gold_ess.jsonl").open(encoding="utf-8")]


@pytest.fixture(scope="session")
def int8_settings(base_settings):
    return base_settings.model_copy(update={"embedding_engine": "onnx-int8"})


@pytest.fixture(scope="session")
def int8_embedder(int8_settings):
    return get_embedder(int8_settings)


def test_int8_vectors_stay_close_to_the_fp32_ones(torch_embedder, int8_embedder):
    fp32, int8 = torch_embedder.passages(SENTENCES), int8_embedder.passages(SENTENCES)
    cosines = (fp32 * int8).sum(axis=1)
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)
    assert cosines.mean() >= 0.99 and cosines.min() >= 0.98, (cosines.mean(), cosines.min())
    queries = np.stack([int8_embedder.query(s[:80]) for s in SENTENCES[:10]])
    assert ((queries * np.stack([torch_embedder.query(s[:80]) for s in SENTENCES[:10]])).sum(axis=1) >= 0.98).all()


def test_the_same_tokens_are_read(torch_embedder, int8_embedder):
    long_text = " ".join(SENTENCES)  # well past 512 tokens: both truncate
    for text in [*SENTENCES[:20], long_text]:
        fp32_ids = torch_embedder.model.tokenizer(text, truncation=True, max_length=512)["input_ids"]
        assert int8_embedder.encoder.tokens(text) == len(fp32_ids)
    assert int8_embedder.encoder.tokens(long_text) == 512


def test_a_batch_embeds_about_as_its_texts_one_by_one(int8_embedder):
    """Activations are quantised per call (dynamic int8), so a text's vector moves a little with its batch."""
    together = int8_embedder.passages(SENTENCES[:5])
    apart = np.stack([int8_embedder.passages([s])[0] for s in SENTENCES[:5]])
    assert ((together * apart).sum(axis=1) >= 0.99).all()


def test_an_index_refuses_queries_from_the_other_engine(tmp_path, base_settings, torch_embedder, int8_embedder):
    settings = base_settings.model_copy(update={"data_dir": tmp_path / "data"})
    VectorIndex(settings, torch_embedder.name, torch_embedder.dim, create=True)
    with pytest.raises(IndexMismatch, match="onnx-int8"):
        VectorIndex(settings, int8_embedder.name, int8_embedder.dim)


def test_a_hub_name_is_refused_with_a_clear_error():
    with pytest.raises(ValueError, match="sentence-transformers folder"):
        OnnxEmbedder("intfloat/multilingual-e5-small", "intfloat/multilingual-e5-small")


def test_the_api_does_not_import_torch_with_the_onnx_engine(int8_settings, int8_embedder):
    probe = (
        "import sys\n"
        "from pipeline.config import Settings\n"
        "from search_api.deps import Resources\n"
        f"settings = Settings(data_dir={str(int8_settings.data_dir)!r}, embedding_engine='onnx-int8')\n"
        "resources = Resources.open(settings)\n"
        "assert resources.embedder.query('coopération').shape == (384,)\n"
        "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_a_product_whose_input_has_outliers_stays_in_fp32(int8_embedder):
    import onnx

    from pipeline.embed.onnx_encoder import WIDEST_STEP, int8_model, quantisation_step

    spread = np.random.default_rng(0).normal(0, 0.2, 50_000)
    assert quantisation_step(spread) < WIDEST_STEP < quantisation_step(np.append(spread, 60.0))
    folder = int8_model(int8_embedder.encoder.folder).parent
    kept = json.loads((folder / "export.json").read_text())["kept in fp32 (inputs too wide for 8 bits)"]
    nodes = {n.name: n.op_type for n in onnx.load(str(folder / "model-int8.onnx"), load_external_data=False).graph.node}
    assert kept and all(nodes[name] == "MatMul" for name in kept)  # e5-small: three feed-forward outputs
    assert list(nodes.values()).count("MatMul") == len(kept)  # every other product reads int8 weights
    assert "QAttention" in nodes.values()
