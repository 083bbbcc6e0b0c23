"""Keyword, semantic and their fusions on two French sets: chosen on PIAF's tuning half, reported elsewhere.

    python -m tests.eval.fusion [--spacy-model fr_core_news_sm]

- PIAF: ingested and processed once by the real ``ess`` commands into corpus/data/eval/piaf; the first
  1,000 questions with qrels, split by the article of their relevant paragraph (sha1 of its title, even or
  odd) into a tuning half and a held-out half.
- Press (tests/fixtures/queries_press.jsonl, read its .md): the demo sites crawled and processed, plus the
  26 real pages of ../shared/eval/extraction-fr given to ``ess ingest``, built once into
  corpus/data/eval/press. Never used to choose anything.

For each question both rankings are read once as the API reads them (``CANDIDATES`` chunks, best chunk per
document, with scores). Every fusion is computed from them: reciprocal rank fusion with a weight on the
keyword side and its constant k; a convex combination of min-max normalised scores; and the project's
(``search_api.retrieval.fuse``): the keyword side as BM25 over the best score the query could reach, the
semantic side min-max normalised. Beside them, a textbook BM25 (rank_bm25's BM25Okapi) over the same
documents (title and text) and the same French terms. nDCG@10, binary relevance.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from rank_bm25 import BM25Okapi

from pipeline.config import PROJECT_ROOT, Settings
from pipeline.index.analysis import terms
from pipeline.store.writer import Store
from search_api.retrieval import Ranked, Retriever, fuse, min_max
from tests.eval.retrieval import (
    PIAF_PREFIX,
    Query,
    build_demo,
    demo_page,
    demo_path,
    ess_json,
    load_demo_queries,
    load_piaf,
    ndcg,
    open_retriever,
    piaf_jsonl,
    read_jsonl,
)
from tests.eval.shared import SHARED_EVAL
from tests.tests_support import FIXTURES

CACHE = PROJECT_ROOT / "corpus" / "data" / "eval"
RESULTS = PROJECT_ROOT / "docs" / "fusion.json"
PRESS_QUERIES = FIXTURES / "queries_press.jsonl"
EXTRACTION = SHARED_EVAL / "extraction-fr" / "html"
WEIGHTS = [round(0.1 * n, 1) for n in range(0, 11)]
RRF_KS = (5, 10, 20, 40, 60, 100)


@dataclass
class Rankings:
    """One question's two rankings as ``Retriever`` makes them, documents best first, and the textbook BM25's."""

    query: Query
    group: str
    keyword: list[Ranked]  # scores: BM25 over the highest score the query's terms could reach
    semantic: list[Ranked]  # scores: cosine similarity
    textbook: list[str]  # over whole documents
    textbook_chunks: list[str]  # over the same chunks as ours, a document by its best chunk


def built(name: str, spacy_model: str, build: Callable[[Settings], None]) -> Settings:
    """The cached set ``name``, built again when another embedding model, engine or spaCy model made it."""
    settings = Settings(data_dir=CACHE / name, spacy_model=spacy_model)
    marker = settings.data_dir / "built"
    made_by = f"{settings.embedding_model} ({settings.embedding_engine}), {spacy_model}"
    if not marker.exists() or marker.read_text() != made_by:
        shutil.rmtree(settings.data_dir, ignore_errors=True)
        settings.data_dir.mkdir(parents=True)
        build(settings)
        marker.write_text(made_by)
    Store(settings.store_db).close()  # brings a store built before a schema change up to date
    return settings.model_copy(update={"sources": settings.data_dir / "sources.toml"})


def build_piaf(settings: Settings) -> None:
    corpus, _ = load_piaf()
    jsonl = piaf_jsonl(corpus, settings.data_dir / "piaf.jsonl")
    ess_json(settings, "ingest", str(jsonl), "--source", "piaf", "--no-process")
    ess_json(settings, "process")


def build_press(settings: Settings) -> None:
    build_demo(settings)
    ess_json(settings, "ingest", *map(str, sorted(EXTRACTION.glob("*.html"))), "--source", "extraction-fr")


def piaf_key(url: str, source: str) -> str:
    return url.removeprefix(PIAF_PREFIX)


def press_key(url: str, source: str) -> str:
    return f"extraction-fr/{Path(urlsplit(url).path).name}" if source == "extraction-fr" else demo_page(source, url)


def piaf_questions() -> list[tuple[Query, str]]:
    corpus, queries = load_piaf()
    title = {p["_id"]: p["title"] for p in corpus}
    halves = ("tuning", "held-out")
    return [(q, halves[int(hashlib.sha1(title[min(q.relevant)].encode()).hexdigest(), 16) % 2]) for q in queries]


def press_questions() -> list[tuple[Query, str]]:
    return [(Query(q["query"], frozenset(map(demo_path, q["relevant"])), None, q["type"]), q["type"])
            for q in read_jsonl(PRESS_QUERIES)]  # fmt: skip


def demo_questions() -> list[tuple[Query, str]]:
    """The older demo set (tests/fixtures/queries_demo.jsonl) without its filtered queries: its paraphrases
    were written to share no content word with their article's title."""
    return [(q, q.type) for q in load_demo_queries() if q.filters is None]


