"""Embedding paths on CPU: speed on the same passages and semantic nDCG@10 on PIAF, side by side.

    python -m tests.bench.embedding [PASSAGES]

sentence-transformers' own ONNX and OpenVINO backends need optimum-onnx, whose releases pin
transformers below 4.58 (this project runs transformers 5), so they are not among the paths.

Each path embeds the same PIAF paragraphs (``passage: `` prompt) and the first 1,000 PIAF questions
with qrels (``query: `` prompt); a question's ranking is the dot product of normalised vectors over
every paragraph, so the nDCG@10 compares the vectors alone. Speed is timed on the first
``PASSAGES`` paragraphs, after one warm-up batch. Needs ../shared/eval/retrieval-piaf.
"""

from __future__ import annotations

import json
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


def passages_per_second(model: Embedder, texts: list[str]) -> float:
    model.passages(texts[:8])
    started = time.perf_counter()
    model.passages(texts)
    return len(texts) / (time.perf_counter() - started)


def semantic_ndcg(model: Embedder, corpus: list[dict], queries) -> float:
    vectors = model.passages([f"{p['title']}\n{p['text']}" for p in corpus])
    ids = [p["_id"] for p in corpus]
    total = 0.0
    for query in queries:
        best = np.argsort(-(vectors @ model.query(query.text)))[:10]
        total += ndcg([ids[i] for i in best], query.relevant)
    return total / len(queries)


def main(timed_passages: int) -> dict:
    if why := absent(PIAF):
        return {"skipped": why}
    corpus, queries = load_piaf()
    texts = [f"{p['title']}\n{p['text']}" for p in corpus[:timed_passages]]
    results = {}
    for name, make in PATHS.items():
        model = make()
        speed = passages_per_second(model, texts)
        results[name] = {
            "passages/s": round(speed, 2),
            "PIAF semantic nDCG@10": round(semantic_ndcg(model, corpus, queries), 4),
        }
        print(name, results[name], file=sys.stderr, flush=True)
    baseline = next(iter(results.values()))
    for row in results.values():
        row["speed-up"] = round(row["passages/s"] / baseline["passages/s"], 2)
        row["nDCG@10 change"] = round(row["PIAF semantic nDCG@10"] - baseline["PIAF semantic nDCG@10"], 4)
    return {"torch threads": torch.get_num_threads(), "timed passages": len(texts), "paths": results}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 300), indent=1))
