"""The analysts' pages as HTML (without a browser): state in the URL, facet links, errors, charts, headers."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

from search_api.web.charts import Bar, months_between, source_bars, timeline
from search_api.web.highlight import highlighted


def links(html: str, css_class: str) -> dict[str, str]:
    """Link text (without its count) -> href, for links of a class."""
    found = re.findall(rf'<a class="{css_class}[^"]*"[^>]*href="([^"]+)">([^<]+)<span', html)
    return {text.strip(): unescape(href) for href, text in found}


def test_facet_links_add_a_filter_and_remove_it_once_active(client):
    page = client.get("/", params={"q": "emploi coopération"}).text
    year = links(page, "facet")["2025"]
    assert parse_qs(urlsplit(year).query) == {"q": ["emploi coopération"], "date_from": ["2025"], "date_to": ["2025"]}
    filtered = client.get(year).text
    assert 'aria-current="true"' in filtered
    back = links(filtered, "facet active")["2025"]
    assert parse_qs(urlsplit(back).query) == {"q": ["emploi coopération"]}
    coorace = links(page, "facet")["Coorace"]
    assert parse_qs(urlsplit(coorace).query)["entity"] == ["Coorace"]


def test_bad_form_values_are_explained_not_fatal(client):
    response = client.get("/", params={"q": "emploi", "date_from": "mars", "mode": "fuzzy", "page": "-3"})
    assert response.status_code == 200
    assert "La date de début « mars » n&#39;est pas de la forme" in response.text
    assert 'value="hybrid" selected' in response.text
    long = client.get("/", params={"q": "emploi " * 200})
    assert long.status_code == 200 and "dépasse 1000 caractères" in long.text


def test_unknown_pages_are_404_pages_with_suggestions(client):
    missing = client.get("/entity/Cooracee")
    assert missing.status_code == 404 and 'href="/entity/Coorace"' in missing.text
    assert client.get("/document/0000000000000000").status_code == 404
    assert client.get("/document/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_every_response_forbids_inline_script(client):
    for path in ("/", "/corpus", "/search?q=emploi", "/entity/Coorace", "/static/style.css"):
        policy = client.get(path).headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_entity_page_draws_both_charts_and_its_network(client):
    page = client.get("/entity/coorace").text
    assert page.count('<svg class="chart"') == 3 and "mentions per month" in page
    assert 'aria-label="Entités citées avec Coorace"' in page


def test_timeline_keeps_empty_months_and_bars_scale_to_the_largest():
    assert months_between("2024-11", "2025-02") == ["2024-11", "2024-12", "2025-01", "2025-02"]
    svg = timeline({"2024-11": 2, "2025-02": 4})
    assert svg.count('class="chart-bar"') == 4 and 'height="0"' in svg
    bars = source_bars([Bar("alpha", 10), Bar("<b>beta</b>", 5)])
    widths = [int(w) for w in re.findall(r'rect class="chart-bar" x="\d+" y="\d+" width="(\d+)"', bars)]
    assert widths[0] == 2 * widths[1] and "&lt;b&gt;beta&lt;/b&gt;" in bars and "<b>" not in bars


def test_document_text_is_escaped_and_its_mentions_linked():
    text = "Le <b>Coorace</b> a parlé\nle 3 mai 2025."
    org, date = text.index("Coorace"), text.index("3 mai")
    mentions = [
        {"start": org, "end": org + 7, "label": "ORG", "entity": "Coorace", "value": None},
        {"start": date, "end": date + 10, "label": "DATE", "entity": None, "value": "2025-05-03"},
    ]
    html = str(highlighted(text, mentions))
    assert html == (
        '<p>Le &lt;b&gt;<a class="ent ent-ORG" href="/entity/Coorace" title="ORG: Coorace">Coorace</a>&lt;/b&gt; '
        'a parlé</p><p>le <mark class="date" title="date: 2025-05-03">3 mai 2025</mark>.</p>'
    )
