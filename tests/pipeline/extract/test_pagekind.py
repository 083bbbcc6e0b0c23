"""The article rule: each signal on its own, and the reasons it gives."""

from __future__ import annotations

import pytest
from trafilatura.utils import load_html

from pipeline.extract import article_rule
from pipeline.extract.article_rule import Page, PageSignals, Thresholds, judge, read_signals

LIMITS = Thresholds()
ARTICLE_URL = "https://reseau.example/actualites/2026/03/une-ressourcerie-ouvre-a-cerizay.html"


def signals(html: str) -> PageSignals:
    return read_signals(load_html(f"<html><head>{html}</head><body><p>x</p></body></html>"))


def body_signals(body: str) -> PageSignals:
    return read_signals(load_html(f"<html><head><title>t</title></head><body>{body}</body></html>"))


def verdict(words: int, url: str = ARTICLE_URL, **facts) -> tuple[bool, str]:
    found = judge(Page(url=url, kind=facts.pop("kind", "html"), words=words, **facts), LIMITS)
    return found.keep, found.reason


@pytest.mark.parametrize(
    "head",
    [
        '<meta property="og:type" content="article">',
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "h"}</script>',
        '<script type="application/ld+json">{"@graph": [{"@type": "WebPage"}, {"@type": ["BlogPosting"]}]}</script>',
    ],
)
def test_structured_data_says_article(head):
    assert signals(head).structured_article
    assert verdict(40, signals=signals(head)) == (True, article_rule.SHORT_ARTICLE)


def test_broken_json_ld_is_no_signal_and_no_crash():
    found = signals('<script type="application/ld+json">{"@type": "NewsArticle",</script>')
    assert not found.structured_article
    assert verdict(40, signals=found) == (False, article_rule.NO_SIGNALS)


def test_a_short_page_needs_a_signal_each_of_which_suffices():
    assert verdict(40) == (False, article_rule.NO_SIGNALS)
    assert verdict(40, listed=True) == (True, article_rule.SHORT_ARTICLE)
    assert verdict(40, signals=body_signals("<article><p>x</p></article>")) == (True, article_rule.SHORT_ARTICLE)
    dated = body_signals('<p>Publié le <time datetime="2026-03-12">12 mars</time></p>')
    assert dated.date_markup and verdict(40, signals=dated) == (True, article_rule.SHORT_ARTICLE)


def test_below_the_short_floor_nothing_is_an_article():
    assert verdict(LIMITS.min_short_words - 1, listed=True) == (False, article_rule.TOO_SHORT)


def test_a_long_page_is_an_article_without_signals():
    assert verdict(LIMITS.min_words) == (True, article_rule.ARTICLE)


def test_teasers_make_a_listing_even_with_long_text():
    teasers = "".join(f'<article><h2><a href="/a{i}.html">Titre {i}</a></h2><p>résumé</p></article>' for i in range(4))
    found = body_signals(teasers)
    assert found.teaser_headings == 4 and found.article_elements == 4
    assert verdict(400, signals=found) == (False, article_rule.LISTING)


def test_link_density_makes_a_listing():
    assert verdict(400, link_density=LIMITS.max_link_density + 0.01) == (False, article_rule.LISTING)


@pytest.mark.parametrize(
    "url",
    [
        "https://site.example/",
        "https://site.example/actualites/",
        "https://site.example/actualites/index.html",
        "https://site.example/tag/ptce/",
        "https://site.example/rubriques/economie.html",
        "https://site.example/blog/2025/06/",
        "https://site.example/actualites/page/2/",
        "https://site.example/actualites?page=3",
        "https://site.example/auteur/nathalie-kessler/",
    ],
)
def test_listing_urls(url):
    assert verdict(400, url=url) == (False, article_rule.LISTING)


def test_a_listing_url_yields_to_article_markup_or_a_feed():
    url = "https://site.example/rubrique/economie/"
    assert verdict(400, url=url) == (False, article_rule.LISTING)
    assert verdict(400, url=url, listed=True) == (True, article_rule.ARTICLE)
    assert verdict(400, url=url, signals=signals('<meta property="og:type" content="article">'))[0]


@pytest.mark.parametrize(
    "url",
    [
        "https://site.example/articles/5",  # a trailing number is an id, not a month
        "https://site.example/articles/12",
        "https://site.example/news/12345",
        "https://site.example/actualites/1042-ptce-val-d-argent.html",
        "https://site.example/rubrique/economie/une-scop-reprend-la-menuiserie",  # a title below a rubrique
        "https://site.example/?p=123",
        "https://site.example/spip.php?id_article=45",
        "https://site.example/2025/06/12/une-scop-ouvre-a-niort",
    ],
)
def test_item_urls(url):
    assert article_rule.article_url(url) and not article_rule.listing_url(url)
    assert verdict(400, url=url) == (True, article_rule.ARTICLE)


