"""Retrieval quality of the three search modes: nDCG@10, Recall@10 and MRR@10, binary relevance.

    python -m tests.eval.retrieval [MODEL]

Two sets, both built by the real ``ess`` command into a temporary data directory, then queried with
``search_documents(..., limit=10, offset=0, collapse=False)``, so near-duplicate collapsing hides no
relevant document:

- PIAF (../shared/eval/retrieval-piaf, skipped where absent): the Wikipedia paragraphs enter by
  ``ess ingest`` as JSONL (url ``urn:piaf:<corpus id>``, which maps a hit back to the corpus), then
  ``ess process``; the sample is the first 1,000 questions of queries.jsonl that have qrels.
- Demo (tests/fixtures/queries_demo.jsonl): the bundled sites of corpus/demo, served on free loopback
  ports, crawled by ``ess crawl`` and processed by ``ess process``; a hit is ``<source>/<url path>``,
  a folder standing for its index.html.
"""

from __future__ import annotations

import csv
import json
import math
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from crawler.registry import load_registry
from crawler.sitehost import SiteHost
from pipeline.config import Settings
from pipeline.embed.embedder import get_embedder
from pipeline.index.copies import reading_copy
from pipeline.index.keywords import KeywordIndex
from pipeline.index.vectors import VectorIndex
from pipeline.records import Filters
from pipeline.store.reader import StoreReader
from search_api.retrieval import Mode, Retriever, search_documents
from search_api.schemas import SearchHit
from tests.eval.articles import evaluate_demo as evaluate_articles
from tests.eval.shared import SHARED_EVAL, absent
from tests.tests_support import DEMO, FIXTURES, run_ess

K = 10
METRICS = ("ndcg@10", "recall@10", "mrr@10")
MODES = (Mode.keyword, Mode.semantic, Mode.hybrid)
PIAF = SHARED_EVAL / "retrieval-piaf"
PIAF_QUERIES = 1000
PIAF_PREFIX = "urn:piaf:"
DEMO_QUERIES = FIXTURES / "queries_demo.jsonl"
DEMO_TYPES = ("paraphrase", "name", "acronym", "date")
BUILD_TIMEOUT = 3600


@dataclass(frozen=True)
class Query:
    text: str
    relevant: frozenset[str]
    filters: Filters | None = None
    type: str = ""


def ndcg(ranked: list[str], relevant: frozenset[str], k: int = K) -> float:
    """Discounted gain of the relevant documents in the top ``k``, over the best possible."""
    gain = sum(1 / math.log2(rank + 2) for rank, key in enumerate(ranked[:k]) if key in relevant)
    ideal = sum(1 / math.log2(rank + 2) for rank in range(min(k, len(relevant))))
    return gain / ideal


def recall(ranked: list[str], relevant: frozenset[str], k: int = K) -> float:
    """Share of the relevant documents found in the top ``k``."""
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def reciprocal_rank(ranked: list[str], relevant: frozenset[str], k: int = K) -> float:
    """1 / rank of the first relevant document in the top ``k``; 0 when there is none."""
    return next((1 / rank for rank, key in enumerate(ranked[:k], 1) if key in relevant), 0.0)


def scores(ranked: list[str], relevant: frozenset[str]) -> dict[str, float]:
    return {
        "ndcg@10": ndcg(ranked, relevant),
        "recall@10": recall(ranked, relevant),
        "mrr@10": reciprocal_rank(ranked, relevant),
    }


def mean(per_query: list[dict[str, float]]) -> dict[str, float]:
    return {metric: round(statistics.fmean(s[metric] for s in per_query), 3) for metric in METRICS}


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def ess_json(settings: Settings, *args: str, timeout: int = BUILD_TIMEOUT) -> dict:
    """The JSON a real ``ess ... --json`` command prints; RuntimeError when it fails."""
    done = run_ess(settings, *args, "--json", timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"`ess {' '.join(args)}` failed (exit {done.returncode}): {done.stderr[-3000:]}")
    return json.loads(done.stdout)


