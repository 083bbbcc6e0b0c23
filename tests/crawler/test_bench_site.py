"""The synthetic sites of the crawl benchmark: deterministic, dated, about recurring ESS actors."""

from __future__ import annotations

import re
from collections import Counter

from tests.bench.chunkgen import ORGS
from tests.bench.sitegen import write_sites

PAGES = 15
DATES = {
    "courrier-du-bocage": re.compile(r"Publié le (1er|\d{1,2}) \w+ \d{4} à \d\dh\d\d"),
    "reseau-fabriques": re.compile(r'<time class="entry-date published" datetime="\d{4}-\d\d-\d\d">'),
    "horizons-solidaires": re.compile(r'<meta property="article:published_time" content="\d{4}-\d\d-\d\dT'),
}


def files(folder) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_gives_the_same_bytes_and_another_seed_other_text(tmp_path):
    write_sites(tmp_path / "a", PAGES)
    write_sites(tmp_path / "b", PAGES)
    write_sites(tmp_path / "c", PAGES, seed=8)
    first = files(tmp_path / "a")
    assert first == files(tmp_path / "b")
    assert first != files(tmp_path / "c")


def test_articles_are_dated_listed_and_name_recurring_ess_actors(tmp_path):
    sites = write_sites(tmp_path, PAGES)
    mentions = Counter()
    articles = 0
    for site in sites:
        sitemap = (site / "sitemap.xml").read_text()
        listed = re.findall(r"<loc>__SITE__(/[^<]+)</loc>", sitemap)
        assert len(listed) == PAGES // len(sites)
        assert "Sitemap: __SITE__/sitemap.xml" in (site / "robots.txt").read_text()
        for path in listed:
            page = (site / (path.lstrip("/") + ("index.html" if path.endswith("/") else ""))).read_text()
            assert DATES[site.name].search(page), path
            assert page.count("<p>") >= 3
            mentions.update(org for org in ORGS if org in page)
            articles += 1
    assert articles == PAGES
    assert sum(1 for n in mentions.values() if n >= 2) >= 3  # the same networks come back across articles