def textbook_bm25(retriever: Retriever, unit: str) -> Callable[[str], list[str]]:
    """rank_bm25's BM25Okapi over the French terms of each ``unit`` ("documents" or "chunks"), title included;
    documents in the order of their best unit."""
    sql = {
        "documents": "SELECT id, title, text FROM documents",
        "chunks": "SELECT c.doc_id, d.title, substr(d.text, c.start + 1, c.end - c.start) FROM chunks c "
        "JOIN documents d ON d.id = c.doc_id",
    }[unit]
    rows = retriever.store.db.execute(sql).fetchall()
    bm25 = BM25Okapi([terms(f"{title or ''} {text}") or ["-"] for _, title, text in rows])
    ids = [row[0] for row in rows]

    def rank(query: str) -> list[str]:
        scores = bm25.get_scores(terms(query))
        best = sorted((i for i in range(len(ids)) if scores[i] > 0), key=lambda i: -scores[i])
        return list(dict.fromkeys(ids[i] for i in best))[:10]

    return rank


def read(retriever: Retriever, query: Query, group: str, textbooks: dict[str, Callable[[str], list[str]]]) -> Rankings:
    keyword = retriever.keyword(query.text, None, retriever.settings.keyword_floor)
    semantic = retriever.semantic(query.text, None)
    return Rankings(query, group, keyword, semantic, *(rank(query.text) for rank in textbooks.values()))


def rankings(settings: Settings, questions: list[tuple[Query, str]], key: Callable[[str, str], str]) -> tuple:
    with open_retriever(settings) as retriever:
        rows = retriever.store.db.execute("SELECT id, url, source FROM documents")
        keys = {d: key(url, source) for d, url, source in rows}
        textbooks = {unit: textbook_bm25(retriever, unit) for unit in ("documents", "chunks")}
        return [read(retriever, q, group, textbooks) for q, group in questions], keys


def rrf(weight: float, k: int) -> Callable[[Rankings], list[str]]:
    def fused(r: Rankings) -> list[str]:
        scores: dict[str, float] = {}
        for side, ranking in ((weight, r.keyword), (1.0 - weight, r.semantic)):
            for rank, ranked in enumerate(ranking):
                scores[ranked.doc_id] = scores.get(ranked.doc_id, 0.0) + side / (k + rank + 1)
        return sorted(scores, key=lambda d: (-scores[d], d))

    return fused


def convex(weight: float) -> Callable[[Rankings], list[str]]:
    """Both sides min-max normalised."""

    def fused(r: Rankings) -> list[str]:
        by_words, by_meaning = min_max(r.keyword), min_max(r.semantic)
        scores = {
            d: weight * by_words.get(d, 0.0) + (1 - weight) * by_meaning.get(d, 0.0)
            for d in by_words.keys() | by_meaning.keys()
        }
        return sorted(scores, key=lambda d: (-scores[d], d))

    return fused


def ours(weight: float) -> Callable[[Rankings], list[str]]:
    """The project's fusion (``search_api.retrieval.fuse``) with this weight."""
    return lambda r: [ranked.doc_id for ranked in fuse(r.keyword, r.semantic, weight)]