@contextmanager
def open_retriever(settings: Settings) -> Iterator[Retriever]:
    """A retriever on the store and the indexes of ``settings``, read from a private copy as the API reads them."""
    embedder = get_embedder(settings)
    store = StoreReader(settings.store_db)
    try:
        with reading_copy(settings) as copy:
            index = VectorIndex(settings, embedder.name, embedder.dim, copy=copy.chroma)
            yield Retriever(store, index, KeywordIndex(settings, copy.keywords), embedder, settings)
    finally:
        store.close()


def ranked_keys(retriever: Retriever, query: Query, mode: Mode, key: Callable[[SearchHit], str]) -> list[str]:
    """The keys of the top ``K`` documents, in rank order, each once."""
    found = search_documents(retriever, query.text, mode, limit=K, offset=0, collapse=False, filters=query.filters)
    return list(dict.fromkeys(key(hit) for hit in found.hits))


def run_modes(retriever: Retriever, queries: list[Query], key: Callable[[SearchHit], str]) -> dict[str, dict]:
    """Per mode: each query's scores and the mean milliseconds per query."""
    runs = {}
    for mode in MODES:
        ranked_keys(retriever, queries[0], mode, key)  # one-time loading (stop words, model) is not timed
        start = time.perf_counter()
        ranked = [ranked_keys(retriever, query, mode, key) for query in queries]
        elapsed = time.perf_counter() - start
        runs[mode.value] = {
            "scores": [scores(r, q.relevant) for r, q in zip(ranked, queries, strict=True)],
            "ms/query": round(1000 * elapsed / len(queries), 1),
        }
    return runs


def per_mode(runs: dict[str, dict]) -> dict[str, dict]:
    """Mean scores and speed of each mode over all queries."""
    return {mode: {**mean(run["scores"]), "ms/query": run["ms/query"]} for mode, run in runs.items()}


def per_type(runs: dict[str, dict], queries: list[Query]) -> dict[str, dict]:
    """Per query type: how many queries, and the mean scores of each mode over them."""
    out = {}
    for kind in sorted({q.type for q in queries}):
        picked = [i for i, q in enumerate(queries) if q.type == kind]
        modes = {mode: mean([run["scores"][i] for i in picked]) for mode, run in runs.items()}
        out[kind] = {"queries": len(picked), **modes}
    return out


def load_piaf(folder: Path = PIAF, limit: int = PIAF_QUERIES) -> tuple[list[dict], list[Query]]:
    """The corpus, and the first ``limit`` queries (file order) that have qrels, relevant by corpus id."""
    qrels: dict[str, set[str]] = defaultdict(set)
    with open(folder / "qrels.tsv", encoding="utf-8", newline="") as lines:
        for row in csv.DictReader(lines, delimiter="\t"):
            if int(row["score"]) > 0:
                qrels[row["query-id"]].add(row["corpus-id"])
    queries = [Query(q["text"], frozenset(qrels[q["_id"]])) for q in read_jsonl(folder / "queries.jsonl")]
    return read_jsonl(folder / "corpus.jsonl"), [q for q in queries if q.relevant][:limit]


def piaf_jsonl(corpus: list[dict], path: Path) -> Path:
    """The corpus as `ess ingest` reads JSONL, one paragraph a line."""
    lines = [
        {"id": p["_id"], "url": PIAF_PREFIX + p["_id"], "title": p["title"], "text": p["text"], "source": "piaf"}
        for p in corpus
    ]
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return path


def piaf_key(hit: SearchHit) -> str:
    return hit.url.removeprefix(PIAF_PREFIX)


def evaluate_piaf(model: str, folder: Path = PIAF) -> dict:
    """Ingest and process the PIAF corpus with the real command, then score the three modes."""
    corpus, queries = load_piaf(folder)
    with tempfile.TemporaryDirectory(prefix="ess-piaf-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", spacy_model=model)
        settings.data_dir.mkdir()
        start = time.perf_counter()
        jsonl = piaf_jsonl(corpus, Path(tmp) / "piaf.jsonl")
        ess_json(settings, "ingest", str(jsonl), "--source", "piaf", "--no-process")
        processed = ess_json(settings, "process")
        build = time.perf_counter() - start
        with open_retriever(settings) as retriever:
            runs = run_modes(retriever, queries, piaf_key)
    return {
        "embedding model": get_embedder(settings).name,
        "corpus": len(corpus),
        "queries": len(queries),
        "documents processed": processed.get("processed", 0),
        "chunks": processed.get("chunks", 0),
        "ingest + process s": round(build, 1),
        "modes": per_mode(runs),
    }


