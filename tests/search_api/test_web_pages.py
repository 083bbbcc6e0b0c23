"""The analysts' page in a real browser (Debian's chromium driven by Playwright) over a real uvicorn.

The fixture sites plus a hostile one (markup in its title, author and body) are crawled and processed;
screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import unquote

import pytest

from crawler.sitehost import SiteHost
from tests_support import FIXTURES, serving

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,  # the page in a real browser
    pytest.mark.skipif(
        CHROMIUM is None, reason="chromium is not installed (Debian package chromium; .ci/run installs it)"
    ),
]


@pytest.fixture(scope="module")
def web_data(processed, tmp_path_factory, ess, registry):
    """A copy of the processed fixture sites, plus the hostile site crawled and processed into it."""
    from pipeline.processing.run import process

    settings, _ = processed
    data = tmp_path_factory.mktemp("web") / "data"
    shutil.copytree(settings.data_dir, data)
    with SiteHost([(FIXTURES / "xss_site", 0)]) as host:
        hostile = registry(settings.model_copy(update={"data_dir": data}), {"hostile": host.urls()[0]})
        done = ess(hostile, "crawl")
        assert done.returncode == 0, done.stderr[-2000:]
    assert process(hostile).counts["processed"] == 1
    return hostile


@pytest.fixture(scope="module")
def site(web_data):
    """`ess serve` on a free loopback port."""
    with serving(web_data) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .[dev])")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser, site):
    """A fresh page that records dialogs (an alert() would mean a script ran) and console errors."""
    context = browser.new_context(base_url=site, viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.dialogs, opened.errors = [], []
    opened.on("dialog", lambda dialog: (opened.dialogs.append(dialog.message), dialog.dismiss()))
    opened.on("pageerror", lambda error: opened.errors.append(str(error)))
    yield opened
    context.close()


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_search_shows_results_and_a_facet_click_filters(page):
    page.goto("/?q=emploi+coopération+économie+locale")
    hits = page.locator("li.hit")
    assert hits.count() > 1
    assert page.locator(".snippet mark").count() > 0
    shoot(page, "search")
    sources = set(page.locator("li.hit .source").all_inner_texts())
    assert {"alpha", "beta"} <= sources
    page.locator(".facets a.facet", has_text="beta").first.click()
    page.wait_for_load_state()
    assert "source=beta" in page.url
    assert set(page.locator("li.hit .source").all_inner_texts()) == {"beta"}
    assert page.locator(".facets a.facet.active", has_text="beta").count() == 1
    assert page.locator("#q").input_value() == "emploi coopération économie locale"  # state kept in the URL
    shoot(page, "search-filtered")


def test_an_entity_chip_opens_its_page_with_both_charts(page):
    page.goto("/?q=Coorace&mode=keyword")
    page.locator("li.hit .chips a.chip", has_text="Coorace").first.click()
    page.wait_for_load_state()
    assert unquote(page.url).endswith("/entity/Coorace")
    assert page.locator("h1").inner_text().startswith("Coorace")
    charts = page.locator(".charts svg.chart")
    assert charts.count() == 2
    assert charts.nth(0).locator("rect.chart-bar").count() >= 1  # mentions per source
    assert charts.nth(1).locator("rect.chart-bar").count() >= 1  # mentions per month
    assert page.locator("ol.documents li").count() >= 1
    shoot(page, "entity")


def test_the_entity_network_links_to_the_entities_around(page):
    page.goto("/entity/Coorace")
    network = page.locator("figure.network svg.chart")
    assert network.count() == 1 and network.locator("a.network-node").count() > 2
    assert network.locator("line.network-spoke").count() == network.locator("a.network-node").count() - 1
    shoot(page, "entity-network")
    neighbour = network.locator("a.network-node:not(.center)").first
    name = neighbour.locator("text").text_content()
    neighbour.click()
    page.wait_for_load_state()
    assert unquote(page.url).endswith(f"/entity/{name}") and page.locator("h1").inner_text().startswith(name)


def test_the_document_page_highlights_entities_and_dates(page):
    page.goto("/?q=Coorace&mode=keyword&source=alpha")
    page.locator("li.hit h3 a").first.click()
    page.wait_for_load_state()
    assert "/document/" in page.url
    assert page.locator(".text a.ent.ent-ORG", has_text="Coorace").count() >= 1
    assert page.locator(".text a.ent.ent-LOC").count() >= 1
    assert page.locator(".text mark.date").count() >= 1
    shoot(page, "document")


def test_a_search_is_watched_from_the_page_and_its_feed_linked(page):
    page.goto("/?q=Coorace&mode=keyword&source=alpha")
    page.fill("#watch-name", "Coorace dans alpha")
    page.get_by_role("button", name="Suivre cette recherche").click()
    page.wait_for_url("**/watchlist#watch-*")  # the browser's own Origin and Sec-Fetch-Site were accepted
    watch = page.locator("li.watch", has_text="Coorace dans alpha")
    assert watch.count() == 1 and "source alpha" in watch.inner_text()
    feed = watch.locator("a.feed").get_attribute("href")
    assert page.locator(f'head link[rel="alternate"][href="{feed}"]').count() == 1
    atom = page.request.get(feed)
    assert atom.ok and atom.headers["content-type"].startswith("application/atom+xml") and b"<entry>" in atom.body()
    shoot(page, "watchlist")
    watch.locator("h2 a").click()
    page.wait_for_load_state()
    assert "source=alpha" in page.url and page.locator("p.watching").count() == 1
    page.goto("/watchlist")
    page.locator("li.watch", has_text="Coorace dans alpha").get_by_role("button", name="Ne plus suivre").click()
    page.wait_for_load_state()
    assert page.locator("li.watch", has_text="Coorace dans alpha").count() == 0 and not page.errors


def test_the_coverage_chart_compares_two_queries(page):
    page.goto("/coverage")
    page.fill("#q1", "Coorace")
    page.fill("#q2", "insertion")
    page.select_option("#measure", "documents")
    page.get_by_role("button", name="Comparer").click()
    page.wait_for_load_state()
    chart = page.locator("figure.coverage-chart svg.chart")
    assert chart.count() == 1
    for number in (0, 1):
        assert chart.locator(f"circle.series-{number}").count() >= 1
    assert page.locator("figcaption .legend").all_inner_texts() == ["Coorace", "insertion"]
    assert page.locator("table.coverage-totals tbody tr").count() == 2 and not page.errors
    shoot(page, "coverage")


def test_the_sources_page_lists_documents_per_source(page):
    page.goto("/corpus")
    rows = page.locator("table.sources tbody tr")
    assert rows.count() == 3
    assert "alpha" in rows.nth(0).inner_text()
    shoot(page, "sources")


def test_hostile_markup_is_shown_as_text_and_no_script_runs(page):
    response = page.goto("/?q=coopération+Bressuire+script")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    hostile = page.locator("li.hit", has_text="alert('titre')")
    assert hostile.count() == 1
    assert "<script>alert('titre')</script>" in hostile.locator("h3").inner_text()
    hostile.locator("h3 a").click()
    page.wait_for_load_state()
    assert "<script>alert('titre')</script>" in page.locator("h1").inner_text()
    assert "Dupont" in page.locator(".facts").inner_text()  # trafilatura keeps the words of the author only
    assert "<img src=x onerror=alert('texte')>" in page.locator(".text").inner_text()
    assert page.locator("main script, main img").count() == 0
    assert page.locator("a[href^='javascript:']").count() == 0
    assert page.evaluate("window.__xss") is None
    assert page.dialogs == [] and page.errors == []
    shoot(page, "hostile-document")


def test_usable_at_375_pixels_and_with_the_keyboard(browser, site):
    context = browser.new_context(base_url=site, viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto("/?q=coopération+territoriale")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shoot(page, "search-375px")
    page.goto("/")
    page.locator("body").click()
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("Coorace")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("li.hit").count() >= 1
    for control in ("#q", "#mode"):
        assert page.locator(f"label[for='{control[1:]}']").count() == 1
    context.close()
