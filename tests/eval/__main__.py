"""`make eval`: every quality measurement in one run, written to docs/eval.md and docs/eval.json.

    python -m tests.eval [--model fr_core_news_md] [--floors]

Main-text extraction on real French pages, NER on the CoNLL samples and retrieval on PIAF read ../shared/eval
and are skipped, with a message, where it is absent; the ESS gold sentences and the demo queries ship with the
tests. Retrieval builds its data with the real ``ess`` commands (PIAF takes several minutes). With
``--floors`` the command exits with status 1 when a measurement falls below its floor (tests/eval/floors.py).
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
import textwrap
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import spacy
import trafilatura

from pipeline.config import Settings
from tests.eval import articles, conll, extraction, floors, fusion, ner, real_ner, real_pages, retrieval, totals
from tests.eval.shared import absent

DOCS = Path(__file__).resolve().parents[2] / "docs"
CONLL_SYSTEMS = ("model alone", "gazetteer + model")
ESS_SYSTEMS = ("model alone", "model + dates", "gazetteer + model + dates")


def measure(model: str, gazetteer: Path, command: str) -> dict:
    """Every measurement, with what produced it."""
    return {
        "date": datetime.date.today().isoformat(),
        "command": command,
        "versions": {
            "python": platform.python_version(),
            "trafilatura": trafilatura.__version__,
            "spacy": spacy.__version__,
            model: spacy.load(model).meta["version"],
            "sentence-transformers": metadata.version("sentence-transformers"),
            "chromadb": metadata.version("chromadb"),
        },
        "embedding": embedding_settings(),
        "model": model,
        "extraction": unless_absent(extraction.DATA, extraction.evaluate),
        "conll": unless_absent(conll.DATA, lambda: conll.evaluate(model, gazetteer)),
        "ess gold": ner.evaluate(model, gazetteer),
        "real ner": unless_absent(real_ner.DATA, lambda: real_ner.evaluate(model, gazetteer)),
        "articles bench": articles.evaluate_bench(),
        "real pages": real_pages.evaluate(),
        "retrieval piaf": unless_absent(retrieval.PIAF, lambda: retrieval.evaluate_piaf(model)),
        "retrieval demo": retrieval.evaluate_demo(model),
        "ranking": unless_absent(retrieval.PIAF, lambda: ranking(model)),
        "totals": unless_absent(retrieval.PIAF, totals.summary),
    }


def ranking(model: str) -> dict:
    """Keyword, textbook BM25, semantic and hybrid on PIAF's tuning and held-out halves and on the press set
    (tests/eval/fusion.py, whose every fusion tried also goes to docs/fusion.json)."""
    result = fusion.main(model)
    fusion.RESULTS.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    return fusion.summary(result)


def embedding_settings() -> dict:
    settings = Settings()
    return {"model": settings.embedding_model, "batch size": settings.embedding_batch_size}


def embedding_line(report: dict) -> str:
    embedding = report.get("embedding") or {}
    return ", ".join(f"{k} {v}" for k, v in embedding.items()) or "–"


def unless_absent(folder: Path, run: Callable[[], dict]) -> dict:
    """``run()``, or the reason it was skipped when the shared data is not there."""
    reason = absent(folder)
    if reason:
        print(f"skipped: {reason}")
        return {"skipped": reason}
    return run()


def checks(report: dict) -> list[dict]:
    """Each floor beside what was measured; floors on skipped data are left out."""
    out = []
    if "skipped" not in report["extraction"]:
        systems = report["extraction"]["systems"]
        ours, bare = systems["ours"]["accuracy"], systems["bare trafilatura"]["accuracy"]
        out.append(check("extraction accuracy, ours >= bare trafilatura", ours, bare - floors.EXTRACTION_MARGIN))
        out.append(check("extraction accuracy, ours", ours, floors.EXTRACTION_ACCURACY))
    out += pages_checks("bench sites", report["articles bench"])
    out += pages_checks("demo sites", report["retrieval demo"]["pages"])
    out += real_pages_checks(report["real pages"]["held-out"])
    if "skipped" not in report["real ner"]:
        out += real_ner_checks(report["real ner"]["held-out"])
    ess = report["ess gold"]["gazetteer + model + dates"]
    out.append(check("ESS gold ORG F1, gazetteer + model + dates", ess["ORG"]["f1"], floors.ESS_ORG_F1))
    out.append(check("ESS gold DATE F1, gazetteer + model + dates", ess["DATE"]["f1"], floors.ESS_DATE_F1))
    if "skipped" not in report["conll"]:
        for name, floor in floors.CONLL_F1.items():
            f1 = report["conll"][name]["gazetteer + model"]["ALL"]["f1"]
            out.append(check(f"CoNLL {name} F1, gazetteer + model", f1, floor))
    if "skipped" not in report["retrieval piaf"]:
        out += piaf_checks(report["retrieval piaf"]["modes"])
    if "skipped" not in report["ranking"]:
        out += ranking_checks(report["ranking"])
    if "skipped" not in report["totals"]:
        out += totals_checks(report["totals"]["default"])
    return out + demo_checks(report["retrieval demo"]["modes"])


def totals_checks(default: dict) -> list[dict]:
    """At most ``OFF_TOPIC_COUNTED`` documents counted for a query about nothing, per set and mode (negated, as
    ``check`` wants a floor)."""
    return [
        check(f"{name}, {mode}: minus the documents counted for a query about nothing", -part["off-topic max"],
              -floors.OFF_TOPIC_COUNTED)
        for name, per in default.items()
        for mode, part in per.items()
    ]  # fmt: skip


RANKING_SETS = (("PIAF held-out", "piaf", "held-out"), ("press set", "press", "all"))
HYBRID = "hybrid (ours w=0.8, the default)"


def ranking_checks(ranking: dict) -> list[dict]:
    """On sets nothing was chosen on: keyword against a textbook BM25 on the same chunks, hybrid above the best
    single ranker."""
    out = []
    for name, part, group in RANKING_SETS:
        scores = {side: values[group] for side, values in ranking[part].items() if group in values}
        textbook = scores["textbook BM25, the same chunks"] - floors.KEYWORD_BELOW_TEXTBOOK[part]
        out.append(check(f"{name} nDCG@10, keyword >= textbook BM25 on the same chunks", scores["keyword"], textbook))
        best = max(scores["keyword"], scores["semantic"]) + floors.HYBRID_GAIN[part]
        out.append(check(f"{name} nDCG@10, hybrid > best single ranker", scores[HYBRID], best))
    return out


def pages_checks(where: str, pages: dict) -> list[dict]:
    """Every article a document, no other page one."""
    indexed = pages["articles indexed"] / pages["articles"]
    others = 1 - len(pages["other pages indexed"]) / pages["other pages"] if pages["other pages"] else 1.0
    return [
        check(f"{where}: share of article pages indexed", round(indexed, 3), floors.ARTICLES_INDEXED),
        check(f"{where}: share of other pages not indexed", round(others, 3), floors.OTHER_PAGES_SKIPPED),
    ]


def real_pages_checks(held_out: dict) -> list[dict]:
    return [
        check("real pages, held-out: articles kept", real_pages.share(held_out, "articles kept", "articles"),
              floors.REAL_PAGES_ARTICLES_KEPT),
        check("real pages, held-out: articles with article markup kept",
              real_pages.share(held_out, "articles with article markup kept", "articles with article markup"),
              floors.REAL_PAGES_MARKED_ARTICLES_KEPT),
        check("real pages, held-out: non-articles skipped", 1 - real_pages.share(held_out, "non-articles kept",
              "non-articles"), floors.REAL_PAGES_OTHERS_SKIPPED),
    ]  # fmt: skip


def real_ner_checks(held_out: dict) -> list[dict]:
    """Distinct ORG+PER+LOC entities per page on the held-out half, and date values."""
    ours, alone = held_out["distinct"]["model + our layers"]["all"], held_out["distinct"]["model alone"]["all"]
    return [
        check("real pages, held-out: distinct-entity precision, ours", ours["precision"], floors.REAL_PRECISION),
        check("real pages, held-out: distinct-entity recall, ours", ours["recall"], floors.REAL_RECALL),
        check(
            "real pages, held-out: distinct-entity precision, ours >= model alone",
            ours["precision"],
            alone["precision"],
        ),
        check("real pages, held-out: DATE values exact", held_out["date values"]["exact"], floors.REAL_DATE_VALUES),
    ]


def piaf_checks(modes: dict) -> list[dict]:
    """Hybrid must beat each single mode on PIAF, and clear its own floor."""
    hybrid = modes["hybrid"]["ndcg@10"]
    out = [
        check(f"PIAF nDCG@10, hybrid > {mode}", hybrid, modes[mode]["ndcg@10"] + floors.PIAF_HYBRID_GAIN)
        for mode in ("keyword", "semantic")
    ]
    return [*out, check("PIAF nDCG@10, hybrid", hybrid, floors.PIAF_HYBRID_NDCG)]


def demo_checks(modes: dict) -> list[dict]:
    """Each mode above its floor on the demo queries; hybrid not below the best single mode (minus a margin)."""
    out = [check(f"demo nDCG@10, {mode}", modes[mode]["ndcg@10"], floor) for mode, floor in floors.DEMO_NDCG.items()]
    best = max(modes["keyword"]["ndcg@10"], modes["semantic"]["ndcg@10"]) - floors.DEMO_HYBRID_MARGIN
    return [*out, check("demo nDCG@10, hybrid >= best single mode", modes["hybrid"]["ndcg@10"], best)]


def check(what: str, measured: float, floor: float) -> dict:
    return {"what": what, "measured": measured, "floor": round(floor, 3), "ok": measured >= floor}


def table(header: list[str], rows: list[list]) -> list[str]:
    """A markdown table, then a blank line; floats are shown with three decimals."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(f"{c:.3f}" if isinstance(c, float) else str(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def paragraph(text: str) -> list[str]:
    """``text`` wrapped at 100 columns, then a blank line."""
    return [*textwrap.wrap(text, 100, break_long_words=False, break_on_hyphens=False), ""]