@pytest.mark.parametrize(
    ("url", "listing"),
    [
        ("https://site.example/2025/", True),
        ("https://site.example/2025/06/", True),  # a month after a year
        ("https://site.example/2025/06/12/", True),  # a day after a month
        ("https://site.example/articles/6", False),
        ("https://site.example/06/", False),  # no year before it: an id
        ("https://site.example/tag/economie-sociale-et-solidaire/", True),  # a tag's name, however long
    ],
)
def test_a_month_is_a_month_only_after_a_year(url, listing):
    assert article_rule.listing_url(url) is listing


def test_the_page_s_own_markup_outweighs_a_listing_url():
    item = body_signals(
        "<main><article><h1>Une ressourcerie ouvre</h1><p>L'association du Bocage ouvre sa ressourcerie "
        "rue de la Gare avec six salariés en insertion.</p></article></main>"
    )
    assert item.single_item
    assert verdict(60, url="https://site.example/actualites/", signals=item) == (True, article_rule.SHORT_ARTICLE)
    assert verdict(60, url="https://site.example/actualites/") == (False, article_rule.LISTING)


def test_one_item_needs_a_heading_and_a_paragraph():
    line = "<p>Une ligne de huit mots et plus encore ici</p>"
    assert not body_signals(f"<main><article>{line}</article></main>").single_item
    assert not body_signals("<main><h1>Titre</h1><p>Court.</p></main>").single_item
    assert body_signals(f"<main><h1>Titre</h1>{line}</main>").single_item
    two = f"<article><h2>A</h2>{line}</article>"
    assert not body_signals(two + two).single_item
    teaser = '<h2><a href="/agenda/ag.html">Assemblée générale le 23 avril</a></h2>'
    assert not body_signals(f"<main><h1>Agenda</h1>{line}{teaser}</main>").single_item  # a listing's intro


def test_a_date_on_every_teaser_is_no_publication_date():
    teasers = '<p><time datetime="2026-03-01">1 mars</time></p><p><time datetime="2026-03-02">2 mars</time></p>'
    assert not body_signals(teasers).date_markup
    assert signals('<meta property="article:published_time" content="2026-03-01">').date_markup


def test_an_ordinary_sitemap_is_weak_evidence():
    item_url, plain_url = "https://site.example/articles/7", "https://site.example/economie"
    assert verdict(60, url=item_url, in_sitemap=True) == (True, article_rule.SHORT_ARTICLE)  # two weak signs
    assert verdict(60, url=item_url) == (False, article_rule.NO_SIGNALS)
    assert verdict(60, url=plain_url, in_sitemap=True) == (False, article_rule.NO_SIGNALS)
    assert verdict(60, url="https://site.example/actualites/", in_sitemap=True) == (False, article_rule.LISTING)


@pytest.mark.parametrize(
    "path", ["mentions-legales.html", "contact/", "politique-de-confidentialite", "cookies.html", "a-propos/index.html"]
)
def test_legal_contact_and_service_pages(path):
    assert verdict(400, url=f"https://site.example/{path}", listed=True) == (False, article_rule.SITE_PAGE)


def test_an_article_slug_containing_contact_is_still_an_article():
    assert verdict(400, url="https://site.example/actualites/contact-avec-les-elus-du-bocage.html")[0]


def test_given_included_and_pdf_pages_are_always_kept():
    home = "https://site.example/"
    assert verdict(3, url=home, given=True) == (True, article_rule.GIVEN)
    assert verdict(3, url=home, included=True) == (True, article_rule.INCLUDED)
    assert verdict(3, url=home, kind="pdf") == (True, article_rule.REPORT)


def test_a_heading_is_a_teaser_only_when_it_is_a_link():
    found = body_signals(
        '<article><h2>La SCIC du Bocage, <a href="/scic">lire</a> la suite de notre enquête</h2></article>'
    )
    assert found.teaser_headings == 0 and verdict(40, signals=found) == (True, article_rule.SHORT_ARTICLE)


def test_one_teaser_on_a_paginated_page_is_a_listing_not_a_short_article():
    card = '<article class="card"><h3><a href="/a.html">Une ressourcerie ouvre</a></h3><p>résumé</p></article>'
    found = body_signals(card + '<a rel="prev" href="/actualites/">Précédent</a>')
    assert verdict(60, url="https://site.example/economie/suite.html", signals=found) == (False, article_rule.LISTING)
    assert verdict(60, url="https://site.example/economie/suite.html", signals=body_signals(card))[1] == (
        article_rule.NO_SIGNALS
    )
