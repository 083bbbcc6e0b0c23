"""What a search counts (`total` and the facets): the relevant documents it counts, and what it counts for
queries about nothing in the corpus, under the absolute similarity floor and under a floor relative to the
query's own candidates.

    python -m tests.eval.totals

For each question of PIAF (tuning and held-out halves), the press set and the demo set, and for off-topic
queries asked of each corpus, the two rankings are read once as the API reads them (``CANDIDATES`` chunks,
best chunk per document). A document counts in semantic mode when its similarity reaches the rule's floor; in
hybrid mode also when its keyword confidence reaches ``ESS_KEYWORD_FLOOR``. Recall: the share of a question's
relevant documents counted. Off-topic: documents counted for a recipe, sports results, random letters, an
emoji… The absolute floor is a cosine (0.82 today); the relative one counts a document whose similarity
stands ``margin`` above the median similarity of the query's candidates, so it follows the query and the
model rather than one model's cosine range.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.config import Settings
from search_api.retrieval import Ranked, Retriever
from tests.eval.fusion import (
    build_piaf,
    build_press,
    built,
    demo_questions,
    piaf_key,
    piaf_questions,
    press_key,
    press_questions,
)
from tests.eval.retrieval import build_demo, demo_page, open_retriever

OFF_TOPIC = [  # about nothing in any of the sets: a recipe, random letters, an emoji, an unrelated product
    "recette de la tarte aux pommes",
    "xqzvbw plorf",
    "🍕",
    "aaaa bbbb cccc",
    "meilleur smartphone pas cher",
]
ABSOLUTE = [round(0.80 + 0.01 * n, 2) for n in range(0, 11)]
MARGINS = [round(0.005 * n, 3) for n in range(0, 21)]


@dataclass
class Read:
    group: str
    relevant: frozenset[str]  # keys; empty for an off-topic query
    keyword: list[Ranked]  # with ``enough`` from the keyword floor
    semantic: list[Ranked]


def read_set(settings, questions: list, key: Callable[[str, str], str]) -> list[Read]:
    with open_retriever(settings) as retriever:
        rows = retriever.store.db.execute("SELECT id, url, source FROM documents")
        keys = {d: key(url, source) for d, url, source in rows}
        asked = [(q.text, group, q.relevant) for q, group in questions]
        asked += [(text, "off-topic", frozenset()) for text in OFF_TOPIC]
        return [read(retriever, keys, text, group, relevant) for text, group, relevant in asked]


def read(retriever: Retriever, keys: dict[str, str], text: str, group: str, relevant: frozenset[str]) -> Read:
    keyword = retriever.keyword(text, None, retriever.settings.keyword_floor)
    semantic = retriever.semantic(text, None)
    for ranked in (*keyword, *semantic):
        ranked.doc_id = keys.get(ranked.doc_id, ranked.doc_id)
    return Read(group, relevant, keyword, semantic)


def counted(row: Read, floor: Callable[[list[Ranked]], float], hybrid: bool) -> set[str]:
    limit = floor(row.semantic)
    found = {r.doc_id for r in row.semantic if r.score >= limit}
    return found | ({r.doc_id for r in row.keyword if r.enough} if hybrid else set())


def absolute(value: float) -> Callable[[list[Ranked]], float]:
    return lambda semantic: value


def relative(margin: float) -> Callable[[list[Ranked]], float]:
    return lambda semantic: statistics.median(r.score for r in semantic) + margin if semantic else 1.0


def measured(rows: list[Read], floor: Callable[[list[Ranked]], float]) -> dict:
    out = {}
    for mode, hybrid in (("semantic", False), ("hybrid", True)):
        questions = [r for r in rows if r.relevant]
        off = [len(counted(r, floor, hybrid)) for r in rows if not r.relevant]
        recall = [len(counted(r, floor, hybrid) & r.relevant) / len(r.relevant) for r in questions]
        out[mode] = {
            "recall": round(statistics.mean(recall), 4) if recall else None,
            "off-topic max": max(off),
            "off-topic mean": round(statistics.mean(off), 2),
        }
    return out


def sets() -> dict[str, list[Read]]:
    piaf = read_set(built("piaf", "fr_core_news_md", build_piaf), piaf_questions(), piaf_key)
    press = read_set(built("press", "fr_core_news_md", build_press), press_questions(), press_key)
    demo = read_set(built("demo", "fr_core_news_md", build_demo), demo_questions(), lambda u, s: demo_page(s, u))
    off_piaf = [r for r in piaf if not r.relevant]
    return {
        "PIAF tuning": [r for r in piaf if r.group == "tuning"] + off_piaf,
        "PIAF held-out": [r for r in piaf if r.group == "held-out"] + off_piaf,
        "press": press,
        "demo": demo,
    }


def study() -> dict:
    found = sets()
    rules = {f"absolute {v}": absolute(v) for v in ABSOLUTE} | {f"median + {m}": relative(m) for m in MARGINS}
    return {rule: {name: measured(rows, floor) for name, rows in found.items()} for rule, floor in rules.items()}


def summary() -> dict:
    """The study, and the default floor's row (``ESS_SIMILARITY_FLOOR``) for the floors of `make eval`."""
    result = study()
    return {"rules": result, "default": result[f"absolute {Settings().similarity_floor}"]}


if __name__ == "__main__":
    print(json.dumps(study(), indent=1, ensure_ascii=False))
