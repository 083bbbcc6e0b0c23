"""Keyword engines side by side: SQLite FTS5 against tantivy over the same French terms.

    python -m tests.bench.keywords --chunks 100000 --queries 400

Both engines index exactly the terms `pipeline.index.analysis` gives (title and text of each chunk, already stemmed
and folded; tantivy splits them on spaces, FTS5 with unicode61 and no further folding) and are asked the same
OR of a query's terms for the same number of hits. Sides:

- FTS5: the table the store held until schema v6 (title, text), ``bm25(chunks_fts, 2, 1)``, ``ORDER BY`` it
  ``LIMIT k``: every matching row is scored before the sort.
- tantivy, written as `pipeline.index.keywords` writes (per batch a writer, a commit, its merges waited for): one
  field holding the title's terms twice then the text's (frequencies, no positions), one ``should`` term
  query per term, top k by BM25 with Block-Max WAND, which skips blocks that cannot enter the top k. On
  PIAF's tuning half this field ties FTS5 (0.842); two fields with the title boosted by 2, 1 or 0.5 reached
  0.773, 0.819 and 0.832.

Measured: nDCG@10 on PIAF (split by article, as the retrieval eval), writing the synthetic chunks of
`tests.bench.chunkgen` in batches of documents (seconds and size on disk), query time at ``--chunks`` for
rare terms (those in at most 20 chunks, or the ``--queries`` rarest), common pairs (two of the 100 most
frequent terms) and PIAF questions (mixed), alternating which engine goes first per query after a discarded
warm-up pass, and what a ``kill -9`` in the middle of writing leaves. Results as JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import tantivy

from pipeline.index.analysis import query_terms, terms
from tests.bench.chunkgen import plan
from tests.bench.latency import percentiles
from tests.eval.keywords import TITLE_WEIGHT, fts_query, piaf_questions
from tests.eval.retrieval import ndcg

BATCH_CHUNKS = 200  # chunks per transaction or commit, about what one `ess process` batch writes
DEPTH = 200  # hits asked for, as search_api.retrieval asks each retriever (CANDIDATES)
RARE_MAX = 20  # a rare term is in 1 to RARE_MAX chunks
COMMON_TERMS = 100


class Fts5:
    name = "SQLite FTS5"

    def __init__(self, folder: Path):
        self.path = folder / "keywords.sqlite"
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(title, text, "
            "tokenize = 'unicode61 remove_diacritics 0')"
        )

    def write(self, rows: list[tuple[int, str, str]]) -> None:
        self.db.execute("BEGIN")
        self.db.executemany("INSERT INTO chunks_fts (rowid, title, text) VALUES (?, ?, ?)", rows)
        self.db.execute("COMMIT")

    def search(self, asked: list[str], k: int) -> list[int]:
        found = self.db.execute(
            f"SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY bm25(chunks_fts, {TITLE_WEIGHT}, 1.0) "
            "LIMIT ?",
            (fts_query(asked), k),
        )
        return [row[0] for row in found]

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM chunks_fts").fetchone()[0]

    def finish(self) -> None:
        """Fold the write-ahead log into the database, so that its size is the table's."""
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


class Tantivy:
    name = "tantivy"

    def __init__(self, folder: Path):
        self.path = folder / "tantivy"
        self.path.mkdir(exist_ok=True)
        builder = tantivy.SchemaBuilder()
        builder.add_unsigned_field("rowid", stored=True, indexed=True, fast=True)
        builder.add_text_field("terms", tokenizer_name="whitespace", index_option="freq")
        self.schema = builder.build()
        self.index = tantivy.Index(self.schema, path=str(self.path), reuse=True)

    def write(self, rows: list[tuple[int, str, str]]) -> None:
        """As `pipeline.index.keywords` writes a batch: a writer, the rows, a commit, the merges waited for."""
        writer = self.index.writer(heap_size=50_000_000, num_threads=1)
        for rowid, title, text in rows:
            document = tantivy.Document(terms=f"{title} {title} {text}")
            document.add_unsigned("rowid", rowid)
            writer.add_document(document)
        writer.commit()
        writer.wait_merging_threads()

    def query(self, asked: list[str]) -> tantivy.Query:
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "terms", t)) for t in asked]
        )

    def search(self, asked: list[str], k: int) -> list[int]:
        searcher = self.index.searcher()
        hits = searcher.search(self.query(asked), limit=k, count=False).hits
        return [searcher.doc(address)["rowid"][0] for _, address in hits]

    def count(self) -> int:
        self.finish()
        return self.index.searcher().num_docs

    def finish(self) -> None:
        self.index.reload()


ENGINES = {"fts5": Fts5, "tantivy": Tantivy}


def analysed(title: str, text: str) -> tuple[str, str]:
    return " ".join(terms(title)), " ".join(terms(text))


def synthetic_rows(chunks: int) -> list[list[tuple[int, str, str]]]:
    """The chunks of the synthetic press index as batches of analysed rows."""
    batches, batch, rowid = [], [], 0
    for planned in plan(chunks):
        for chunk in planned.chunks:
            rowid += 1
            batch.append((rowid, *analysed(planned.doc.title or "", chunk.text)))
        if len(batch) >= BATCH_CHUNKS:
            batches.append(batch)
            batch = []
    return batches + ([batch] if batch else [])


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def quality(workdir: Path) -> dict:
    """nDCG@10 of each engine on PIAF, a paragraph per row, questions split by article."""
    corpus, questions, relevant, half = piaf_questions()
    ids = [d["_id"] for d in corpus]
    rows = [(n + 1, *analysed(d["title"], d["text"])) for n, d in enumerate(corpus)]
    result = {}
    for key, engine_class in ENGINES.items():
        folder = workdir / f"piaf-{key}"
        folder.mkdir()
        engine = engine_class(folder)
        for start in range(0, len(rows), 5000):
            engine.write(rows[start : start + 5000])
        engine.finish()
        scores: dict[int, list[float]] = {0: [], 1: []}
        for q, text in questions.items():
            asked = query_terms(text)
            ranked = [ids[r - 1] for r in engine.search(asked, 10)] if asked else []
            scores[half[q]].append(ndcg(ranked, relevant[q]))
        result[engine_class.name] = {
            name: round(statistics.mean(scores[h]), 3) for h, name in enumerate(("tuning", "held-out"))
        }
    return result


