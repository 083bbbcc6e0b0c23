"""Each processing stage beside its bare library doing the same work, on the same input, in the same run.

    python -m tests.bench.stages [--site FOLDER] [--docs N] [--rounds R] [--stage NAME]

The input is the article pages of a site folder (default: the bundled demo, ``corpus/demo``; ``make
bench`` passes the synthetic sites of ``tests/bench/sitegen.py``): the first N pages that ``ess
process`` keeps as documents. After a discarded warm-up round, ours and bare run R rounds in ABBA order
(ours first in rounds 1 and 4 of every four); reported: every round, the medians, and the median and
interquartile range of the per-round ratio ours / bare. Each stage runs in its own child process, whose
peak memory (max RSS) is reported too.

- extraction: ``pipeline.extract.main_text.extract_html`` / ``trafilatura.bare_extraction`` with the same options
  (metadata with the extensive date search, tables, links) and the same serialisation of the main text
  (``xmltotxt``); beside them, for reference, ``trafilatura.extract`` with the same options (which also
  computes a fingerprint and writes a header) and with the library's defaults
- NLP: our pipeline (gazetteer, NER, dates; false positives filtered) / ``nlp.pipe`` of the same model
  with the same statistical components on (NER and what it listens to; parser, lemmatizer and
  morphologizer off on both sides); output parity: the share of bare NER's entity spans that ours keeps
- embedding: ``Embedder.passages`` with the project's settings / the same model driven directly by its
  library with the same batch size (onnxruntime on the int8 model, in file order; or
  ``SentenceTransformer.encode`` on the torch engine)
- indexing: ``VectorIndex.replace_documents`` per batch of documents, as ``ess process`` writes /
  ``collection.add`` of the same ids, vectors and metadata per batch, each on a fresh collection
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from pipeline.config import PROJECT_ROOT, Settings
from pipeline.extract.article_rule import Page, Thresholds, judge
from pipeline.extract.chunks import chunk_spans
from pipeline.extract.main_text import extract_html
from tests.bench.latency import quartiles

DEMO = PROJECT_ROOT / "corpus" / "demo"
STAGES = ("extraction", "NLP", "embedding", "indexing")
EMBEDDED_CHUNKS = 64  # chunks per embedding round: at about 5 chunks/s a round takes some 15 s
INDEXED_CHUNKS = 4000  # chunks per indexing round (random unit vectors: the content does not change the cost)


def article_pages(site: Path, limit: int) -> list[tuple[str, bytes]]:
    """The first ``limit`` pages (path order) that the article rule keeps as documents (not listings, not stubs)."""
    kept, limits = [], Thresholds.from_settings(Settings())
    for path in sorted(site.rglob("*.html")):
        url, body = f"http://bench.invalid/{path.relative_to(site)}", path.read_bytes()
        page = extract_html(body, url)
        if judge(Page(url, "html", page.words, page.link_density, page.signals), limits).keep:
            kept.append((url, body))
            if len(kept) == limit:
                break
    return kept


def alternate(ours: Callable[[], int], bare: Callable[[], int], rounds: int, **others: Callable[[], int]) -> dict:
    """Items per second of each, after a discarded warm-up, in ABBA order; the others (reference rows) run
    after both; medians, and the per-round ratio ours / bare as median and interquartile range."""
    works = {"ours": ours, "bare": bare}
    for work in (*works.values(), *others.values()):
        work()
    per_round = []
    for r in range(rounds):
        order = list(works) if r % 4 in (0, 3) else list(works)[::-1]
        rates = {name: rate(works[name]) for name in order} | {name: rate(work) for name, work in others.items()}
        per_round.append(
            {**{k: round(v, 2) for k, v in rates.items()}, "ratio": round(rates["ours"] / rates["bare"], 3)}
        )
    medians = {name: round(statistics.median(r[name] for r in per_round), 2) for name in (*works, *others)}
    return {**medians, "ratio": quartiles([r["ratio"] for r in per_round]), "rounds": per_round}


def rate(work: Callable[[], int]) -> float:
    started = time.perf_counter()
    items = work()
    return items / (time.perf_counter() - started)


def extraction(pages: list[tuple[str, bytes]], rounds: int) -> dict:
    """Bare: ``trafilatura.bare_extraction`` with our options and our serialisation of the main text."""
    import trafilatura
    from trafilatura.xml import xmltotxt

    options = {"with_metadata": True, "include_tables": True, "include_links": True, "include_comments": False}
    dates = {"extensive_search": True, "original_date": True}

    def bare(body: bytes, url: str) -> str:
        result = trafilatura.bare_extraction(body, url=url, **options, date_extraction_params=dates)
        return xmltotxt(result.body, include_formatting=False).strip() if result and result.body is not None else ""

    return alternate(
        lambda: len([extract_html(body, url) for url, body in pages]),
        lambda: len([bare(body, url) for url, body in pages]),
        rounds,
        **{
            "trafilatura.extract, same options": lambda: len(
                [trafilatura.extract(b, url=u, **options, date_extraction_params=dates) for u, b in pages]
            ),
            "trafilatura.extract, defaults": lambda: len([trafilatura.extract(b, url=u) for u, b in pages]),
        },
    ) | {"unit": "docs/s", "items": len(pages)}


def nlp_stage(pages: list[tuple[str, bytes]], rounds: int) -> dict:
    from pipeline.nlp.dates import iso_value
    from pipeline.nlp.tagger import entities, load_nlp, statistical_ner

    settings = Settings()
    texts = [extract_html(body, url).text for url, body in pages]
    ours_nlp, bare_nlp = load_nlp(settings.spacy_model, str(settings.gazetteer)), statistical_ner(settings.spacy_model)
    found = entities(ours_nlp, texts, [None] * len(texts))[0]
    ours_spans = {(n, m.start, m.end, m.label) for n, mentions in enumerate(found) for m in mentions}
    bare_spans = {
        (n, e.start_char, e.end_char, e.label_)
        for n, doc in enumerate(bare_nlp.pipe(texts, batch_size=16))
        for e in doc.ents
    }

    def ours() -> int:
        iso_value.cache_clear()  # each round as a fresh run: dates met again only within the round's documents
        return len(entities(ours_nlp, texts, [None] * len(texts))[0])

    return alternate(
        ours,
        lambda: len(list(bare_nlp.pipe(texts, batch_size=16))),
        rounds,
    ) | {
        "unit": "docs/s",
        "items": len(texts),
        "model": settings.spacy_model,
        "components, ours / bare": [ours_nlp.pipe_names, bare_nlp.pipe_names],
        "parity": {
            "bare entity spans": len(bare_spans),
            "kept by ours (same span and label)": round(len(bare_spans & ours_spans) / max(len(bare_spans), 1), 3),
            "ours only (gazetteer, dates, places)": len(ours_spans - bare_spans),
        },
    }


def chunk_inputs(pages: list[tuple[str, bytes]], limit: int) -> list[str]:
    """What ``ess process`` embeds for the chunks of these pages: title and chunk text."""
    inputs = []
    for url, body in pages:
        page = extract_html(body, url)
        inputs += [f"{page.title or ''}\n{page.text[start:end]}".strip() for start, end in chunk_spans(page.text)]
    return inputs[:limit]


def embedding(pages: list[tuple[str, bytes]], rounds: int) -> dict:
    from pipeline.embed.embedder import get_embedder

    settings = Settings()
    texts = chunk_inputs(pages, EMBEDDED_CHUNKS)
    ours = get_embedder(settings)
    bare, library = bare_encoder(ours, settings)
    return alternate(lambda: len(ours.passages(texts)), lambda: len(bare(texts)), rounds) | {
        "unit": "chunks/s",
        "items": len(texts),
        "model": ours.name,
        "ours settings": f"batch size {ours.batch_size}, texts sorted by length",
        "bare settings": f"{library}, batch size {ours.batch_size}, the same prompt and normalisation",
    }


def bare_encoder(ours, settings: Settings) -> tuple[Callable[[list[str]], np.ndarray], str]:
    """The library under our embedder, called directly with the same batch size."""
    prompt = ours.prompts.get("passage", "") if hasattr(ours, "prompts") else ours.model.prompts["passage"]
    if settings.embedding_engine == "torch":
        model = ours.model
        return lambda texts: model.encode([prompt + t for t in texts], batch_size=ours.batch_size,
                                          normalize_embeddings=True), "SentenceTransformer.encode"  # fmt: skip
    encoder, size = ours.encoder, ours.batch_size
    return lambda texts: np.concatenate(
        [encoder.encode([prompt + t for t in texts[i : i + size]]) for i in range(0, len(texts), size)]
    ), "onnxruntime session on the same int8 model, texts in file order"


def indexing(rounds: int, chunks: int = INDEXED_CHUNKS, per_document: int = 4) -> dict:
    import chromadb

    from pipeline.index.vectors import DocumentVectors, VectorIndex

    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(chunks, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    docs = [f"{n:016x}" for n in range(chunks // per_document)]
    ids = [[f"{d}:{i}" for i in range(per_document)] for d in docs]
    meta = [[{"doc_id": d, "source": "bench", "kind": "html", "language": "fr", "idx": i, "published": 20250312}
             for i in range(per_document)] for d in docs]  # fmt: skip
    size = Settings().batch_documents
    batches = [range(s, min(s + size, len(docs))) for s in range(0, len(docs), size)]

    def ours() -> int:
        with tempfile.TemporaryDirectory() as tmp:
            index = VectorIndex(Settings(data_dir=Path(tmp)), "bench", 384, create=True)
            for batch in batches:
                index.replace_documents(
                    [
                        DocumentVectors(docs[d], ids[d], vectors[d * per_document : (d + 1) * per_document], meta[d])
                        for d in batch
                    ]  # fmt: skip
                )
        return chunks

    def bare() -> int:
        with tempfile.TemporaryDirectory() as tmp:
            collection = chromadb.PersistentClient(tmp).create_collection(
                "bench", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
            )
            for batch in batches:
                collection.add(
                    ids=list(itertools.chain.from_iterable(ids[d] for d in batch)),
                    embeddings=vectors[batch.start * per_document : batch.stop * per_document].tolist(),
                    metadatas=list(itertools.chain.from_iterable(meta[d] for d in batch)),
                )
        return chunks

    return alternate(ours, bare, rounds) | {"unit": "chunks/s", "items": chunks, "batch": f"{size} documents"}


def run_stage(stage: str, site: Path, docs: int, rounds: int) -> dict:
    if stage == "indexing":
        result = indexing(rounds)
    else:
        pages = article_pages(site, docs)
        result = {"extraction": extraction, "NLP": nlp_stage, "embedding": embedding}[stage](pages, rounds)
    return result | {"peak MB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main(site: Path = DEMO, docs: int = 100, rounds: int = 10) -> dict:
    """Every stage in its own child process, one after the other."""
    results = {}
    for stage in STAGES:
        command = [sys.executable, "-m", "tests.bench.stages", "--stage", stage, "--site", str(site)]
        done = subprocess.run(
            [*command, "--docs", str(docs), "--rounds", str(rounds)], capture_output=True, text=True, check=True
        )
        results[stage] = json.loads(done.stdout)
        print(stage, {k: results[stage][k] for k in ("ours", "bare", "ratio")}, file=sys.stderr, flush=True)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", type=Path, default=DEMO)
    parser.add_argument("--docs", type=int, default=100, help="Article pages to take (default 100).")
    parser.add_argument("--rounds", type=int, default=10, help="ABBA rounds after the warm-up (default 10).")
    parser.add_argument("--stage", choices=STAGES, help="Run this stage only, in this process.")
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(run_stage(args.stage, args.site, args.docs, args.rounds)))
    else:
        print(json.dumps(main(args.site, args.docs, args.rounds), indent=1))