def markdown(report: dict) -> str:
    """docs/eval.md: what was run, the floors, then one section per measurement."""
    versions = ", ".join(f"{name} {version}" for name, version in report["versions"].items())
    rows = [[c["what"], c["measured"], c["floor"], "ok" if c["ok"] else "**crossed**"] for c in report["checks"]]
    lines = [
        "# Evaluation",
        "",
        *paragraph(
            f"`{report['command']}`, {report['date']}: {versions}; embeddings: {embedding_line(report)}. "
            "All numbers are also in `docs/eval.json`. "
            "The data under `../shared/eval` is read in place (see its README) and skipped where absent."
        ),
        "## Floors",
        "",
        *paragraph(
            "Pinned in `tests/eval/floors.py` a little below what fr_core_news_md measured; "
            "`python -m tests.eval --floors` exits with status 1 when one is crossed."
        ),
        *table(["floor", "measured", "minimum", ""], rows),
    ]
    sections = [
        *extraction_section(report["extraction"]),
        *pages_section(report),
        *real_pages_section(report["real pages"]),
        *real_ner_section(report),
        *conll_section(report),
        *ess_section(report),
        *piaf_section(report["retrieval piaf"], report["model"]),
        *ranking_section(report["ranking"]),
        *totals_section(report["totals"]),
        *demo_section(report["retrieval demo"], report["model"]),
    ]
    return "\n".join([*lines, *sections])


