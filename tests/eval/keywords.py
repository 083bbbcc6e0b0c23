"""Keyword rankings side by side on PIAF, split by article: nDCG@10 on a tuning and a held-out half.

    python -m tests.eval.keywords

Each PIAF paragraph is one document; the questions are the first 1,000 with qrels, as in the retrieval eval.
A question belongs to the half of its relevant paragraph's article (sha1 of the title, even or odd). Sides:
the keyword ranking before French analysis (folded words, a hit holding at least half of them), the same
without that rule, the project's analysis (``pipeline.index.analysis``) in FTS5 with its title weight, and a
textbook BM25 (rank_bm25's BM25Okapi) on title and text, over folded words or over the same French terms.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import math
import re
import sqlite3
import statistics
from collections import defaultdict
from collections.abc import Callable

from rank_bm25 import BM25Okapi

from pipeline.index.analysis import fold, french_stop_words, terms
from tests.eval.retrieval import ndcg
from tests.eval.shared import SHARED_EVAL

PIAF = SHARED_EVAL / "retrieval-piaf"
SAMPLE, K = 1000, 10
TITLE_WEIGHT = 2.0  # FTS5's bm25() weight of the title column beside the text's (1.0)


def quoted(term: str) -> str:
    """One term as an FTS5 string, so no FTS5 syntax can leak from a query."""
    return '"{}"'.format(term.replace('"', ""))


def fts_query(terms: list[str]) -> str:
    """An FTS5 query matching the rows that contain any of ``terms``, for BM25 to rank."""
    return " OR ".join(quoted(t) for t in terms)


def folded_words(text: str) -> list[str]:
    """Words folded, function words dropped: the keyword index before French analysis."""
    return [fold(w) for w in re.findall(r"\w+", text) if len(w) > 1 and fold(w) not in french_stop_words()]


def at_least(asked: list[str], needed: int) -> str:
    """An FTS5 expression for the chunks holding at least ``needed`` of the terms (the rule before this study;
    past 64 combinations, any of them)."""
    if needed <= 1 or math.comb(len(asked), needed) > 64:
        return fts_query(asked)
    groups = itertools.combinations([quoted(t) for t in asked], needed)
    return " OR ".join("(" + " AND ".join(group) + ")" for group in groups)


def fts5(corpus: list[dict], analyse: Callable[[str], list[str]], share: float) -> Callable[[str], list[str]]:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE f USING fts5(id UNINDEXED, title, text)")
    rows = [(d["_id"], " ".join(analyse(d["title"])), " ".join(analyse(d["text"]))) for d in corpus]
    db.executemany("INSERT INTO f VALUES (?, ?, ?)", rows)

    def rank(query: str) -> list[str]:
        asked = list(dict.fromkeys(analyse(query)))
        if not asked:
            return []
        expression = at_least(asked, math.ceil(len(asked) * share))
        found = db.execute(
            f"SELECT id FROM f WHERE f MATCH ? ORDER BY bm25(f, 0, {TITLE_WEIGHT}, 1.0) LIMIT {K}", (expression,)
        )
        return [row[0] for row in found]

    return rank


def textbook(corpus: list[dict], analyse: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    bm25 = BM25Okapi([analyse(f"{d['title']} {d['text']}") for d in corpus])
    ids = [d["_id"] for d in corpus]

    def rank(query: str) -> list[str]:
        scores = bm25.get_scores(analyse(query))
        return [ids[i] for i in sorted(range(len(ids)), key=lambda i: -scores[i])[:K]]

    return rank


def piaf_questions(all_questions: bool = False) -> tuple[list[dict], dict[str, str], dict[str, set], dict[str, int]]:
    """PIAF's paragraphs; the first SAMPLE questions with qrels (all of them with ``all_questions``), their
    relevant paragraphs and their half (0 tuning, 1 held-out: sha1 of the relevant paragraph's article title)."""
    corpus = [json.loads(line) for line in (PIAF / "corpus.jsonl").open(encoding="utf-8")]
    questions = {q["_id"]: q["text"] for q in map(json.loads, (PIAF / "queries.jsonl").open(encoding="utf-8"))}
    relevant = defaultdict(set)
    for query_id, doc_id, *_ in csv.reader((PIAF / "qrels.tsv").open(encoding="utf-8"), delimiter="\t"):
        if query_id in questions:
            relevant[query_id].add(doc_id)
    sample = [q for q in questions if q in relevant][: None if all_questions else SAMPLE]
    title = {d["_id"]: d["title"] for d in corpus}
    half = {q: int(hashlib.sha1(title[min(relevant[q])].encode()).hexdigest(), 16) % 2 for q in sample}
    return corpus, {q: questions[q] for q in sample}, relevant, half


def main() -> dict:
    corpus, questions, relevant, half = piaf_questions()
    sample = list(questions)
    sides = {
        "before: folded words, at least half of them": fts5(corpus, folded_words, 0.5),
        "folded words, any of them": fts5(corpus, folded_words, 0.0),
        "French analysis, any term (keyword mode)": fts5(corpus, terms, 0.0),
        "French analysis, at least half of them": fts5(corpus, terms, 0.5),
        "textbook BM25, folded words": textbook(corpus, folded_words),
        "textbook BM25, French terms": textbook(corpus, terms),
    }
    results = {}
    for name, rank in sides.items():
        scores = defaultdict(list)
        for q in sample:
            scores[half[q]].append(ndcg(rank(questions[q]), relevant[q]))
        results[name] = {
            "tuning": round(statistics.mean(scores[0]), 3),
            "held-out": round(statistics.mean(scores[1]), 3),
        }
    return {"questions": {"tuning": sum(1 for q in sample if not half[q]), "held-out": sum(half.values())}, **results}


if __name__ == "__main__":
    print(json.dumps(main(), indent=1, ensure_ascii=False))