def demo_path(path: str) -> str:
    """``<source>/<path>`` as a file inside corpus/demo: a folder (or a site root) stands for its index.html."""
    path = path.strip("/")
    return path if PurePosixPath(path).suffix else f"{path}/index.html"


def demo_page(source: str, url: str) -> str:
    """Where a demo document comes from: ``<source>/<path inside the site folder>``."""
    return demo_path(f"{source}/{urlsplit(url).path.lstrip('/')}")


def demo_key(hit: SearchHit) -> str:
    return demo_page(hit.source, hit.url)


def demo_filters(given: dict | None) -> Filters | None:
    if not given:
        return None
    return Filters(
        sources=given.get("source", []),
        date_from=given.get("date_from"),
        date_to=given.get("date_to"),
        entities=given.get("entity", []),
    )


def load_demo_queries(path: Path = DEMO_QUERIES) -> list[Query]:
    return [
        Query(q["query"], frozenset(map(demo_path, q["relevant"])), demo_filters(q.get("filters")), q["type"])
        for q in read_jsonl(path)
    ]


def demo_registry(urls: dict[str, str]) -> str:
    """corpus/demo/sources.toml with each source's address replaced by the base URL it is served at now."""
    text = (DEMO / "sources.toml").read_text(encoding="utf-8")
    for source in load_registry(DEMO / "sources.toml"):
        text = text.replace(source.roots()[0], urls[source.name])
    return text


def build_demo(settings: Settings) -> tuple[Settings, dict]:
    """Serve the demo sites on free ports, crawl them with `ess crawl`, process them with `ess process`.

    Returns ``settings`` on the demo registry and the JSON reports of both commands.
    """
    names = [source.name for source in load_registry(DEMO / "sources.toml")]
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    registry = settings.data_dir / "sources.toml"
    settings = settings.model_copy(update={"sources": registry})
    with SiteHost([(DEMO / name, 0) for name in names]) as host:
        registry.write_text(demo_registry(dict(zip(names, host.urls(), strict=True))), encoding="utf-8")
        crawled = ess_json(settings, "crawl")
    return settings, {"crawl": crawled, "process": ess_json(settings, "process")}


def demo_report(settings: Settings, queries: list[Query]) -> dict:
    """The three modes on the demo queries, overall and per query type."""
    with open_retriever(settings) as retriever:
        runs = run_modes(retriever, queries, demo_key)
    return {"queries": len(queries), "modes": per_mode(runs), "by type": per_type(runs, queries)}


def evaluate_demo(model: str, path: Path = DEMO_QUERIES) -> dict:
    """Crawl and process the demo sites with the real commands, then score the three modes."""
    queries = load_demo_queries(path)
    with tempfile.TemporaryDirectory(prefix="ess-demo-") as tmp:
        start = time.perf_counter()
        settings, built = build_demo(Settings(data_dir=Path(tmp), spacy_model=model))
        build = time.perf_counter() - start
        report = demo_report(settings, queries)
        pages = evaluate_articles(settings)
    return {
        "embedding model": get_embedder(settings).name,
        "pages fetched": sum(counts.get("fetched", 0) for counts in built["crawl"].values()),
        "documents processed": built["process"].get("processed", 0),
        "crawl + process s": round(build, 1),
        "pages": pages,
        **report,
    }


def evaluate(model: str) -> dict:
    """Both sets; PIAF is skipped, with the reason, where ../shared/eval lacks it."""
    reason = absent(PIAF)
    return {"piaf": {"skipped": reason} if reason else evaluate_piaf(model), "demo": evaluate_demo(model)}


if __name__ == "__main__":
    print(json.dumps(evaluate(sys.argv[1] if len(sys.argv) > 1 else Settings().spacy_model), indent=1))