def write_cost(workdir: Path, batches: list) -> tuple[dict, dict]:
    engines, result = {}, {}
    for key, engine_class in ENGINES.items():
        folder = workdir / f"index-{key}"
        folder.mkdir()
        engine = engine_class(folder)
        started = time.perf_counter()
        for batch in batches:
            engine.write(batch)
        engine.finish()
        seconds = time.perf_counter() - started
        result[engine_class.name] = {
            "seconds": round(seconds, 1),
            "chunks/s": round(sum(map(len, batches)) / seconds),
            "MB on disk": round(folder_size(folder) / 1e6, 1),
            "rows": engine.count(),
        }
        engines[key] = engine
    return engines, result


def query_sets(batches: list, questions: list[str], count: int) -> dict[str, list[list[str]]]:
    frequency = Counter()
    for batch in batches:
        for _, title, text in batch:
            frequency.update(set(f"{title} {text}".split()))
    rng = random.Random(7)
    by_rarity = sorted(frequency, key=lambda t: (frequency[t], t))
    rare = by_rarity[: max(count, sum(1 for n in frequency.values() if n <= RARE_MAX))]
    common = [t for t, _ in frequency.most_common(COMMON_TERMS)]
    mixed = [asked for q in questions if (asked := query_terms(q))]
    in_chunks = f"{frequency[rare[0]]}-{frequency[rare[-1]]}"
    return {
        f"rare (one term in {in_chunks} chunks)": [[t] for t in rng.sample(rare, min(count, len(rare)))],
        f"common (two of the {COMMON_TERMS} most frequent terms)": [rng.sample(common, 2) for _ in range(count)],
        "mixed (PIAF questions)": mixed[:count],
    }


def latency(engines: dict, sets: dict[str, list[list[str]]]) -> dict:
    result = {}
    for name, queries in sets.items():
        for asked in queries[:50]:  # warm-up, discarded
            for engine in engines.values():
                engine.search(asked, DEPTH)
        times: dict[str, list[float]] = {key: [] for key in engines}
        for n, asked in enumerate(queries):
            order = list(engines) if n % 4 in (0, 3) else list(reversed(engines))  # ABBA
            for key in order:
                started = time.perf_counter()
                engines[key].search(asked, DEPTH)
                times[key].append((time.perf_counter() - started) * 1000)
        result[name] = {engines[key].name: percentiles(ms) for key, ms in times.items()}
    return result


def write_forever(engine_key: str, folder: Path, chunks: int) -> None:
    """Child of the kill -9 test: write batches, print how many rows are committed after each commit."""
    engine = ENGINES[engine_key](folder)
    for batch in synthetic_rows(chunks):
        engine.write(batch)
        print(batch[-1][0], flush=True)


def killed(workdir: Path, chunks: int) -> dict:
    """kill -9 each engine's writer a few commits in; what the index holds and whether it opens and writes."""
    boundaries = {0}
    for batch in synthetic_rows(chunks):
        boundaries.add(batch[-1][0])
    result = {}
    for key, engine_class in ENGINES.items():
        folder = workdir / f"killed-{key}"
        folder.mkdir()
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.bench.keywords",
                "--write-forever",
                key,
                str(folder),
                "--chunks",
                str(chunks),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(5):
            child.stdout.readline()
        time.sleep(0.05)  # into the next batch
        os.kill(child.pid, signal.SIGKILL)
        committed = int(child.stdout.read().split()[-1])  # the last commit the child saw through
        child.wait()
        engine = engine_class(folder)
        held = engine.count()
        engine.write([(10**9, "verif", "verif")])
        result[engine_class.name] = {
            "committed before the kill": committed,
            "rows after reopening": held,
            "whole batches only": held in boundaries,
            "every commit kept": held >= committed,
            "writes again": engine.count() == held + 1,
            "finds": engine.search(["verif"], 1) == [10**9],
        }
        engine.finish()
    return result


def main(chunks: int, count: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="ess-keywords-"))
    try:
        result = {
            "chunks": chunks,
            "hits asked": DEPTH,
            "batch": BATCH_CHUNKS,
            "quality (nDCG@10, PIAF)": quality(workdir),
        }
        batches = synthetic_rows(chunks)
        engines, result["writing"] = write_cost(workdir, batches)
        _, questions, _, _ = piaf_questions(all_questions=True)
        result["query ms"] = latency(engines, query_sets(batches, list(questions.values()), count))
        result["kill -9 while writing"] = killed(workdir, 5_000)
        return result
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--write-forever", nargs=2, metavar=("ENGINE", "FOLDER"))
    args = parser.parse_args()
    if args.write_forever:
        write_forever(args.write_forever[0], Path(args.write_forever[1]), args.chunks)
    else:
        print(json.dumps(main(args.chunks, args.queries), indent=1, ensure_ascii=False))
