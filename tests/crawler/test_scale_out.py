"""Two crawler processes share one Redis frontier (scrapy-redis): every URL is fetched exactly once."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from crawler.sitehost import SiteHost
from tests_support import redis_server

PAGES = 60


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(scope="module")
def wide_site(tmp_path_factory):
    """A site of PAGES articles, all linked from the home page."""
    site = tmp_path_factory.mktemp("wide")
    (site / "articles").mkdir()
    links = []
    for n in range(PAGES):
        body = f"<p>Article {n} sur la coopération territoriale et l'emploi local, numéro {n}.</p>" * 20
        (site / "articles" / f"a{n}.html").write_text(f"<html><body><h1>Article {n}</h1>{body}</body></html>")
        links.append(f'<a href="/articles/a{n}.html">{n}</a>')
    (site / "index.html").write_text(f"<html><body>{''.join(links)}</body></html>")
    return site


def test_two_processes_split_one_crawl(redis_url, wide_site, tmp_path, base_settings, registry):
    from tests_support import run_ess_async

    with SiteHost([(wide_site, 0)]) as host:
        runs = []
        for name in ("one", "two"):
            settings = base_settings.model_copy(update={"data_dir": tmp_path / name})
            settings = registry(settings, {"wide": host.urls()[0]}, max_pages=1000)
            runs.append(run_ess_async(settings, "crawl", "--json", ESS_REDIS_URL=redis_url, ESS_CRAWL_FRONTIER="t1"))
        outputs = [process.communicate(timeout=300) for process in runs]
        requested = Counter(path for _, _, path, _ in host.requests() if path != "/robots.txt")
    assert all(process.returncode == 0 for process in runs), [err[-2000:] for _, err in outputs]
    assert requested[f"/articles/a{PAGES - 1}.html"] == 1
    assert max(requested.values()) == 1, [path for path, n in requested.items() if n > 1]
    assert sum(1 for path in requested if path.startswith("/articles/")) == PAGES
    fetched = [json.loads(out)["wide"].get("fetched", 0) for out, _ in outputs]
    assert sum(fetched) == PAGES + 1  # the articles and the home page
