"""The e5 encoder run by ONNX Runtime with int8 weights, from any sentence-transformers folder.

``export_int8`` exports the folder's transformer once with ``torch.onnx.export`` (fp32), quantises its
weights to int8 per output channel (``onnxruntime.quantization.quantize_dynamic``), all but the feed-forward
output projections, and keeps only that model, in ``<folder>/onnx/``. ``OnnxEncoder`` then embeds with
onnxruntime and the folder's own tokenizer (``tokenizers``): mean pooling over the tokens, then unit length,
as the folder's sentence-transformers pipeline does. Neither torch nor transformers is imported to embed.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import numpy as np

ONNX_FOLDER = "onnx"
INT8_MODEL = "model-int8.onnx"
MAX_TOKENS = 512  # e5's position embeddings
FEED_FORWARD_OUT = re.compile(r"/layer\.\d+/output/dense/MatMul$")  # not /attention/output/dense


def int8_model(model_dir: Path) -> Path:
    return model_dir / ONNX_FOLDER / INT8_MODEL


def export_int8(model_dir: Path) -> Path:
    """The int8 model of ``model_dir``, exported and quantised when it is not there yet (about a minute)."""
    target = int8_model(model_dir)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        fp32 = Path(work) / "model.onnx"
        export_fp32(model_dir, fp32)
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantized = Path(work) / INT8_MODEL
        kept = feed_forward_outputs(fp32)
        quantize_dynamic(fp32, quantized, per_channel=True, weight_type=QuantType.QInt8, nodes_to_exclude=kept)
        os.replace(quantized, target)  # whole or absent, whoever reads it
    (target.parent / "export.json").write_text(
        json.dumps(
            {
                "from": str(model_dir.name),
                "weights": "int8 per output channel, but the feed-forward output projections (fp32)",
                "activations": "quantised per call (dynamic)",
            }
        )
    )
    return target


def feed_forward_outputs(path: Path) -> list[str]:
    """The MatMul of each layer's feed-forward output projection (1536 -> 384 in e5-small). Kept in fp32: on
    PIAF, quantising them cost 0.015 nDCG@10, keeping them 0.0075 (docs/bench.md)."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    return [node.name for node in graph.node if node.op_type == "MatMul" and FEED_FORWARD_OUT.search(node.name)]


def export_fp32(model_dir: Path, path: Path) -> None:
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(model_dir, attn_implementation="eager").eval()

    class Hidden(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    example = (torch.tensor([[0, 100, 200, 2], [0, 300, 2, 1]]), torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]]))
    axes = {name: {0: "batch", 1: "tokens"} for name in ("input_ids", "attention_mask", "hidden")}
    with torch.no_grad():
        torch.onnx.export(
            Hidden(),
            example,
            str(path),
            input_names=["input_ids", "attention_mask"],
            output_names=["hidden"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )


class OnnxEncoder:
    """Unit-length mean-pooled embeddings of texts, as sentence-transformers gives them."""

    def __init__(self, model_dir: Path, threads: int = 0):
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads  # 0: onnxruntime's choice, every core
        self.session = onnxruntime.InferenceSession(
            str(int8_model(model_dir)), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        pad = self.tokenizer.token_to_id("<pad>")
        self.tokenizer.enable_padding(pad_id=pad if pad is not None else 0)
        self.dim = self.session.get_outputs()[0].shape[-1]

    def tokens(self, text: str) -> int:
        """How many tokens the encoder reads of ``text`` (special tokens included, after truncation)."""
        return len(self.tokenizer.encode(text).ids)

    def encode(self, texts: list[str]) -> np.ndarray:
        batch = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in batch], dtype=np.int64)
        mask = np.array([e.attention_mask for e in batch], dtype=np.int64)
        hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / weights.sum(axis=1)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