def counted(rows: list[Rankings], keys: dict[str, str], weight: float) -> dict:
    """What the total of the default hybrid search counts: the share of the relevant documents the rankers
    found that it keeps, and the median and 90th percentile of its count."""
    kept, found, counts = 0, 0, []
    for r in rows:
        ranked = fuse(r.keyword, r.semantic, weight)
        relevant = r.query.relevant & {keys[x.doc_id] for x in ranked}
        enough = {keys[x.doc_id] for x in ranked if x.enough}
        found += bool(relevant)
        kept += bool(relevant & enough)
        counts.append(len(enough))
    counts.sort()
    return {
        "relevant kept": round(kept / found, 3),
        "median": statistics.median(counts),
        "p90": counts[len(counts) * 9 // 10],
    }


def fusions() -> dict[str, Callable[[Rankings], list[str]]]:
    """Every fusion tried, by name."""
    out = {}
    for weight in WEIGHTS:
        out[f"ours w={weight}"] = ours(weight)
        out[f"convex w={weight}"] = convex(weight)
        for k in RRF_KS:
            out[f"rrf w={weight} k={k}"] = rrf(weight, k)
    return out


def scored(rows: list[Rankings], keys: dict[str, str], groups: list[str]) -> Callable[[Callable], dict]:
    """Mean nDCG@10 per group (and over all) of a ranking function of a question's rankings."""

    def score(rank: Callable[[Rankings], list[str]]) -> dict[str, float]:
        out = {}
        for group in [*groups, "all"]:
            picked = [r for r in rows if group in (r.group, "all")]
            ranked = [[keys[d] for d in rank(r)] for r in picked]
            out[group] = round(
                statistics.fmean(ndcg(k, r.query.relevant) for k, r in zip(ranked, picked, strict=True)), 4
            )
        return out

    return score


def report(rows: list[Rankings], keys: dict[str, str], groups: list[str]) -> dict:
    score = scored(rows, keys, groups)
    weight = Settings().fusion_keyword_weight
    return {
        "questions": {g: sum(r.group == g for r in rows) for g in groups},
        "keyword": score(lambda r: [x.doc_id for x in r.keyword]),
        "textbook BM25, whole documents": score(lambda r: r.textbook),
        "textbook BM25, the same chunks": score(lambda r: r.textbook_chunks),
        "semantic": score(lambda r: [x.doc_id for x in r.semantic]),
        f"hybrid (ours w={weight}, the default)": score(ours(weight)),
        "hybrid total": {g: counted([r for r in rows if r.group == g], keys, weight) for g in groups},
        "curve": {name: score(fuse) for name, fuse in fusions().items()},
    }


def main(spacy_model: str) -> dict:
    piaf_rows, piaf_keys = rankings(built("piaf", spacy_model, build_piaf), piaf_questions(), piaf_key)
    press_rows, press_keys = rankings(built("press", spacy_model, build_press), press_questions(), press_key)
    piaf = report(piaf_rows, piaf_keys, ["tuning", "held-out"])
    chosen = max(piaf["curve"], key=lambda n: piaf["curve"][n]["tuning"])
    press = report(press_rows, press_keys, ["paraphrase", "question", "keywords"])
    demo_rows, demo_keys = rankings(built("press", spacy_model, build_press), demo_questions(), press_key)
    demo = report(demo_rows, demo_keys, sorted({q.type for q, _ in demo_questions()}))
    return {"chosen on PIAF tuning": chosen, "piaf": piaf, "press": press, "demo": demo}


def summary(result: dict) -> dict:
    chosen = result["chosen on PIAF tuning"]
    return {
        "chosen on PIAF tuning": chosen,
        **{
            name: {**{k: v for k, v in part.items() if k != "curve"}, f"chosen ({chosen})": part["curve"][chosen]}
            for name, part in (("piaf", result["piaf"]), ("press", result["press"]), ("demo", result["demo"]))
        },
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spacy-model", default="fr_core_news_sm")
    result = main(parser.parse_args().spacy_model)
    RESULTS.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print(json.dumps(summary(result), indent=1, ensure_ascii=False))
