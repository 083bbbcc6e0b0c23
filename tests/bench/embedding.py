"""Embedding paths on CPU: speed on the same passages and semantic nDCG@10 on PIAF, side by side.

    python -m tests.bench.embedding [PASSAGES]

sentence-transformers' own ONNX and OpenVINO backends need optimum-onnx, whose releases pin
transformers below 4.58 (this project runs transformers 5), so they are not among the paths.

Speed: the first ``PASSAGES`` PIAF paragraphs (``passage: `` prompt), every path in turn for 3
rounds (so a busy machine slows all alike), median passages per second. Quality: each path embeds
all the PIAF paragraphs and the first 1,000 PIAF questions with qrels (``query: `` prompt); a
question's ranking is the dot product of normalised vectors over every paragraph, so the nDCG@10
compares the vectors alone. Needs ../shared/eval/retrieval-piaf.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import warnings
from collections.abc import Callable

import numpy as np
import torch

from pipeline.config import Settings
from pipeline.embed import Embedder, model_location
from tests.eval.retrieval import PIAF, load_piaf, ndcg
from tests.eval.shared import absent


def embedder(batch_size: int, quantize: bool = False) -> Embedder:
    settings = Settings()
    model = Embedder(settings.embedding_model, model_location(settings), batch_size)
    if quantize:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch announces the move of this API to torchao
            model.model = torch.ao.quantization.quantize_dynamic(model.model, {torch.nn.Linear}, dtype=torch.qint8)
    return model


PATHS: dict[str, Callable[[], Embedder]] = {
    "fp32, batch 32 (the library's default)": lambda: embedder(32),
    "fp32, batch 8 (ours)": lambda: embedder(8),
    "int8 linear layers (torch dynamic quantisation), batch 8": lambda: embedder(8, quantize=True),
}


def speeds(models: dict[str, Embedder], texts: list[str], rounds: int) -> dict[str, float]:
    """Passages per second of each path, median of ``rounds`` rounds in which every path runs once in turn."""
    for model in models.values():
        model.passages(texts[:8])
    rates: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(rounds):
        for name, model in models.items():
            started = time.perf_counter()
            model.passages(texts)
            rates[name].append(len(texts) / (time.perf_counter() - started))
    return {name: statistics.median(values) for name, values in rates.items()}


def semantic_ndcg(model: Embedder, corpus: list[dict], queries) -> float:
    vectors = model.passages([f"{p['title']}\n{p['text']}" for p in corpus])
    ids = [p["_id"] for p in corpus]
    total = 0.0
    for query in queries:
        best = np.argsort(-(vectors @ model.query(query.text)))[:10]
        total += ndcg([ids[i] for i in best], query.relevant)
    return total / len(queries)


def main(timed_passages: int, rounds: int = 3) -> dict:
    if why := absent(PIAF):
        return {"skipped": why}
    corpus, queries = load_piaf()
    texts = [f"{p['title']}\n{p['text']}" for p in corpus[:timed_passages]]
    models = {name: make() for name, make in PATHS.items()}
    rates = speeds(models, texts, rounds)
    results = {}
    for name, model in models.items():
        quality = semantic_ndcg(model, corpus, queries)
        results[name] = {"passages/s": round(rates[name], 2), "PIAF semantic nDCG@10": round(quality, 4)}
        print(name, results[name], file=sys.stderr, flush=True)
    baseline = next(iter(results.values()))
    for row in results.values():
        row["speed-up"] = round(row["passages/s"] / baseline["passages/s"], 2)
        row["nDCG@10 change"] = round(row["PIAF semantic nDCG@10"] - baseline["PIAF semantic nDCG@10"], 4)
    return {"torch threads": torch.get_num_threads(), "timed passages": len(texts), "rounds": rounds, "paths": results}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 300), indent=1))
