"""Extraction and NLP speed on the demo corpus, each beside its bare library on the same documents.

    python -m tests.bench.stages [MODEL] [ROUNDS]

Extraction: `pipeline.extract.extract_html` beside `trafilatura.extract(html, url=url)`. NLP: our
pipeline (gazetteer + NER + dates, other components off, false positives filtered) beside
`spacy.load(MODEL).pipe` with the model's full default pipeline, on the same texts. Rounds alternate.
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import spacy
import trafilatura

from pipeline.config import PROJECT_ROOT, Settings
from pipeline.extract import extract_html
from pipeline.nlp import entities, load_nlp
from pipeline.run import MAX_LINK_DENSITY, MIN_WORDS

DEMO = PROJECT_ROOT / "corpus" / "demo"


def demo_articles() -> list[tuple[str, bytes]]:
    """The demo pages that `ess process` keeps as documents (not listings, not stubs)."""
    pages = [(f"http://demo/{p.relative_to(DEMO)}", p.read_bytes()) for p in sorted(DEMO.rglob("*.html"))]
    kept = []
    for url, body in pages:
        page = extract_html(body, url)
        if page.link_density <= MAX_LINK_DENSITY and len(page.text.split()) >= MIN_WORDS:
            kept.append((url, body))
    return kept


def rate(work, items) -> float:
    started = time.perf_counter()
    work(items)
    return len(items) / (time.perf_counter() - started)


def main(model: str, rounds: int) -> dict:
    pages = demo_articles()
    texts = [extract_html(body, url).text for url, body in pages]
    bare_nlp = spacy.load(model)
    ours_nlp = load_nlp(model, str(Settings().gazetteer))
    runs = {"bare trafilatura": [], "ours extraction": [], "bare nlp.pipe": [], "ours NLP": []}
    for _ in range(rounds):
        runs["bare trafilatura"].append(rate(lambda ps: [trafilatura.extract(b, url=u) for u, b in ps], pages))
        runs["ours extraction"].append(rate(lambda ps: [extract_html(b, u) for u, b in ps], pages))
        runs["bare nlp.pipe"].append(rate(lambda ts: list(bare_nlp.pipe(ts, batch_size=16)), texts))
        runs["ours NLP"].append(rate(lambda ts: entities(ours_nlp, ts, [None] * len(ts)), texts))
    medians = {name: round(statistics.median(values), 1) for name, values in runs.items()}
    return {
        "documents": len(pages),
        "model": model,
        "docs_per_second": medians,
        "extraction ratio": round(medians["ours extraction"] / medians["bare trafilatura"], 3),
        "NLP ratio": round(medians["ours NLP"] / medians["bare nlp.pipe"], 3),
    }


if __name__ == "__main__":
    model = sys.argv[1] if len(sys.argv) > 1 else Settings().spacy_model
    print(json.dumps(main(model, int(sys.argv[2]) if len(sys.argv) > 2 else 3), indent=1))
