"""Main-text extraction on real French pages: bare trafilatura beside our ``extract_html``.

    python -m tests.eval.extraction

The 26 pages and their snippets are the French subset of trafilatura's own evaluation, read from
../shared/eval/extraction-fr. A ``with`` snippet must be in the extracted text, a ``without`` one
(boilerplate) must not; whitespace is collapsed on both sides before looking. As in trafilatura's
evaluation, every snippet counts: a found ``with`` is a true positive, a missing one a false negative,
a present ``without`` a false positive and an absent one a true negative.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import trafilatura

from pipeline.extract.main_text import ExtractionError, extract_html
from tests.eval.shared import SHARED_EVAL

DATA = SHARED_EVAL / "extraction-fr"
ROUNDS = 5


def load_pages(folder: Path = DATA) -> list[dict]:
    """Each page's entry (file, ``with`` and ``without`` snippets...) with its url and html, as undecoded bytes."""
    items = json.loads((folder / "evaldata_fr.json").read_text(encoding="utf-8"))
    return [{"url": url, "html": (folder / "html" / item["file"]).read_bytes(), **item} for url, item in items.items()]


def bare_text(html: bytes, url: str) -> str:
    """trafilatura with its defaults, as a newcomer would call it."""
    return trafilatura.extract(html, url=url) or ""


def our_text(html: bytes, url: str) -> str:
    """The main text our pipeline keeps."""
    try:
        return extract_html(html, url).text
    except ExtractionError:
        return ""


SYSTEMS: dict[str, Callable[[bytes, str], str]] = {"bare trafilatura": bare_text, "ours": our_text}


def normalise(text: str) -> str:
    return " ".join(text.split())


def judge(text: str, page: dict) -> dict[str, list[str]]:
    """The page's snippets sorted into tp (with found), fn (with missing), fp (without present), tn."""
    text = normalise(text)
    verdict: dict[str, list[str]] = {"tp": [], "fn": [], "fp": [], "tn": []}
    for snippet in page["with"]:
        verdict["tp" if normalise(snippet) in text else "fn"].append(snippet)
    for snippet in page["without"]:
        verdict["fp" if normalise(snippet) in text else "tn"].append(snippet)
    return verdict


def metrics(counts: Counter) -> dict[str, float]:
    """Snippet counts, the shares of each kind right, accuracy, and precision, recall and F1."""
    tp, fn, fp, tn = counts["tp"], counts["fn"], counts["fp"], counts["tn"]
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {
        **{key: counts[key] for key in ("tp", "fn", "fp", "tn")},
        "with found": round(tp / (tp + fn), 3),
        "without absent": round(tn / (tn + fp), 3),
        "accuracy": round((tp + tn) / (tp + fn + fp + tn), 3),
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(2 * tp / (2 * tp + fp + fn), 3),
    }


def run(system: Callable[[bytes, str], str], pages: list[dict]) -> tuple[list[str], float]:
    """The texts ``system`` extracts from ``pages`` and the seconds it took."""
    start = time.perf_counter()
    texts = [system(page["html"], page["url"]) for page in pages]
    return texts, time.perf_counter() - start


def evaluate(folder: Path = DATA, rounds: int = ROUNDS) -> dict:
    """Both systems on the same pages, alternated ``rounds`` times.

    Speed is the median round; the first round, which also pays one-time loading costs, is reported too.
    """
    pages = load_pages(folder)
    texts: dict[str, list[str]] = {}
    seconds: dict[str, list[float]] = {name: [] for name in SYSTEMS}
    for _ in range(rounds):
        for name, system in SYSTEMS.items():
            texts[name], elapsed = run(system, pages)
            seconds[name].append(elapsed)
    verdicts = {name: [judge(text, page) for text, page in zip(texts[name], pages, strict=True)] for name in SYSTEMS}
    systems = {}
    for name in SYSTEMS:
        counts = Counter({key: sum(len(v[key]) for v in verdicts[name]) for key in ("tp", "fn", "fp", "tn")})
        speed = {
            "docs/s": round(len(pages) / statistics.median(seconds[name]), 1),
            "first round s": round(seconds[name][0], 2),
        }
        systems[name] = {**metrics(counts), **speed}
    return {
        "pages": len(pages),
        "snippets": sum(len(p["with"]) + len(p["without"]) for p in pages),
        "rounds": rounds,
        "systems": systems,
        "speed ratio, ours / bare": round(
            statistics.median(seconds["bare trafilatura"]) / statistics.median(seconds["ours"]), 2
        ),
        "pages that differ": differences(pages, verdicts),
    }


def differences(pages: list[dict], verdicts: dict[str, list[dict]]) -> list[dict]:
    """Pages where the systems miss or leak different snippets, with the snippets each gets wrong."""
    out = []
    for i, page in enumerate(pages):
        wrong = {name: {"missed": v[i]["fn"], "leaked": v[i]["fp"]} for name, v in verdicts.items()}
        if wrong["ours"] != wrong["bare trafilatura"]:
            out.append({"file": page["file"], **wrong})
    return out


if __name__ == "__main__":
    print(json.dumps(evaluate(), indent=1, ensure_ascii=False))