def extraction_section(result: dict) -> list[str]:
    lines = ["## Main-text extraction (`extraction-fr`)", ""]
    if "skipped" in result:
        return [*lines, *paragraph(f"Skipped: {result['skipped']}.")]
    header = [
        "system",
        "with found",
        "without absent",
        "accuracy",
        "precision",
        "recall",
        "F1",
        "docs/s",
        "first round",
    ]
    rows = [
        [
            name,
            f"{m['tp']}/{m['tp'] + m['fn']} ({m['with found']:.3f})",
            f"{m['tn']}/{m['tn'] + m['fp']} ({m['without absent']:.3f})",
            m["accuracy"],
            m["precision"],
            m["recall"],
            m["f1"],
            f"{m['docs/s']:.1f}",
            f"{m['first round s']:.2f} s",
        ]
        for name, m in result["systems"].items()
    ]
    lines += [
        *paragraph(
            f"{result['pages']} real French pages from trafilatura's own evaluation, {result['snippets']} snippets. "
            "A `with` snippet must be in the main text, a `without` one (boilerplate) must not; whitespace is "
            "collapsed on both sides first. Accuracy = (with found + without absent) / all snippets; precision, "
            "recall and F1 count a found `with` as a true positive, a missing one as a false negative and a "
            "present `without` as a false positive. Bare trafilatura is `trafilatura.extract(html, url=url)` with "
            "its defaults (comments included); ours is `pipeline.extract.main_text.extract_html` (comments excluded, "
            "metadata, extensive date search, byline)."
        ),
        *table(header, rows),
        *paragraph(
            f"Speed: median of {result['rounds']} alternated rounds over the same pages in the same run; ours runs "
            f"at {result['speed ratio, ours / bare']:.2f} times the speed of bare trafilatura. The first round also "
            "pays one-time costs (for ours, dateparser loading its locales for the extensive date search)."
        ),
    ]
    if not result["pages that differ"]:
        return [*lines, *paragraph("Both systems get the same snippets right and wrong on every page.")]
    lines += ["Pages where the systems differ (snippets missed or leaked):", ""]
    for page in result["pages that differ"]:
        wrong = "; ".join(f"{name}: {page[name]}" for name in result["systems"])
        lines.append(f"- `{page['file']}`: {wrong}")
    return [*lines, ""]


