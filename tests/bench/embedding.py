"""The encoder on torch fp32 beside ONNX Runtime int8: speed and dense quality, the same work on both sides.

    python -m tests.bench.embedding [--passages 300] [--rounds 10] [--queries 300]

Sides: sentence-transformers on torch fp32 (``ESS_EMBEDDING_ENGINE=torch``) and the int8 ONNX model exported by
`ess model` (``onnx-int8``, `pipeline/embed/onnx_encoder.py`), both through the project's embedders, batch 8, with
the same prompts, the same tokens and the same number of threads.

- Passages: the first ``--passages`` PIAF paragraphs (title and text), both cores (torch's and onnxruntime's
  default thread counts set to 2). A discarded warm-up round, then ``--rounds`` rounds in ABBA order; per round
  the ratio int8 / fp32 of passages per second; reported: medians, interquartile ranges, every round.
- Queries: ``--queries`` distinct PIAF questions one at a time on one thread (as the API embeds them), which
  side goes first alternating per question, after 20 discarded; p50 and p95 in ms.
- Quality: dense nDCG@10 of each side's vectors alone (dot products over every passage, no index) on PIAF
  (its 1,518 paragraphs, the first 1,000 questions with qrels) and on the press set (the chunks of
  corpus/data/eval/press as `ess process` embeds them, a document ranked by its best chunk;
  tests/fixtures/queries_press.jsonl); cosine of the two sides' vectors for the same passages.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from pipeline.config import Settings
from pipeline.embed.embedder import Embedder, OnnxEmbedder, model_location
from tests.bench.latency import percentiles, quartiles
from tests.eval.retrieval import PIAF, load_piaf, ndcg
from tests.eval.shared import absent

THREADS = 2  # both cores, as `ess process` embeds
BATCH = 8


def sides(threads: int) -> dict[str, Embedder | OnnxEmbedder]:
    settings = Settings()
    location = model_location(settings)
    return {
        "torch fp32": Embedder(settings.embedding_model, location, BATCH, threads),
        "onnx int8": OnnxEmbedder(settings.embedding_model, location, BATCH, threads),
    }


def passage_rounds(models: dict, texts: list[str], rounds: int) -> dict:
    names = list(models)
    for model in models.values():
        model.passages(texts[: BATCH * 4])  # warm-up, discarded
    per_round = []
    for r in range(rounds):
        order = names if r % 4 in (0, 3) else names[::-1]
        rates = {}
        for name in order:
            started = time.perf_counter()
            models[name].passages(texts)
            rates[name] = len(texts) / (time.perf_counter() - started)
        per_round.append(
            {**{n: round(v, 2) for n, v in rates.items()}, "ratio": round(rates[names[1]] / rates[names[0]], 3)}
        )
    return {
        **{name: quartiles([r[name] for r in per_round]) for name in names},
        "ratio int8 / fp32": quartiles([r["ratio"] for r in per_round]),
        "rounds": per_round,
    }


def query_times(models: dict, questions: list[str]) -> dict:
    names = list(models)
    for q in questions[:20]:
        for model in models.values():
            model.query(q)
    times = {name: [] for name in names}
    for n, q in enumerate(questions[20:]):
        for name in names if n % 2 == 0 else names[::-1]:
            started = time.perf_counter()
            models[name].query(q)
            times[name].append((time.perf_counter() - started) * 1000)
    return {name: percentiles(ms) for name, ms in times.items()}


def dense_ndcg(model, passages: list[str], owners: list[str], questions: list[tuple[str, frozenset]]) -> float:
    """nDCG@10 of documents ranked by their best passage's dot product with the question."""
    vectors = model.passages(passages)
    total = 0.0
    for text, relevant in questions:
        ranked = list(dict.fromkeys(owners[i] for i in np.argsort(-(vectors @ model.query(text)))))[:10]
        total += ndcg(ranked, relevant)
    return round(total / len(questions), 4)


def press_set() -> tuple[list[str], list[str], list[tuple[str, frozenset]]] | None:
    """The press set's chunks as `ess process` embeds them (title, then the chunk), their documents' keys,
    and its questions; None when its cache is not built (`python -m tests.eval.fusion` builds it)."""
    from pipeline.store.reader import StoreReader
    from pipeline.store.writer import Store
    from tests.eval.fusion import CACHE, press_key, press_questions

    path = CACHE / "press" / "ess.sqlite"
    if not path.exists():
        return None
    Store(path).close()  # brings a store built before a schema change up to date
    store = StoreReader(path)
    rows = store.db.execute(
        "SELECT d.url, d.source, d.title, substr(d.text, c.start + 1, c.end - c.start) FROM chunks c "
        "JOIN documents d ON d.id = c.doc_id ORDER BY c.rowid"
    ).fetchall()
    store.close()
    passages = [f"{title or ''}\n{text}".strip() for _, _, title, text in rows]
    owners = [press_key(url, source) for url, source, _, _ in rows]
    return passages, owners, [(q.text, q.relevant) for q, _ in press_questions()]


def main(passages: int, rounds: int, queries: int) -> dict:
    if why := absent(PIAF):
        return {"skipped": why}
    corpus, piaf_queries = load_piaf()
    texts = [f"{p['title']}\n{p['text']}" for p in corpus]
    models = sides(THREADS)
    result = {"threads": {"passages": THREADS, "queries": 1}, "batch": BATCH, "timed passages": passages}
    result["passages/s"] = passage_rounds(models, texts[:passages], rounds)
    print("passages", json.dumps(result["passages/s"]["ratio int8 / fp32"]), file=sys.stderr, flush=True)
    fp32, int8 = (m.passages(texts[:200]) for m in models.values())
    result["cosine int8 vs fp32 (200 passages)"] = quartiles(list((fp32 * int8).sum(axis=1)))
    one_thread = sides(1)
    all_questions = [json.loads(line)["text"] for line in (PIAF / "queries.jsonl").open(encoding="utf-8")]
    result["query ms, one thread"] = query_times(one_thread, list(dict.fromkeys(all_questions))[: queries + 20])
    piaf = [(q.text, q.relevant) for q in piaf_queries]
    result["PIAF dense nDCG@10"] = {
        n: dense_ndcg(m, texts, [p["_id"] for p in corpus], piaf) for n, m in models.items()
    }
    if press := press_set():
        result["press dense nDCG@10"] = {n: dense_ndcg(m, *press) for n, m in models.items()}
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    print(json.dumps(main(args.passages, args.rounds, args.queries), indent=1, ensure_ascii=False))
