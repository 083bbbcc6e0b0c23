"""NER on general-domain French CoNLL samples: the spaCy model alone beside our pipeline.

    python -m tests.eval.conll [MODEL]

Three 300-sentence samples from ../shared/eval/ner-fr (Wikipedia with silver labels, and two sets of
historical newspapers with OCR noise), one ``token<TAB>IOB2 tag`` per line. Each sentence is rebuilt
by joining its tokens with single spaces; a predicted span counts when its start, end and label are
exact. The samples have no dates, so our DATE mentions are left out. They are a sanity floor: the
target is modern ESS press, where the gazetteer matters (see tests/eval/ner.py).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import spacy

from pipeline.config import Settings
from pipeline.nlp.tagger import entities, load_nlp
from tests.eval.shared import SHARED_EVAL

DATA = SHARED_EVAL / "ner-fr"
TYPES = ("PER", "LOC", "ORG", "MISC")


def read_conll(path: Path) -> list[list[tuple[str, str]]]:
    """Sentences as lists of (token, tag); a blank line ends a sentence."""
    sentences, current = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            token, tag = line.split("\t")
            current.append((token, tag))
        elif current:
            sentences.append(current)
            current = []
    return sentences + [current] if current else sentences


def sentence_text(tokens: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """The tokens joined by single spaces, and each token's (start, end) in that text."""
    offsets, start = [], 0
    for token in tokens:
        offsets.append((start, start + len(token)))
        start += len(token) + 1
    return " ".join(tokens), offsets


def gold_spans(tags: list[str], offsets: list[tuple[int, int]]) -> set[tuple[int, int, str]]:
    """IOB2 tags as (start, end, label) spans; an I- tag that continues nothing starts a span."""
    spans, current = set(), None
    for tag, (start, end) in zip(tags, offsets, strict=True):
        if current and tag == f"I-{current[2]}":
            current = (current[0], end, current[2])
            continue
        if current:
            spans.add(current)
        current = (start, end, tag[2:]) if tag != "O" else None
    return spans | {current} if current else spans


def scores(gold: list[set], predicted: list[set]) -> dict[str, dict[str, float]]:
    """Per CoNLL type (and ALL): precision, recall, F1 over exact (start, end, label) spans.

    tests.eval.ner.scores does the same over ORG/LOC/PER/DATE; these samples have MISC and no DATE.
    """
    tp, fp, fn = Counter(), Counter(), Counter()
    for expected, found in zip(gold, predicted, strict=True):
        tp.update(span[2] for span in found & expected)
        fp.update(span[2] for span in found - expected)
        fn.update(span[2] for span in expected - found)
    table = {}
    for label in (*TYPES, "ALL"):
        labels = TYPES if label == "ALL" else (label,)
        t, p, n = (sum(counter[x] for x in labels) for counter in (tp, fp, fn))
        precision, recall = (t / (t + p) if t + p else 0.0), (t / (t + n) if t + n else 0.0)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        table[label] = {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}
    return table


def bare_model_spans(model: str, texts: list[str]) -> list[set]:
    """The spaCy model's own entities (NER only)."""
    nlp = spacy.load(model, exclude=["parser", "lemmatizer", "morphologizer", "attribute_ruler"])
    return [{(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in TYPES} for doc in nlp.pipe(texts)]


def pipeline_spans(model: str, gazetteer: Path, texts: list[str]) -> list[set]:
    """Our mentions (gazetteer + model, with the false-positive filter), DATE left out."""
    found, _ = entities(load_nlp(model, str(gazetteer)), texts, [None] * len(texts))
    return [{(m.start, m.end, m.label) for m in mentions if m.label in TYPES} for mentions in found]


def evaluate_file(path: Path, model: str, gazetteer: Path) -> dict:
    sentences = read_conll(path)
    built = [sentence_text([token for token, _ in sentence]) for sentence in sentences]
    texts = [text for text, _ in built]
    gold = [gold_spans([tag for _, tag in s], offsets) for s, (_, offsets) in zip(sentences, built, strict=True)]
    return {
        "sentences": len(sentences),
        "entities": dict(Counter(span[2] for spans in gold for span in spans)),
        "model alone": scores(gold, bare_model_spans(model, texts)),
        "gazetteer + model": scores(gold, pipeline_spans(model, gazetteer, texts)),
    }


def evaluate(model: str, gazetteer: Path, folder: Path = DATA) -> dict:
    """Every ``*.conll`` sample of ``folder``, by file name without the extension."""
    return {path.stem: evaluate_file(path, model, gazetteer) for path in sorted(folder.glob("*.conll"))}


if __name__ == "__main__":
    settings = Settings()
    print(
        json.dumps(evaluate(sys.argv[1] if len(sys.argv) > 1 else settings.spacy_model, settings.gazetteer), indent=1)
    )
