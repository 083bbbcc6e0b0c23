"""The e5 encoder run by ONNX Runtime with int8 weights, from any sentence-transformers folder.

``export_int8`` exports the folder's transformer once with ``torch.onnx.export`` (fp32), fuses its attention,
layer norms and GELU with onnxruntime's transformer optimizer, quantises its weights to int8 per output channel
(``onnxruntime.quantization.quantize_dynamic``) and keeps only that model, in ``<folder>/onnx/``. A matrix
product whose input carries outliers too wide for one 8-bit scale stays in fp32 (``wide_inputs``). ``OnnxEncoder``
then embeds with onnxruntime and the folder's tokenizer (its sentencepiece copy, ``pipeline.embed.spm_tokenizer``,
when the export could make one; else ``tokenizers``): mean pooling over the tokens, then unit length, as the
folder's sentence-transformers pipeline does. Neither torch nor transformers is imported to embed.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

import numpy as np

from pipeline.embed import spm_tokenizer
from pipeline.embed.spm_tokenizer import SentencePieceTokenizer

log = logging.getLogger(__name__)

ONNX_FOLDER = "onnx"
INT8_MODEL = "model-int8.onnx"
MAX_TOKENS = 512  # e5's position embeddings
# A matrix product stays in fp32 when the 8-bit step of its input's range exceeds this share of the input's
# root mean square. In e5-small three feed-forward output projections (layers 0, 4 and 5) carry activations
# of 33 to 64 beside a root mean square near 0.2: on PIAF paragraphs a step of 0.66 to 1.13 RMS, where every
# other input stays at or under 0.34. Quantising each product alone, on PIAF's tuning half, showed the same
# three as those that move the vectors most (docs/bench.md).
WIDEST_STEP = 0.4
# Texts run through the fp32 model to measure each input's range: passages of the length and kind the index
# holds, and queries.
CALIBRATION = (
    "passage: La coopérative d'activité et d'emploi du Gers accompagne aujourd'hui quarante entrepreneurs "
    "salariés, du maraîcher au traducteur. Chacun garde son activité et sa clientèle, mais signe un contrat de "
    "travail avec la coopérative, qui tient la comptabilité, verse les salaires et assure les responsabilités "
    "juridiques. Au bout de trois ans, une douzaine d'entre eux sont devenus associés. « On partage les risques "
    "et les outils, pas seulement un bureau », résume la gérante, qui prépare l'ouverture d'une antenne à Auch.",
    "passage: Le pôle territorial de coopération économique réunit depuis 2019 des associations, des "
    "entreprises d'insertion, deux communautés de communes et un bailleur social autour du réemploi des "
    "matériaux de construction. Selon son rapport annuel, ses chantiers ont embauché 120 personnes en 2023, "
    "dont un tiers de chômeurs de longue durée, et détourné 900 tonnes de déchets de l'enfouissement. La "
    "région a renouvelé sa subvention pour trois ans ; l'État finance un poste de coordinateur.",
    "passage: La mairie a inscrit une clause sociale dans le marché de nettoyage des écoles : 10 % des heures "
    "travaillées doivent revenir à des personnes éloignées de l'emploi. Les mutuelles régionales préparent "
    "leur fusion pour le 1er janvier prochain, tandis qu'une association de quartier ouvre une épicerie "
    "solidaire rue Victor-Hugo, à Lille, avec le soutien de la chambre régionale de l'ESS.",
    "query: financement des entreprises de l'économie sociale et solidaire",
    "query: Qui préside la chambre régionale de l'ESS en Bretagne ?",
)


def int8_model(model_dir: Path) -> Path:
    return model_dir / ONNX_FOLDER / INT8_MODEL


def export_int8(model_dir: Path) -> Path:
    """The int8 model of ``model_dir``, exported and quantised when it is not there yet (about a minute), with
    the sentencepiece copy of its tokenizer when one reproduces it."""
    target = int8_model(model_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        quantised(model_dir, target)
    if not spm_tokenizer.tried(target.parent):
        if why_not := spm_tokenizer.convert(model_dir, target.parent):
            log.warning("embedding with tokenizers (about 280 MB more per process for e5): %s", why_not)
    return target


def quantised(model_dir: Path, target: Path) -> None:
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        fp32, fused, quantized = (Path(work) / name for name in ("model.onnx", "fused.onnx", INT8_MODEL))
        export_fp32(model_dir, fp32)
        fuse(model_dir, fp32, fused)
        kept = wide_inputs(fused, model_dir)
        quantize(fused, quantized, kept)
        os.replace(quantized, target)  # whole or absent, whoever reads it
    (target.parent / "export.json").write_text(
        json.dumps(
            {
                "from": str(model_dir.name),
                "graph": "attention, layer norms and GELU fused (onnxruntime.transformers.optimizer)",
                "weights": "int8 per output channel",
                "kept in fp32 (inputs too wide for 8 bits)": kept,
                "activations": "quantised per call (dynamic)",
            },
            indent=1,
        )
    )


def fuse(model_dir: Path, source: Path, target: Path) -> None:
    from onnxruntime.transformers import optimizer

    config = json.loads((model_dir / "config.json").read_text())
    fused = optimizer.optimize_model(
        str(source),
        model_type="bert",
        num_heads=config["num_attention_heads"],
        hidden_size=config["hidden_size"],
        opt_level=1,
    )
    fused.save_model_to_file(str(target))


def quantize(source: Path, target: Path, kept: list[str]) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        source,
        target,
        per_channel=True,
        weight_type=QuantType.QInt8,
        nodes_to_exclude=kept,
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},  # fused operators carry no inferred types
    )


def wide_inputs(path: Path, model_dir: Path) -> list[str]:
    """The matrix products whose input, over ``CALIBRATION``, spans more than ``WIDEST_STEP`` root mean squares
    per 8-bit step."""
    import onnx
    import onnxruntime

    model = onnx.load(str(path))
    products = [n for n in model.graph.node if n.op_type == "MatMul"]
    probed = list(dict.fromkeys(n.input[0] for n in products))
    for name in probed:
        model.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    ids, mask = tokenized(load_tokenizer(model_dir), list(CALIBRATION))
    values = dict(zip(probed, session.run(probed, {"input_ids": ids, "attention_mask": mask}), strict=True))
    return [n.name for n in products if quantisation_step(values[n.input[0]][mask.astype(bool)]) > WIDEST_STEP]


def quantisation_step(values: np.ndarray) -> float:
    """The step of an 8-bit grid over ``values``' range (zero included, as dynamic quantisation does), in root
    mean squares of ``values``."""
    span = max(float(values.max()), 0.0) - min(float(values.min()), 0.0)
    return span / 255 / float(np.sqrt(np.mean(np.square(values))))


def load_tokenizer(model_dir: Path) -> SentencePieceTokenizer | FolderTokenizer:
    """The export's sentencepiece copy of the folder's tokenizer (``pipeline.embed.spm_tokenizer``), else the folder's
    own; either truncates at ``MAX_TOKENS``."""
    onnx_folder = model_dir / ONNX_FOLDER
    if spm_tokenizer.converted(onnx_folder):
        return SentencePieceTokenizer(onnx_folder, MAX_TOKENS)
    return FolderTokenizer(model_dir)


class FolderTokenizer:
    """The folder's ``tokenizer.json`` run by ``tokenizers``."""

    def __init__(self, model_dir: Path, max_tokens: int = MAX_TOKENS):
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        pad = self.tokenizer.token_to_id("<pad>")
        self.pad_id = pad if pad is not None else 0

    def ids(self, texts: list[str]) -> list[list[int]]:
        return [encoding.ids for encoding in self.tokenizer.encode_batch(texts)]


def tokenized(tokenizer: SentencePieceTokenizer | FolderTokenizer, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and attention mask of ``texts``, one batch padded to its longest text."""
    rows = tokenizer.ids(texts)
    width = max(map(len, rows))
    ids = np.full((len(rows), width), tokenizer.pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for number, row in enumerate(rows):
        ids[number, : len(row)], mask[number, : len(row)] = row, 1
    return ids, mask


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

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or len(os.sched_getaffinity(0))  # 0: every core this process may use
        self.session = onnxruntime.InferenceSession(
            str(int8_model(model_dir)), options, providers=["CPUExecutionProvider"]
        )
        self.folder = model_dir
        self.tokenizer = load_tokenizer(model_dir)
        self.dim = self.session.get_outputs()[0].shape[-1]

    def tokens(self, text: str) -> int:
        """How many tokens the encoder reads of ``text`` (special tokens included, after truncation)."""
        return len(self.tokenizer.ids([text])[0])

    def encode(self, texts: list[str]) -> np.ndarray:
        ids, mask = tokenized(self.tokenizer, texts)
        hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / weights.sum(axis=1)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
