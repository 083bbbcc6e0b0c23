"""Entities on real French pages: the gold of tests/fixtures/gold_real (labelled by reading) against our pipeline.

    python -m tests.eval.real_ner [MODEL]              # the tables
    python -m tests.eval.real_ner --build LABELS_DIR   # label files (one JSON per page) -> mentions.jsonl

The pages are read in ../shared/eval/extraction-fr; their main text is our extraction's. Two measures:
exact-span precision, recall and F1 per type, and precision and recall of the *distinct* entities of each
document (what an analyst sees in facets), where a name counts once per document, folded as the store
folds it (case, accents, leading articles, gazetteer aliases), with a separate line for names the
gazetteer does not know. DATE values are scored on the gold dates whose span was found.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import spacy

from pipeline.config import Settings
from pipeline.entities.gazetteer import entity_key, load_gazetteer
from pipeline.extract.main_text import extract_html
from pipeline.nlp.tagger import entities, load_nlp
from tests.eval.shared import SHARED_EVAL

DATA = SHARED_EVAL / "extraction-fr"
GOLD = Path(__file__).resolve().parents[1] / "fixtures" / "gold_real" / "mentions.jsonl"
NAMED = ("ORG", "PER", "LOC")
TYPES = (*NAMED, "DATE")


@dataclass
class Page:
    file: str
    text: str
    document_date: str | None
    gold: list[dict]  # text, label, start, end (and value for DATE)
    unplaced: int = 0  # gold mentions not found again in a text that changed since labelling


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def main_text(file: str) -> tuple[str, str | None]:
    """The page's main text and date, as the pipeline extracts them."""
    url = next(u for u, e in json.loads((DATA / "evaldata_fr.json").read_text()).items() if e["file"] == file)
    extracted = extract_html((DATA / "html" / file).read_bytes(), url)
    return extracted.text, extracted.published


def place(text: str, mentions: list[dict]) -> tuple[list[dict], int]:
    """Offsets of mentions listed in text order, found by their surface forms (word-bounded, in order)."""
    placed, cursor, missing = [], 0, 0
    for mention in mentions:
        found = re.compile(r"(?<!\w)" + re.escape(mention["text"]) + r"(?!\w)").search(text, cursor)
        if found is None:
            missing += 1
            continue
        placed.append({**mention, "start": found.start(), "end": found.end()})
        cursor = found.end()
    return placed, missing


def build(labels: Path, out: Path = GOLD) -> None:
    """Write the fixture from one label file per page (mentions in text order, surfaces only)."""
    lines = []
    for path in sorted(labels.glob("*.json")):
        label = json.loads(path.read_text(encoding="utf-8"))
        text, date = main_text(label["file"])
        mentions, missing = place(text, label["mentions"])
        if missing:
            raise SystemExit(f"{path.name}: {missing} mentions not found in order")
        record = {"file": label["file"], "text_sha1": sha1(text), "document_date": date, "mentions": mentions}
        lines.append(json.dumps(record, ensure_ascii=False))
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def load_pages(path: Path = GOLD) -> list[Page]:
    """The gold pages with today's extraction; mentions are placed again where the text changed."""
    pages = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        text, _ = main_text(record["file"])
        gold, unplaced = record["mentions"], 0
        if sha1(text) != record["text_sha1"]:
            gold, unplaced = place(text, gold)
        pages.append(Page(record["file"], text, record["document_date"], gold, unplaced))
    return pages


def model_alone(model: str, pages: list[Page]) -> list[list[dict]]:
    """The spaCy model's own ORG/PER/LOC entities (it has no DATE)."""
    nlp = spacy.load(model, exclude=["parser", "lemmatizer", "morphologizer", "attribute_ruler"])
    return [
        [{"text": e.text, "label": e.label_, "start": e.start_char, "end": e.end_char} for e in doc.ents]
        for doc in nlp.pipe(p.text for p in pages)
    ]


def ours(model: str, gazetteer: Path, pages: list[Page]) -> list[list[dict]]:
    found, _ = entities(load_nlp(model, str(gazetteer)), [p.text for p in pages], [p.document_date for p in pages])
    return [[{**m.__dict__} for m in mentions] for mentions in found]


