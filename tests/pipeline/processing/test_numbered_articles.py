"""A site whose short news items live at /articles/1 … /articles/12, with date markup, no feed and an ordinary
sitemap that lists its listings too, crawled over HTTP and processed: every item is a document (a trailing
number is an id, not a month), the home and the /articles/ listing are not, and an item edited after the crawl
is found again by its new words."""

from __future__ import annotations

import pytest

from crawler.sitehost import SiteHost
from pipeline.processing.run import process
from pipeline.store.reader import StoreReader

pytestmark = pytest.mark.slow  # a site crawled, processed, recrawled

PLACES = ["Niort", "Cholet", "Bressuire", "Parthenay", "Saumur", "Thouars", "Melle", "Fontenay", "Luçon", "Mauléon",
          "Airvault", "Argenton"]  # fmt: skip
ACTS = ["ouvre une ressourcerie", "lance un chantier d'insertion", "crée une épicerie solidaire",
        "reprend une menuiserie en SCOP", "inaugure un tiers-lieu", "signe une clause sociale",
        "ouvre un garage solidaire", "forme des salariés en insertion", "fonde une SCIC de l'énergie",
        "accueille un PTCE", "soutient une monnaie locale", "lance une conciergerie solidaire"]  # fmt: skip


def item(n: int, place: str, act: str, extra: str = "") -> str:
    text = (
        f"À {place}, l'association du territoire {act} avec le soutien de la communauté de communes. "
        f"Le projet emploie d'abord {n + 3} personnes éloignées de l'emploi, accompagnées par une encadrante "
        f"technique et une chargée d'insertion. Les partenaires locaux, dont la CRESS et plusieurs entreprises "
        f"du bassin, financent l'équipement et s'engagent sur des commandes. Une réunion publique présentera "
        f"le calendrier aux habitants au printemps. {extra}"
    )
    return (
        f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{place} : {act}</title>'
        f'<meta property="article:published_time" content="2026-03-{n:02d}T09:00:00+01:00"></head>'
        f'<body><header><a href="/">Réseau solidaire</a></header><main><article><h1>{place} {act}</h1>'
        f'<p>{text}</p></article></main><footer><a href="/mentions-legales.html">Mentions légales</a></footer>'
        "</body></html>"
    )


def listing(title: str) -> str:
    teasers = "".join(
        f'<article><h2><a href="/articles/{n}">{place} {act}</a></h2><p>Brève du {n} mars.</p></article>'
        for n, (place, act) in enumerate(zip(PLACES, ACTS, strict=True), start=1)
    )
    return f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{title}</title></head><body>' \
        f"<main><h1>{title}</h1>{teasers}</main></body></html>"  # fmt: skip


@pytest.fixture(scope="module")
def numbered_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("numbered-site")
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n\nSitemap: __SITE__/sitemap.xml\n", encoding="utf-8")
    locations = ["/", "/articles/", *(f"/articles/{n}" for n in range(1, 13))]  # the listings too: weak evidence
    entries = "".join(f"<url><loc>__SITE__{path}</loc></url>" for path in locations)
    sitemap = f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    (root / "sitemap.xml").write_text(sitemap, encoding="utf-8")
    (root / "index.html").write_text(listing("Réseau solidaire : les brèves"), encoding="utf-8")
    (root / "articles").mkdir()
    (root / "articles" / "index.html").write_text(listing("Toutes les brèves"), encoding="utf-8")
    for n, (place, act) in enumerate(zip(PLACES, ACTS, strict=True), start=1):
        (root / "articles" / str(n)).mkdir()
        (root / "articles" / str(n) / "index.html").write_text(item(n, place, act), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def crawled_numbered(numbered_site, base_settings, registry, ess, embedder, tmp_path_factory):
    settings = base_settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("numbered-data")})
    with SiteHost([(numbered_site, 0)]) as host:
        settings = registry(settings, {"numbered": host.urls()[0]})
        done = ess(settings, "crawl", "--json")
        assert done.returncode == 0, done.stderr[-3000:]
        first = process(settings)
        edited = numbered_site / "articles" / "5" / "index.html"
        edited.write_text(item(5, PLACES[4], ACTS[4], "Un atelier de réparation de vélos complète l'offre."))
        done = ess(settings, "recrawl", "--json")
        assert done.returncode == 0, done.stderr[-3000:]
    return settings, first, process(settings)


def test_every_numbered_item_is_a_document_and_no_listing_is(crawled_numbered):
    settings, first, _ = crawled_numbered
    store = StoreReader(settings.store_db)
    urls = {row["url"].split("/", 3)[3] for row in store.db.execute("SELECT url FROM documents")}
    store.close()
    assert urls == {f"articles/{n}" for n in range(1, 13)}
    assert first.counts.get("kept: short article") == 12


def test_an_edited_item_is_found_by_its_new_words(crawled_numbered):
    settings, _, rerun = crawled_numbered
    assert rerun.counts.get("processed") == 1
    store = StoreReader(settings.store_db)
    text = store.db.execute("SELECT text FROM documents WHERE url LIKE '%/articles/5'").fetchone()[0]
    store.close()
    assert "réparation de vélos" in text