def pages_section(report: dict) -> list[str]:
    rows = [
        [
            where,
            f"{pages['articles indexed']}/{pages['articles']}",
            f"{len(pages['other pages indexed'])}/{pages['other pages']}",
            f"{pages['rule before: articles indexed']}/{pages['articles']}",
            f"{pages['rule before: other pages indexed']}/{pages['other pages']}",
            ", ".join(pages["articles missed"] + pages["other pages indexed"]) or "–",
        ]
        for where, pages in (
            ("bench sites", report["articles bench"]),
            ("demo sites", report["retrieval demo"]["pages"]),
        )
    ]
    reasons = [
        [where, reason, n]
        for where, pages in (("bench", report["articles bench"]), ("demo", report["retrieval demo"]["pages"]))
        for reason, n in pages["reasons"].items()
    ]
    return [
        "## Which pages are documents",
        "",
        *paragraph(
            f"The three synthetic bench sites ({report['articles bench']['pages generated']} articles, one in ten a "
            "brève of 30-90 words, plus homes, paginated rubriques, tag pages and legal pages; `tests.bench.sitegen` "
            "knows which is which) crawled by `ess crawl`, each archived page judged by the pipeline's own "
            "extraction and `page_verdict`; the demo sites, crawled for the demo queries, judged the same way "
            "against `tests/fixtures/demo_articles.json` (the article pages and reports, listed by reading the "
            "sites). The rule is `pipeline/extract/article_rule.py`; the rule before (an HTML page is a document "
            "with 120 words and a link density of 0.2 at most) is applied to the same extractions beside it."
        ),
        *table(
            ["sites", "articles indexed", "other pages indexed", "before: articles", "before: others", "misses"], rows
        ),
        *table(["sites", "truth: reason given", "pages"], reasons),
    ]


def real_pages_section(result: dict) -> list[str]:
    measures = (
        ("articles kept", "articles kept", "articles"),
        ("marked articles kept", "articles with article markup kept", "articles with article markup"),
        ("non-articles kept", "non-articles kept", "non-articles"),
    )
    splits = [(split, result[split]) for split in ("held-out", "tuning")]
    rows = [
        [split, name, f"{part[kept]}/{part[total]}", f"{part['rule before: ' + kept]}/{part[total]}"]
        for split, part in splits
        for name, kept, total in measures
    ]
    reasons = [[split, reason, n] for split, part in splits for reason, n in part["reasons"].items()]
    kinds = [[split, kind, n] for split, part in splits for kind, n in part["non-articles by kind"].items()]
    return [
        "## The article rule on real pages (`tests/fixtures/real_pages`)",
        "",
        *paragraph(
            f"{result['pages']} real pages from {result['sites']} sites, none written by the project (news sites, "
            "blogs, institutions, associations, search engines, shops; French, English, German and others), "
            "labelled article or non-article by reading before the rule was run (the fixture's README gives the "
            "rules and sources). Each page is judged as `ess process` judges a crawled page, on its extraction and "
            "URL, without feeds or sitemaps. The tuning split (the pages of `extraction-fr` and half the sites) is "
            "where the rule was adjusted; the held-out split chose nothing. A marked article is one whose markup "
            "says article (structured data, publication-date markup, one item element). The rule before is the "
            "article rule as it stood before issue 27, on the same extraction."
        ),
        *table(["split", "", "kept now", "kept by the rule before"], rows),
        *table(["split", "label: reason given", "pages"], reasons),
        *table(["split", "non-article kind: verdict", "pages"], kinds),
    ]


