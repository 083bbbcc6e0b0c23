"""Discovery through Atom feeds, sitemap indexes, gzipped news sitemaps; one fetch per URL across sources."""

from __future__ import annotations

import gzip
import json
import shutil
from collections import Counter

from crawler.sitehost import SiteHost
from tests_support import FIXTURES, SITES


def test_atom_feed_sitemap_index_and_gzipped_news_sitemap(tmp_path, base_settings, registry, ess):
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "feeds_site", site)
    settings = base_settings.model_copy(update={"data_dir": tmp_path / "data"})
    with SiteHost([(site, 0)]) as host:
        base = host.urls()[0]
        template = (site / "sitemap-news.xml.template").read_text()
        (site / "sitemap-news.xml.gz").write_bytes(gzip.compress(template.replace("__SITE__", base).encode()))
        settings = registry(settings, {"feeds": base})
        done = ess(settings, "crawl", "--json")
        requested = [path for _, _, path, _ in host.requests()]
    assert done.returncode == 0, done.stderr[-2000:]
    assert "/news/par-atom.html" in requested  # from the Atom feed announced by <link rel=alternate>
    assert "/news/par-plan-news.html" in requested  # robots.txt -> sitemap index -> .xml.gz news sitemap
    assert "/news/reponses.html" not in requested  # an Atom link that is not the entry's page
    assert json.loads(done.stdout)["feeds"]["new"] == 6  # 3 pages, the feed, the index and the news sitemap


def test_a_url_reachable_from_two_sources_is_fetched_once(tmp_path, base_settings, registry, ess):
    settings = base_settings.model_copy(update={"data_dir": tmp_path / "data"})
    with SiteHost([(SITES / "alpha", 0)]) as host:
        settings = registry(
            settings, {"alpha": host.urls()[0], "alpha-mirror": host.urls()[0] + "/index.html?utm_source=x"}
        )
        done = ess(settings, "crawl", "--json")
        requested = Counter(path for _, _, path, _ in host.requests() if path.startswith("/articles/"))
    assert done.returncode == 0, done.stderr[-2000:]
    assert requested and max(requested.values()) == 1


def test_max_pages_caps_each_source(tmp_path, base_settings, registry, ess):
    settings = base_settings.model_copy(update={"data_dir": tmp_path / "data"})
    with SiteHost([(SITES / "alpha", 0)]) as host:
        settings = registry(settings, {"alpha": host.urls()[0]})
        done = ess(settings, "crawl", "--max-pages", "2", "--json")
    summary = json.loads(done.stdout)["alpha"]
    assert summary["fetched"] == 2 and summary["skipped/max_pages"] >= 1