def prf(tp: int, predicted: int, expected: int) -> dict[str, float]:
    precision, recall = (tp / predicted if predicted else 0.0), (tp / expected if expected else 0.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


def span_scores(pages: list[Page], predicted: list[list[dict]]) -> dict[str, dict[str, float]]:
    """Exact (start, end, label) spans, per type and for ORG+PER+LOC together."""
    tp, fp, fn = Counter(), Counter(), Counter()
    for page, found in zip(pages, predicted, strict=True):
        gold = {(m["start"], m["end"], m["label"]) for m in page.gold}
        spans = {(m["start"], m["end"], m["label"]) for m in found if m["label"] in TYPES}
        tp.update(s[2] for s in spans & gold)
        fp.update(s[2] for s in spans - gold)
        fn.update(s[2] for s in gold - spans)
    table = {label: prf(tp[label], tp[label] + fp[label], tp[label] + fn[label]) for label in TYPES}
    t, p, n = (sum(c[x] for x in NAMED) for c in (tp, fp, fn))
    table["ORG+PER+LOC"] = prf(t, t + p, t + n)
    return table


class Names:
    """Folds a name as the store does: the gazetteer's canonical name for its spellings, else its key."""

    def __init__(self, gazetteer: Path):
        self.canonical = {entity_key(s): e.name for e in load_gazetteer(gazetteer) for s in e.spellings()}

    def key(self, mention: dict) -> str:
        name = mention.get("entity") or self.canonical.get(entity_key(mention["text"])) or mention["text"]
        return entity_key(name)

    def known(self, key: str) -> bool:
        return key in {entity_key(n) for n in self.canonical.values()}


def distinct_scores(pages: list[Page], predicted: list[list[dict]], names: Names) -> dict[str, dict]:
    """Distinct (name, type) per document, summed over documents: all names, and names the gazetteer lacks."""
    counts = {"all": Counter(), "not in gazetteer": Counter()}
    for page, found in zip(pages, predicted, strict=True):
        gold = {(names.key(m), m["label"]) for m in page.gold if m["label"] in NAMED}
        seen = {(names.key(m), m["label"]) for m in found if m["label"] in NAMED}
        for part, keep in (("all", lambda e: True), ("not in gazetteer", lambda e: not names.known(e[0]))):
            g, s = {e for e in gold if keep(e)}, {e for e in seen if keep(e)}
            counts[part].update(tp=len(g & s), predicted=len(s), expected=len(g))
    return {part: {**prf(c["tp"], c["predicted"], c["expected"]), **c} for part, c in counts.items()}


def date_values(pages: list[Page], predicted: list[list[dict]]) -> dict[str, float | int]:
    """Of the gold dates whose span was found (overlapping), the share with exactly the gold ISO value."""
    found = matched = 0
    for page, mentions in zip(pages, predicted, strict=True):
        dates = [m for m in mentions if m["label"] == "DATE"]
        for gold in (m for m in page.gold if m["label"] == "DATE"):
            hit = next((d for d in dates if d["start"] < gold["end"] and gold["start"] < d["end"]), None)
            found += hit is not None
            matched += hit is not None and hit.get("value") == gold["value"]
    return {"found": found, "exact": round(matched / found, 3) if found else 0.0}


def false_positives(pages: list[Page], predicted: list[list[dict]], names: Names, limit: int = 40) -> list[str]:
    """The distinct names our pipeline shows that the gold does not have, most frequent first (for reading)."""
    wrong = Counter()
    for page, found in zip(pages, predicted, strict=True):
        gold = {(names.key(m), m["label"]) for m in page.gold if m["label"] in NAMED}
        wrong.update(
            f"{m['label']} {m['text']}" for m in found if m["label"] in NAMED and (names.key(m), m["label"]) not in gold
        )
    return [f"{name} ({n})" for name, n in wrong.most_common(limit)]


def halves(pages: list[Page]) -> dict[str, list[int]]:
    """Pages by file name, alternately in the tuning half (looked at while fixing) and the held-out half."""
    order = sorted(range(len(pages)), key=lambda i: pages[i].file)
    return {"tuning": order[0::2], "held-out": order[1::2], "all": order}


def scored(pages: list[Page], systems: dict[str, list[list[dict]]], names: Names) -> dict:
    return {
        "pages": len(pages),
        "gold mentions": dict(Counter(m["label"] for p in pages for m in p.gold)),
        "spans": {name: span_scores(pages, found) for name, found in systems.items()},
        "distinct": {name: distinct_scores(pages, found, names) for name, found in systems.items()},
        "date values": date_values(pages, systems["model + our layers"]),
    }


def evaluate(model: str, gazetteer: Path) -> dict:
    pages = load_pages()
    names = Names(gazetteer)
    systems = {"model alone": model_alone(model, pages), "model + our layers": ours(model, gazetteer, pages)}
    report = {"gold mentions not placed": sum(p.unplaced for p in pages)}
    for part, members in halves(pages).items():
        chosen = [pages[i] for i in members]
        report[part] = scored(chosen, {name: [found[i] for i in members] for name, found in systems.items()}, names)
    tuning = [pages[i] for i in halves(pages)["tuning"]]
    tuning_found = [systems["model + our layers"][i] for i in halves(pages)["tuning"]]
    report["false positives, tuning half"] = false_positives(tuning, tuning_found, names)
    return report


if __name__ == "__main__":
    if sys.argv[1:2] == ["--build"]:
        build(Path(sys.argv[2]))
    else:
        settings = Settings()
        print(
            json.dumps(
                evaluate(sys.argv[1] if len(sys.argv) > 1 else settings.spacy_model, settings.gazetteer), indent=1
            )
        )