def real_ner_section(report: dict) -> list[str]:
    lines = ["## Entities on real French pages (`tests/fixtures/gold_real`)", ""]
    result = report["real ner"]
    if "skipped" in result:
        return [*lines, *paragraph(f"Skipped: {result['skipped']}.")]
    lines += paragraph(
        "The main text of the 26 real pages of `extraction-fr` (news sites, magazines, blogs, a university, a "
        "union; none written by the project), its ORG, PER, LOC and dates labelled by reading, before running "
        "the system, by the rules of `tests/fixtures/gold_real/README.md`. Pages alternate by file name between a "
        "tuning half (whose errors were read while fixing the span cleaning) and a held-out half (only scored); "
        f"{result['gold mentions not placed']} gold mentions could not be placed in today's extraction. "
        f"{report['model']} alone is its NER only; ours is the whole pipeline (straight apostrophes for the model, "
        "gazetteer, span cleaning, dates). Distinct entities: a name counts once per page, folded as the store "
        "folds it (case, accents, leading articles, gazetteer aliases), with its type; the unit an analyst sees "
        "in facets."
    )
    for part in ("held-out", "tuning"):
        found = result[part]
        counts = ", ".join(f"{n} {label}" for label, n in sorted(found["gold mentions"].items()))
        spans = [
            [system, *(r[t]["f1"] for t in real_ner.TYPES), r["ORG+PER+LOC"]["precision"], r["ORG+PER+LOC"]["recall"]]
            for system, r in found["spans"].items()
        ]
        distinct = [
            [system, subset, d["precision"], d["recall"], d["f1"], f"{d['tp']}/{d['predicted']}/{d['expected']}"]
            for system, parts in found["distinct"].items()
            for subset, d in parts.items()
        ]
        lines += [
            f"**{part.capitalize()} half**: {found['pages']} pages, gold mentions {counts}.",
            "",
            *table(["system", *(f"{t} F1" for t in real_ner.TYPES), "ORG+PER+LOC P", "ORG+PER+LOC R"], spans),
            *table(["system", "distinct ORG+PER+LOC", "P", "R", "F1", "right/shown/gold"], distinct),
            *paragraph(
                f"Dates: {found['date values']['found']} gold dates found, {found['date values']['exact']:.3f} of "
                "them with exactly the gold ISO value."
            ),
        ]
    wrong = ", ".join(result["false positives, tuning half"][:25])
    return [*lines, *paragraph(f"Our most frequent distinct names absent from the gold (tuning half): {wrong}.")]


def conll_section(report: dict) -> list[str]:
    lines = ["## NER on general-domain CoNLL samples (`ner-fr`)", ""]
    if "skipped" in report["conll"]:
        return [*lines, *paragraph(f"Skipped: {report['conll']['skipped']}.")]
    counts = [
        [name, result["sentences"], *(result["entities"].get(t, 0) for t in conll.TYPES)]
        for name, result in report["conll"].items()
    ]
    rows = [
        [name, system, *(r[t]["f1"] for t in conll.TYPES), r["ALL"]["precision"], r["ALL"]["recall"], r["ALL"]["f1"]]
        for name, result in report["conll"].items()
        for system, r in ((s, result[s]) for s in CONLL_SYSTEMS)
    ]
    return [
        *lines,
        *paragraph(
            "Wikineural is Wikipedia with silver labels; HIPE 2020 and Europeana are early-1900s newspapers with "
            "OCR noise: a sanity floor, not the target. Each sentence is rebuilt by joining its tokens with spaces."
        ),
        *table(["sample", "sentences", *(f"{t} entities" for t in conll.TYPES)], counts),
        *paragraph(
            f"{report['model']} alone (NER only) beside our pipeline (gazetteer + model + false-positive filter; "
            "our DATE mentions are left out, the samples have none). Exact-span F1 per type, then precision, "
            "recall and F1 over all entities."
        ),
        *table(["sample", "system", *(f"{t} F1" for t in conll.TYPES), "P", "R", "F1"], rows),
    ]


