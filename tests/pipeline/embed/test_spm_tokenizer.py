"""The sentencepiece copy of the encoder's tokenizer: the same ids as the original, or the original kept."""

from __future__ import annotations

import json

from tokenizers import Tokenizer, models, pre_tokenizers

from pipeline.embed import spm_tokenizer
from pipeline.embed.onnx_encoder import FolderTokenizer, load_tokenizer
from pipeline.embed.spm_tokenizer import PARITY_TEXTS, SentencePieceTokenizer
from tests_support import FIXTURES

SENTENCES = [json.loads(line)["text"] for line in (FIXTURES / "gold_ess.jsonl").open(encoding="utf-8")]
EDGES = ["a<s>b", "x </s>y", "fin ", " début", "<mask>", "l'ESS\u00a0: « coopérer »", "Ⅻ ① ㎏ ﬀ"]


def test_the_int8_engine_reads_the_ids_of_the_model_s_own_tokenizer(torch_embedder, embedder):
    tokenizer = embedder.encoder.tokenizer
    assert isinstance(tokenizer, SentencePieceTokenizer)
    texts = [*SENTENCES, " ".join(SENTENCES), *PARITY_TEXTS, *EDGES]
    original = torch_embedder.model.tokenizer(texts, truncation=True, max_length=512)["input_ids"]
    assert tokenizer.ids(texts) == original


def test_a_tokenizer_it_cannot_reproduce_is_kept_and_the_reason_recorded(tmp_path):
    wordpiece = Tokenizer(models.WordPiece({"[UNK]": 0, "[PAD]": 1, "coop": 2, "##érative": 3}, unk_token="[UNK]"))
    wordpiece.pre_tokenizer = pre_tokenizers.Whitespace()
    wordpiece.save(str(tmp_path / "tokenizer.json"))
    (tmp_path / "onnx").mkdir()
    why = spm_tokenizer.convert(tmp_path, tmp_path / "onnx")
    assert why and "WordPiece" in why
    assert spm_tokenizer.tried(tmp_path / "onnx") and not spm_tokenizer.converted(tmp_path / "onnx")
    kept = load_tokenizer(tmp_path)
    assert isinstance(kept, FolderTokenizer) and kept.ids(["coopérative"]) == [[2, 3]]


def test_a_copy_that_would_differ_is_not_kept(tmp_path, embedder, monkeypatch):
    """Were the copy to skip a step (here: every normalizer), the parity check refuses it before any use."""
    (tmp_path / "tokenizer.json").write_bytes((embedder.encoder.folder / "tokenizer.json").read_bytes())
    (tmp_path / "onnx").mkdir()
    monkeypatch.setattr(spm_tokenizer, "normalizer_steps", lambda normalizer: [])
    assert "differ" in spm_tokenizer.convert(tmp_path, tmp_path / "onnx")
    assert not (tmp_path / "onnx" / spm_tokenizer.MODEL_FILE).exists()
    assert isinstance(load_tokenizer(tmp_path), FolderTokenizer)


def test_a_normalizer_it_does_not_reproduce_is_named(tmp_path, embedder):
    source = json.loads((embedder.encoder.folder / "tokenizer.json").read_text(encoding="utf-8"))
    source["normalizer"] = {"type": "Sequence", "normalizers": [source["normalizer"], {"type": "Lowercase"}]}
    (tmp_path / "tokenizer.json").write_text(json.dumps(source), encoding="utf-8")
    (tmp_path / "onnx").mkdir()
    assert "Lowercase" in spm_tokenizer.convert(tmp_path, tmp_path / "onnx")
