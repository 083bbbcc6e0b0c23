"""`ess watch add|list|remove|report` and the end of `ess recrawl --process`, by the real command."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from crawler.sitehost import SiteHost
from tests_support import SITES

pytestmark = pytest.mark.slow  # the real commands over a crawled site

TEMPLATE = "articles/boulangerie-dufresne-scop.html"
ADDED = "articles/ressourcerie-des-coteaux.html"


def test_watches_from_the_command_line_and_their_digest(processed, tmp_path, ess):
    data = tmp_path / "data"
    shutil.copytree(processed[0].data_dir, data)
    settings = processed[0].model_copy(update={"data_dir": data, "sources": data / "sources.toml"})
    added = ess(settings, "watch", "add", "Coorace", "Coorace", "--mode", "keyword", "--source", "alpha")
    assert added.returncode == 0 and "feed: /watches/1/feed.atom" in added.stdout, added.stderr[-2000:]
    refused = ess(settings, "watch", "add", "Autre", "Coorace", "--since", "2024-02-30")
    assert refused.returncode != 0 and "date_from" in refused.stderr
    listed = json.loads(ess(settings, "watch", "list", "--json").stdout)
    assert [(w["name"], w["q"], w["source"]) for w in listed] == [("Coorace", "Coorace", ["alpha"])]

    with sqlite3.connect(settings.store_db) as db:
        titles = {
            r[0] for r in db.execute("SELECT title FROM documents WHERE source = 'alpha' AND text LIKE '%Coorace%'")
        }
    digest = tmp_path / "digest.md"
    report = ess(settings, "watch", "report", "--since", "2000-01-01", "--output", str(digest))
    assert report.returncode == 0, report.stderr[-2000:]
    text = digest.read_text(encoding="utf-8")
    assert titles and all(title in text for title in titles) and "## Coorace" in text
    page = tmp_path / "digest.html"
    assert (
        ess(settings, "watch", "report", "--format", "html", "--since", "2000-01-01", "--output", str(page)).returncode
        == 0
    )
    HTMLParser().feed(page.read_text(encoding="utf-8"))
    later = ess(settings, "watch", "report", "--since", "2099-01-01T00:00:00Z", "--output", str(digest))
    assert later.returncode == 0 and "Rien de nouveau." in digest.read_text(encoding="utf-8")
    assert "no longer watching" in ess(settings, "watch", "remove", "Coorace").stdout
    assert ess(settings, "watch", "remove", "Coorace").returncode != 0


def test_a_recrawl_with_processing_ends_with_what_each_watch_gained(tmp_path, base_settings, ess, registry):
    site = tmp_path / "site"
    shutil.copytree(SITES / "alpha", site)
    settings = base_settings.model_copy(update={"data_dir": tmp_path / "data"})
    with SiteHost([(site, 0)]) as host:
        settings = registry(settings, {"alpha": host.urls()[0]})
        assert ess(settings, "crawl").returncode == 0
        assert ess(settings, "process").returncode == 0
        assert ess(settings, "watch", "add", "Ressourceries", "ressourcerie", "--mode", "keyword").returncode == 0
        article = (site / TEMPLATE).read_text(encoding="utf-8")
        article = article.replace("boulangerie Dufresne", "ressourcerie des Coteaux")
        (site / ADDED).write_text(article.replace(TEMPLATE, ADDED), encoding="utf-8")
        entry = f"<url><loc>__SITE__/{ADDED}</loc><lastmod>{datetime.now(UTC).isoformat()}</lastmod></url></urlset>"
        sitemap = site / "sitemap.xml"
        sitemap.write_text(sitemap.read_text().replace("</urlset>", entry))
        done = ess(settings, "recrawl", "--process")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Ressourceries: 1 new" in done.stdout and "ressourcerie des Coteaux devient une Scop" in done.stdout
