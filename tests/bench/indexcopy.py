"""What a reader's private copy of the embedded index costs: copying, opening, the first query, the disk.

    python -m tests.bench.indexcopy --chunks 100000 --rounds 6

Readers (the API, `ess search`, `ess check`) copy the index's files and open the copy, because Chroma writes
to the files of any index it opens. Beside it, each round opens the same files in place, as readers did
before, and runs the same query: the difference is what the copy costs. Rounds alternate which side goes
first (ABBA). The index holds random unit vectors with the pipeline's chunk metadata: copying and opening cost
the same whatever the vectors say. It is built once into corpus/data/bench/indexcopy-<chunks>/.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from pipeline.config import Settings
from pipeline.index.copies import IndexCopies
from pipeline.index.vectors import DocumentVectors, VectorIndex, forget_client
from tests.bench.chunkgen import BENCH_DIR
from tests.bench.latency import quartiles

MODEL, DIM, CHUNKS_PER_DOCUMENT, BATCH = "random-unit-vectors", 384, 10, 200
SOURCES = ("alternatives-economiques", "liberation", "ouest-france", "avise", "labo-ess")


def unit_vectors(rng: np.random.Generator, count: int) -> np.ndarray:
    vectors = rng.standard_normal((count, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def documents(first: int, count: int, rng: np.random.Generator) -> list[DocumentVectors]:
    """Documents of ten chunks each, with the metadata `ess process` writes for a chunk."""
    vectors = unit_vectors(rng, count * CHUNKS_PER_DOCUMENT)
    built = []
    for n in range(first, first + count):
        doc_id = f"{n:016x}"
        metadata = {"doc_id": doc_id, "source": SOURCES[n % len(SOURCES)], "kind": "html", "language": "fr"}
        published = 20150101 + (n % 10) * 10000 + (n % 12) * 100 + n % 28
        rows = [metadata | {"idx": i, "published": published} for i in range(CHUNKS_PER_DOCUMENT)]
        start = (n - first) * CHUNKS_PER_DOCUMENT
        ids = [f"{doc_id}:{i}" for i in range(CHUNKS_PER_DOCUMENT)]
        built.append(DocumentVectors(doc_id, ids, vectors[start : start + CHUNKS_PER_DOCUMENT], rows))
    return built


def built_index(chunks: int) -> Settings:
    """The settings of a data directory whose index holds ``chunks`` chunks, built the first time."""
    settings = Settings(data_dir=BENCH_DIR / f"indexcopy-{chunks}", chroma_host=None)
    done = settings.data_dir / "built.json"
    if done.exists():
        return settings
    index = VectorIndex(settings, MODEL, DIM, create=True)
    rng, total = np.random.default_rng(7), chunks // CHUNKS_PER_DOCUMENT
    for first in range(index.count() // CHUNKS_PER_DOCUMENT, total, BATCH):
        index.replace_documents(documents(first, min(BATCH, total - first), rng))
    done.write_text(json.dumps({"chunks": index.count()}))
    forget_client(settings.chroma_dir)
    return settings


def opened_in_place(settings: Settings, query: np.ndarray) -> dict[str, float]:
    started = time.perf_counter()
    index = VectorIndex(settings, MODEL, DIM)
    opened = time.perf_counter()
    index.query(query, 50)
    queried = time.perf_counter()
    forget_client(settings.chroma_dir)
    return {"copy s": 0.0, "open s": opened - started, "first query ms": (queried - opened) * 1000}


def opened_from_copy(settings: Settings, query: np.ndarray) -> dict[str, float]:
    copies = IndexCopies(settings)
    try:
        started = time.perf_counter()
        copy = copies.take()
        copied = time.perf_counter()
        index = VectorIndex(settings, MODEL, DIM, copy=copy.chroma)
        opened = time.perf_counter()
        index.query(query, 50)
        queried = time.perf_counter()
    finally:
        copies.close()
    return {"copy s": copied - started, "open s": opened - copied, "first query ms": (queried - opened) * 1000}


def disk_mb(folder: Path) -> dict[str, float]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    sqlite = sum(p.stat().st_size for p in files if p.name.startswith("chroma.sqlite3"))
    total = sum(p.stat().st_size for p in files)
    return {"total": round(total / 2**20, 1), "chroma.sqlite3": round(sqlite / 2**20, 1)}


def main(chunks: int, rounds: int) -> dict:
    settings = built_index(chunks)
    query = unit_vectors(np.random.default_rng(11), 1)[0]
    opened_from_copy(settings, query)  # warm-up, discarded: the files enter the page cache
    sides = {"in place": opened_in_place, "private copy": opened_from_copy}
    runs: dict[str, list[dict]] = {side: [] for side in sides}
    for n in range(rounds):
        order = list(sides) if n % 4 in (0, 3) else list(sides)[::-1]
        for side in order:
            runs[side].append(sides[side](settings, query))
    summary = {side: {k: quartiles([r[k] for r in rows]) for k in rows[0]} for side, rows in runs.items()}
    return {"chunks": chunks, "disk MB": disk_mb(settings.chroma_dir), "rounds": rounds, "summary": summary,
            "raw": runs}  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    print(json.dumps(main(args.chunks, args.rounds), indent=1))
