"""The article rule on real pages written by others: articles kept, homes, listings, tag, agenda, search and legal
pages skipped, per label and reason, beside the rule before this one.

    python -m tests.eval.real_pages

The pages and their labels are tests/fixtures/real_pages (its README says where each comes from, its licence and
how it was labelled, by reading, before the rule was run on it). The tuning split, on which the rule was adjusted while
reading its answers, is the pages of ../shared/eval/extraction-fr (read in place, labelled in the same manifest)
and the pages of half the other sites, drawn by a hash of the site's name; the held-out split, the other half,
chose nothing. A page is judged as `ess process`
judges a crawled page, on its extraction, with its URL (a page whose repository gives none is judged at a URL
that says nothing, ``https://<site>/page``) and without feeds or sitemaps (none was crawled).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from trafilatura.utils import load_html

from pipeline.extract import article_rule
from pipeline.extract.article_rule import Page, PageSignals, Thresholds, judge
from pipeline.extract.main_text import ExtractionError, extract_html
from tests.eval.shared import SHARED_EVAL
from tests.tests_support import FIXTURES

DATA = FIXTURES / "real_pages"
MANIFEST = DATA / "manifest.jsonl"
SHARED_PAGES = SHARED_EVAL / "extraction-fr" / "html"


@dataclass(frozen=True)
class Judged:
    id: str
    label: str  # article | non-article
    subtype: str  # for non-articles: home, rubrique, tag, archive, agenda, search, legal, about, forum, product, other
    split: str  # tuning | held-out
    keep: bool
    reason: str
    kept_before: bool
    markup: bool  # the page's own markup says article: structured data, date markup, one item, one <article>


def entries() -> list[dict]:
    return [json.loads(line) for line in MANIFEST.read_text(encoding="utf-8").splitlines() if line.strip()]


def body_of(entry: dict) -> bytes | None:
    """The page's bytes; None for a tuning page when ../shared is absent."""
    if entry.get("shared"):
        path = SHARED_PAGES / entry["shared"]
        return path.read_bytes() if path.is_file() else None
    return gzip.decompress((DATA / entry["file"]).read_bytes())


def page_url(entry: dict) -> str:
    return (entry.get("url") or "").strip() or f"https://{entry['site']}/page"


def judged(entry: dict, body: bytes, limits: Thresholds) -> Judged:
    url = page_url(entry)
    try:
        extracted = extract_html(body, url, "text/html")
    except ExtractionError as exc:
        keep, reason, words, density, signals = False, str(exc), 0, 0.0, PageSignals()
    else:
        words, density, signals = extracted.words, extracted.link_density, extracted.signals or PageSignals()
        verdict = judge(Page(url, "html", words, density, signals), limits)
        keep, reason = verdict.keep, verdict.reason
    markup = bool(article_rule.article_evidence(signals, listed=False))
    before = rule_before(url, words, density, signals, old_date_markup(body), limits)
    return Judged(entry["id"], entry["label"], entry.get("subtype", ""), split_of(entry), keep, reason, before, markup)


def split_of(entry: dict) -> str:
    """Tuning: the pages of ../shared/eval/extraction-fr and of half the sites, drawn by a hash of the site's name
    (a site's pages stay together); held-out: the other half."""
    site = entry["site"].removeprefix("www.").lower()
    tuned = entry.get("shared") or hashlib.sha256(site.encode()).digest()[0] % 2 == 0
    return "tuning" if tuned else "held-out"


def evaluate(limits: Thresholds | None = None) -> dict:
    limits = limits or Thresholds()
    found, missing = [], 0
    for entry in entries():
        body = body_of(entry)
        if body is None:
            missing += 1
            continue
        found.append(judged(entry, body, limits))
    result = {split: tally([j for j in found if j.split == split]) for split in ("held-out", "tuning")}
    result["pages"] = len(found)
    result["sites"] = len({e["site"].removeprefix("www.") for e in entries()})
    result["tuning pages not read (../shared absent)"] = missing
    return result


def share(part: dict, kept: str, total: str) -> float:
    return part[kept] / part[total] if part[total] else 1.0


def tally(found: list[Judged]) -> dict:
    articles = [j for j in found if j.label == "article"]
    others = [j for j in found if j.label != "article"]
    marked = [j for j in articles if j.markup]
    return {
        "articles": len(articles),
        "articles kept": sum(j.keep for j in articles),
        "articles with article markup": len(marked),
        "articles with article markup kept": sum(j.keep for j in marked),
        "non-articles": len(others),
        "non-articles kept": sum(j.keep for j in others),
        "rule before: articles kept": sum(j.kept_before for j in articles),
        "rule before: articles with article markup kept": sum(j.kept_before for j in marked),
        "rule before: non-articles kept": sum(j.kept_before for j in others),
        "reasons": dict(sorted(Counter(f"{j.label}: {j.reason}" for j in found).items())),
        "non-articles by kind": dict(
            sorted(Counter(f"{j.subtype}: {'kept' if j.keep else 'skipped'}" for j in others).items())
        ),
        "articles missed": sorted(j.id for j in articles if not j.keep),
        "non-articles kept ids": sorted(j.id for j in others if j.keep),
    }


# --- the rule before issue 27, kept here to stand beside the rule: its URL reading (a trailing 1 to 12 was a month)
# and its order (a listing-shaped URL yielded only to article types or a feed; teasers decided alone).

OLD_MONTH_OR_YEAR = re.compile(r"^(?:19|20)\d{2}$|^(?:0?[1-9]|1[0-2])$")
OLD_DATE_MARKUP = (
    "//meta[@property='article:published_time' or @name='article:published_time' or @itemprop='datePublished'"
    " or @name='date' or @name='DC.date' or @name='dcterms.date']"
    " | //time[@datetime or @pubdate] | //*[@itemprop='datePublished']"
)


def old_date_markup(body: bytes) -> bool:
    tree = load_html(body)
    return tree is not None and bool(tree.xpath(OLD_DATE_MARKUP))


def old_listing_url(url: str) -> bool:
    segments = article_rule.path_segments(url)
    if not segments or segments[-1] in article_rule.LISTING_LEAVES or OLD_MONTH_OR_YEAR.match(segments[-1]):
        return True
    if any(s in article_rule.LISTING_SEGMENTS for s in segments[:-1]):
        return True
    query = parse_qs(urlsplit(url).query)
    return any(key in query and query[key][0].isdigit() for key in ("page", "p", "paged", "start", "offset"))


def rule_before(url: str, words: int, density: float, signals: PageSignals, dated: bool, limits: Thresholds) -> bool:
    if article_rule.is_site_page(url):
        return False
    teasers = max(signals.teaser_headings, signals.article_elements) >= limits.listing_teasers
    paginated = signals.pagination and signals.teaser_headings > 0
    if teasers or paginated or signals.structured_listing or density > limits.max_link_density:
        return False
    if old_listing_url(url) and not signals.structured_article:
        return False
    if words >= limits.min_words:
        return True
    if words < limits.min_short_words:
        return False
    one_article = signals.article_elements == 1 and not signals.teaser_headings
    return signals.structured_article or one_article or dated


if __name__ == "__main__":
    print(json.dumps(evaluate(), indent=1, ensure_ascii=False))