def ess_section(report: dict) -> list[str]:
    gold = report["ess gold"]
    rows = [[system, *(gold[system][t]["f1"] for t in ner.TYPES), gold[system]["ALL"]["f1"]] for system in ESS_SYSTEMS]
    return [
        "## NER on the ESS gold sentences (`tests/fixtures/gold_ess.jsonl`)",
        "",
        *paragraph(
            f"{gold['sentences']} sentences of modern ESS press, {report['model']}; exact-span F1. A regression "
            "set, not a measure of quality: the project wrote these sentences, and most of their ORG mentions are "
            "spellings of `corpus/entities.toml`, so the gazetteer finds them by construction. It guards the "
            "gazetteer, the date tagger and their normalised values against breaking; the real pages above say "
            "how the pipeline does on text it has not seen."
        ),
        *table(["system", *(f"{t} F1" for t in ner.TYPES), "all F1"], rows),
        *paragraph(f"Dates found with exactly the gold ISO value: {gold['date values exact']:.3f}."),
    ]


RETRIEVAL_METRICS = (
    "Binary relevance; nDCG@10, Recall@10 and MRR@10 (reciprocal rank of the first relevant document in the top "
    "10, 0 when there is none) are means over the queries. Each query is one "
    "`search_documents(limit=10, offset=0, collapse=False)`, so near-duplicate collapsing hides nothing; time "
    "per query is the mean wall time in this process, store and index open and warm."
)


def mode_rows(modes: dict) -> list[list]:
    return [[mode, m["ndcg@10"], m["recall@10"], m["mrr@10"], f"{m['ms/query']:.0f} ms"] for mode, m in modes.items()]


def piaf_section(result: dict, model: str) -> list[str]:
    lines = ["## Retrieval on PIAF (`retrieval-piaf`)", ""]
    if "skipped" in result:
        return [*lines, *paragraph(f"Skipped: {result['skipped']}.")]
    return [
        *lines,
        *paragraph(
            f"{result['corpus']:,} French Wikipedia paragraphs written as JSONL and built by the real commands, "
            f"`ess ingest --source piaf --no-process` then `ess process` ({result['documents processed']:,} documents, "
            f"{result['chunks']:,} chunks, {result['ingest + process s']:.0f} s with {model}); embeddings: "
            f"{result['embedding model']}. Queries: the first {result['queries']:,} crowd-written questions of "
            "queries.jsonl (file order) that have qrels, short or not; a hit maps back to its paragraph by its "
            "`urn:piaf:` URL. " + RETRIEVAL_METRICS
        ),
        *table(["mode", "nDCG@10", "Recall@10", "MRR@10", "time/query"], mode_rows(result["modes"])),
    ]


def ranking_section(ranking: dict) -> list[str]:
    lines = ["## Ranking on sets nothing was chosen on (`tests/eval/fusion.py`)", ""]
    if "skipped" in ranking:
        return [*lines, *paragraph(f"Skipped: {ranking['skipped']}.")]
    sides = ["keyword", "textbook BM25, the same chunks", "textbook BM25, whole documents", "semantic", HYBRID]
    columns = [("PIAF tuning", "piaf", "tuning"), *RANKING_SETS, ("demo set", "demo", "all")]
    rows = [[side, *(ranking[part][side][group] for _, part, group in columns)] for side in sides]
    return [
        *lines,
        *paragraph(
            "PIAF's first 1,000 questions split by article into a tuning half (every parameter was chosen there) "
            "and a held-out half; the press set (tests/fixtures/queries_press.jsonl: 137 questions written by "
            "reading the demo's articles and the 26 real pages of extraction-fr) and the demo set's 37 unfiltered "
            "queries. Both rankings are read as the API reads them; the textbook BM25 is rank_bm25's BM25Okapi "
            "over the same French terms. Choices and curves: docs/ranking.md, every point in docs/fusion.json. "
            f"Chosen on PIAF tuning: {ranking['chosen on PIAF tuning']}. nDCG@10."
        ),
        *table(["ranking", *(name for name, _, _ in columns)], rows),
    ]


