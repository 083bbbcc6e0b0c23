"""Which pages become documents: every article (short ones too) and no listing, legal or service page.

    python -m tests.eval.articles [PAGES]

The three synthetic bench sites (tests.bench.sitegen, one article in ten a brève of 30-90 words) are
served on loopback and crawled by the real `ess crawl`; each archived page then goes through the
pipeline's own decision (extraction, feeds and news sitemaps of the archive, `page_verdict`), without
the NLP and embedding that do not change it. The demo sites are judged the same way on the archive that
`make eval` crawls for the demo queries, against tests/fixtures/demo_articles.json (listed by reading).
Beside each verdict stands the rule before (120 words, link density 0.2), on the same extraction.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from crawler.sitehost import SiteHost
from pipeline.archive.listings import site_listings
from pipeline.archive.warc_reader import latest_records, read_body
from pipeline.config import Settings
from pipeline.extract.article_rule import Thresholds
from pipeline.extract.main_text import ExtractionError
from pipeline.processing.batch import extract, page_verdict
from tests.bench import sitegen
from tests.tests_support import FIXTURES, run_ess

DEMO_ARTICLES = FIXTURES / "demo_articles.json"


def registry(urls: dict[str, str]) -> str:
    return "\n".join(
        f'[[source]]\nname = "{name}"\ntitle = "{name}"\nkind = "media"\nhomepage = "{url}/"\n'
        "max_pages = 100000\nmax_depth = 20\nallow_private = true\n"
        for name, url in urls.items()
    )


def verdicts(settings: Settings) -> dict[tuple[str, str], tuple[bool, str, bool]]:
    """(source, URL path) -> (document?, reason, document under the rule before) for every archived page, as
    `ess process` decides. The rule before: an HTML page with 120 words and a link density of 0.2 at most."""
    records = latest_records(settings.raw_dir)
    listed, limits, found = site_listings(settings.raw_dir, records.values()), Thresholds.from_settings(settings), {}
    for page in (r for r in records.values() if r.role == "page" and not r.gone):
        key = (page.source, demo_path(urlsplit(page.url).path))
        try:
            kind, extracted = extract(page, read_body(settings.raw_dir, page))
        except ExtractionError as exc:
            found[key] = (False, str(exc), False)
            continue
        verdict = page_verdict(page, kind, extracted, listed, set(), limits)
        before = kind != "html" or (extracted.words >= 120 and extracted.link_density <= 0.2)
        found[key] = (verdict.keep, verdict.reason, before)
    return found


def tally(found: dict[tuple[str, str], tuple[bool, str, bool]], articles: set[tuple[str, str]]) -> dict:
    """Articles kept and missed, other pages indexed, the reasons given, and the same under the rule before."""
    reasons = Counter(f"{'article' if k in articles else 'other'}: {reason}" for k, (_, reason, _) in found.items())
    kept = {k for k, (keep, _, _) in found.items() if keep}
    kept_before = {k for k, (_, _, before) in found.items() if before}
    return {
        "articles": len(articles),
        "articles indexed": len(articles & kept),
        "articles missed": sorted("/".join(key) for key in articles - kept),
        "other pages": len(found.keys() - articles),
        "other pages indexed": sorted("/".join(key) for key in kept - articles),
        "rule before: articles indexed": len(articles & kept_before),
        "rule before: other pages indexed": len(kept_before - articles),
        "reasons": dict(sorted(reasons.items())),
    }


def evaluate_bench(pages: int = 1000) -> dict:
    kinds = sitegen.page_kinds(pages)
    articles = {(site, path) for site, truth in kinds.items() for path in truth["articles"]}
    with tempfile.TemporaryDirectory(prefix="ess-articles-") as tmp:
        roots = sitegen.write_sites(Path(tmp) / "sites", pages)
        settings = Settings(data_dir=Path(tmp) / "data", sources=Path(tmp) / "sources.toml")
        with SiteHost([(root, 0) for root in roots]) as host:
            urls = dict(zip((root.name for root in roots), host.urls(), strict=True))
            settings.sources.write_text(registry(urls), encoding="utf-8")
            done = run_ess(settings, "crawl", "--json", timeout=1200)
        if done.returncode != 0:
            raise RuntimeError(f"ess crawl failed: {done.stderr[-2000:]}")
        found = verdicts(settings)
    return {"pages generated": pages, **tally(found, articles)}


def demo_path(path: str) -> str:
    return path.removesuffix("index.html")


def evaluate_demo(settings: Settings) -> dict:
    """The demo's archive, as `ess process` judges it, against the article list read off the sites."""
    truth = json.loads(DEMO_ARTICLES.read_text(encoding="utf-8"))["articles"]
    articles = {(p.split("/", 1)[0], "/" + demo_path(p.split("/", 1)[1])) for p in truth}
    return tally(verdicts(settings), articles)


if __name__ == "__main__":
    print(json.dumps(evaluate_bench(int(sys.argv[1]) if len(sys.argv) > 1 else 1000), indent=1, ensure_ascii=False))
