"""NER quality on the ESS gold sentences: entity-level precision, recall and F1 per type.

    python -m tests.eval.ner [MODEL]

Three systems on the same sentences: the spaCy model alone, the model with our date tagger, and our
whole pipeline (gazetteer + model + dates). A span counts when its start, end and label are exact.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import spacy

from pipeline.config import Settings
from pipeline.nlp.tagger import entities, load_nlp

GOLD = Path(__file__).resolve().parents[1] / "fixtures" / "gold_ess.jsonl"
TYPES = ("ORG", "LOC", "PER", "DATE")


def load_gold(path: Path = GOLD) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def scores(gold: list[set], predicted: list[set]) -> dict[str, dict[str, float]]:
    """Per type (and ALL): precision, recall, F1 over exact (start, end, label) spans."""
    tp, fp, fn = Counter(), Counter(), Counter()
    for expected, found in zip(gold, predicted, strict=True):
        for span in found & expected:
            tp[span[2]] += 1
        for span in found - expected:
            fp[span[2]] += 1
        for span in expected - found:
            fn[span[2]] += 1
    table = {}
    for label in (*TYPES, "ALL"):
        t = sum(tp.values()) if label == "ALL" else tp[label]
        p_all = t + (sum(fp[x] for x in TYPES) if label == "ALL" else fp[label])
        r_all = t + (sum(fn.values()) if label == "ALL" else fn[label])
        precision, recall = (t / p_all if p_all else 0.0), (t / r_all if r_all else 0.0)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        table[label] = {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}
    return table


def gold_spans(lines: list[dict]) -> list[set]:
    return [{(e["start"], e["end"], e["label"]) for e in line["entities"]} for line in lines]


def bare_model_spans(model: str, lines: list[dict], with_dates: bool) -> list[set]:
    nlp = spacy.load(model, exclude=["parser", "lemmatizer", "morphologizer", "attribute_ruler"])
    if with_dates:
        nlp.add_pipe("french_dates", after="ner")
    docs = nlp.pipe(line["text"] for line in lines)
    return [{(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in TYPES} for doc in docs]


def pipeline_spans(model: str, gazetteer: Path, lines: list[dict]) -> list[set]:
    found, _ = entities(
        load_nlp(model, str(gazetteer)), [ln["text"] for ln in lines], [ln["document_date"] for ln in lines]
    )
    return [{(m.start, m.end, m.label) for m in mentions if m.label in TYPES} for mentions in found]


def date_values_correct(lines: list[dict], model: str, gazetteer: Path) -> float:
    """Share of gold DATE spans found with exactly the gold ISO value."""
    found, _ = entities(
        load_nlp(model, str(gazetteer)), [ln["text"] for ln in lines], [ln["document_date"] for ln in lines]
    )
    values = {(i, m.start, m.end): m.value for i, ms in enumerate(found) for m in ms if m.label == "DATE"}
    gold = [
        (i, e["start"], e["end"], e["value"])
        for i, ln in enumerate(lines)
        for e in ln["entities"]
        if e["label"] == "DATE"
    ]
    return round(sum(values.get((i, s, e)) == v for i, s, e, v in gold) / len(gold), 3)


def evaluate(model: str, gazetteer: Path) -> dict:
    lines = load_gold()
    gold = gold_spans(lines)
    return {
        "model": model,
        "sentences": len(lines),
        "model alone": scores(gold, bare_model_spans(model, lines, with_dates=False)),
        "model + dates": scores(gold, bare_model_spans(model, lines, with_dates=True)),
        "gazetteer + model + dates": scores(gold, pipeline_spans(model, gazetteer, lines)),
        "date values exact": date_values_correct(lines, model, gazetteer),
    }


if __name__ == "__main__":
    settings = Settings()
    print(
        json.dumps(evaluate(sys.argv[1] if len(sys.argv) > 1 else settings.spacy_model, settings.gazetteer), indent=1)
    )