def totals_section(result: dict) -> list[str]:
    lines = ["## What a search counts (`tests/eval/totals.py`)", ""]
    if "skipped" in result:
        return [*lines, *paragraph(f"Skipped: {result['skipped']}.")]
    names = list(result["default"])
    rows = [
        [rule, *(f"{per[n][mode]['recall']:.3f} / {per[n][mode]['off-topic max']}" for n in names for mode in
                 ("semantic", "hybrid"))]
        for rule, per in result["rules"].items()
    ]  # fmt: skip
    lines += paragraph(
        "Per set and rule: the share of each question's relevant documents that the total counts, then the most "
        "documents counted for a query about nothing in any set (a recipe, random letters, an emoji, an unrelated "
        "product), in semantic and hybrid mode. The default floor (`ESS_SIMILARITY_FLOOR`) is the smallest that "
        "leaves 0.01 above the highest similarity those queries reached on PIAF's tuning half, the press set, the "
        "demo set and a public-service FAQ set (docs/ranking.md); PIAF held-out chose nothing."
    )
    header = ["rule", *(f"{n} {mode} recall / off-topic" for n in names for mode in ("semantic", "hybrid"))]
    return [*lines, *table(header, rows)]


def demo_section(result: dict, model: str) -> list[str]:
    rows = [
        [kind, found["queries"], mode, m["ndcg@10"], m["recall@10"], m["mrr@10"]]
        for kind, found in result["by type"].items()
        for mode, m in found.items()
        if mode != "queries"
    ]
    return [
        "## Retrieval on the demo sites (`tests/fixtures/queries_demo.jsonl`)",
        "",
        *paragraph(
            f"{result['queries']} queries (paraphrases, names, acronyms, dated questions; some with filters) over "
            "the six demo sites, served on loopback and built by the real commands, `ess crawl` "
            f"({result['pages fetched']} pages fetched) then `ess process` "
            f"({result['documents processed']} documents; {result['crawl + process s']:.0f} s with {model}); "
            f"embeddings: {result['embedding model']}. A hit is `<source>/<URL path>`, a folder standing for its "
            "index.html. " + RETRIEVAL_METRICS
        ),
        *table(["mode", "nDCG@10", "Recall@10", "MRR@10", "time/query"], mode_rows(result["modes"])),
        "Per query type:",
        "",
        *table(["type", "queries", "mode", "nDCG@10", "Recall@10", "MRR@10"], rows),
    ]


def summary(report: dict) -> str:
    """A few lines for the terminal."""
    lines = []
    if "skipped" not in report["extraction"]:
        systems = report["extraction"]["systems"]
        lines.append(
            "extraction accuracy: "
            + ", ".join(f"{name} {m['accuracy']} ({m['docs/s']} docs/s)" for name, m in systems.items())
        )
    if "skipped" not in report["conll"]:
        f1 = ", ".join(
            f"{name} {r['model alone']['ALL']['f1']} -> {r['gazetteer + model']['ALL']['f1']}"
            for name, r in report["conll"].items()
        )
        lines.append(f"CoNLL F1, model alone -> ours: {f1}")
    ess = report["ess gold"]
    lines.append(
        "ESS gold F1, model alone -> ours: "
        + ", ".join(
            f"{t} {ess['model alone'][t]['f1']} -> {ess['gazetteer + model + dates'][t]['f1']}" for t in ner.TYPES
        )
    )
    for name in ("retrieval piaf", "retrieval demo"):
        if "skipped" not in report[name]:
            modes = report[name]["modes"]
            lines.append(
                f"{name} nDCG@10 ({report[name]['queries']} queries): "
                + ", ".join(f"{mode} {m['ndcg@10']} ({m['ms/query']} ms)" for mode, m in modes.items())
            )
    crossed = [c["what"] for c in report["checks"] if not c["ok"]]
    lines.append(f"floors crossed: {crossed}" if crossed else f"floors: all {len(report['checks'])} held")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    settings = Settings()
    parser = argparse.ArgumentParser(prog="python -m tests.eval", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=settings.spacy_model, help="spaCy pipeline (default: ESS_SPACY_MODEL)")
    parser.add_argument("--floors", action="store_true", help="exit with status 1 when a floor is crossed")
    options = parser.parse_args(args)
    report = measure(options.model, settings.gazetteer, " ".join(["python -m tests.eval", *args]))
    report["checks"] = checks(report)
    DOCS.mkdir(exist_ok=True)
    (DOCS / "eval.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (DOCS / "eval.md").write_text(markdown(report), encoding="utf-8")
    print(summary(report))
    print(f"wrote {DOCS / 'eval.md'} and {DOCS / 'eval.json'}")
    return 1 if options.floors and not all(c["ok"] for c in report["checks"]) else 0


if __name__ == "__main__":
    sys.exit(main())
