"""Three deterministic synthetic French ESS press sites, for crawl and extraction benchmarks.

``write_sites(folder, pages, seed)`` writes ``pages`` articles, split across three site folders:

- ``courrier-du-bocage``, a regional daily: menu, breadcrumb, "Publié le 12 mars 2025 à 08h15",
  a "Lire aussi" box inside the article, share buttons, comments, legal footer, cookie banner;
- ``reseau-fabriques``, the news blog of an association network: ``<time datetime>``, byline,
  tags (with tag pages), a sidebar with the network's agenda and a newsletter form;
- ``horizons-solidaires``, a magazine: ``article:published_time``, JSON-LD NewsArticle, lead
  paragraph, pull quote, newsletter box.

One article in ten is a brève of 30 to 90 words. Every site has a home page, paginated section listings
linking every article, legal pages, a
``robots.txt`` (a private path disallowed, a ``Sitemap:`` line), a ``sitemap.xml`` of every article
and an RSS ``feed.xml`` of the latest 20. Absolute URLs use ``__SITE__``, which
`crawler.sitehost.SiteHost` replaces by the site's base URL. Article text comes from the generator of
`tests.bench.chunkgen` (recurring networks, towns, people, themes, dates). The same seed and size
always give byte-identical files.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape
from pathlib import Path

PER_PAGE = 50  # articles per listing page
FEED_ITEMS = 20
HOME_ITEMS = 10
RELATED = 3
MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()
LEGAL = (
    ("mentions-legales", "Mentions légales"),
    ("confidentialite", "Politique de confidentialité"),
    ("contact", "Contact"),
)
COMMENTS = (
    ("Bocain79", "Enfin une bonne nouvelle pour le territoire, bravo à toute l'équipe."),
    ("Marie-Jo", "Et les financements après trois ans, on en parle ? Toujours la même histoire."),
    ("citoyen_engagé", "J'y suis allé samedi, accueil très sympathique, je recommande."),
    ("Pierrot", "Article intéressant mais il manque l'avis des commerçants du centre-bourg."),
    ("LucieB", "Mon fils y a fait son parcours d'insertion, il a trouvé un CDI depuis."),
)
EVENTS = ("Rencontre régionale", "Atelier d'échanges", "Assemblée générale", "Webinaire", "Journée portes ouvertes")
FOUR_WEEKS = timedelta(days=28)
BRIEF_EVERY = 10  # one article in ten is a brève: a short news item that must be indexed all the same
BRIEF_WORDS = (30, 90)


@dataclass(frozen=True)
class Site:
    slug: str
    title: str
    kind: str  # registry kind
    words: tuple[int, int]  # shortest and longest article, in words
    sections: tuple[tuple[str, str], ...]  # (slug, label)
    private: str  # path that robots.txt disallows, linked from every page
    article_path: str  # format of an article's path: n, slug, section, year, month
    listing_path: tuple[str, str]  # format of a section's first page, and of its page k
    render: Callable[[Story, Corpus], str] = field(compare=False)
    header: Callable[[Site], str] = field(compare=False)
    footer: Callable[[Site], str] = field(compare=False)
    tag_pages: bool = False  # a listing page per theme tag, which articles link

    def listing(self, section: str, k: int) -> str:
        return (self.listing_path[0] if k == 1 else self.listing_path[1]).format(section=section, k=k)


@dataclass(frozen=True)
class Story:
    n: int
    site: Site
    section: tuple[str, str]
    tags: tuple[str, ...]  # theme tags: the article's theme, then the other one it touches
    title: str
    paragraphs: tuple[str, ...]
    author: str
    when: datetime
    path: str

    @property
    def lead(self) -> str:
        first = self.paragraphs[0]
        return first if len(first) < 220 else first[: first.rfind(" ", 0, 200)] + "…"


@dataclass
class Corpus:
    """One site's stories, newest first, with what the templates look up."""

    site: Site
    stories: list[Story]
    labels: dict[str, str]  # theme tag -> label
    by_tag: dict[str, list[Story]] = field(default_factory=dict)
    position: dict[int, int] = field(default_factory=dict)  # story n -> index in stories

    def __post_init__(self):
        for i, story in enumerate(self.stories):
            self.position[story.n] = i
            self.by_tag.setdefault(story.tags[0], []).append(story)

    def related(self, story: Story) -> list[Story]:
        """The closest stories in time on the same theme (others when the theme has too few)."""
        same = [s for s in self.by_tag[story.tags[0]] if s.n != story.n]
        pool = same if len(same) >= RELATED else [s for s in self.stories if s.n != story.n]
        here = self.position[story.n]
        return sorted(pool, key=lambda s: (abs(self.position[s.n] - here), s.n))[:RELATED]


def h(text: str) -> str:
    """Text escaped for an element's content (attribute values use ``escape``)."""
    return escape(text, quote=False)


# --- dates and words ----------------------------------------------------------------------------


def paris(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A Paris time; summer time approximated as April to October."""
    return datetime(year, month, day, hour, minute, tzinfo=timezone(timedelta(hours=2 if 4 <= month <= 10 else 1)))


def french_date(when: datetime) -> str:
    return f"{'1er' if when.day == 1 else when.day} {MONTHS[when.month - 1]} {when.year}"


def slugify(text: str, limit: int = 60) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return words[:limit].rstrip("-") or "article"


def chunkgen():
    """`tests.bench.chunkgen`, imported when first needed: it loads the processing pipeline (spaCy, torch),
    which the crawl benchmark's children, needing only ``bench_sources``, should not pay for."""
    from tests.bench import chunkgen as module

    return module


def staff(seed: int, site: Site, count: int = 7) -> list[str]:
    gen, rng = chunkgen(), random.Random(f"{seed}:staff:{site.slug}")
    return [f"{rng.choice(gen.FIRST)[0]} {rng.choice(gen.LAST)}" for _ in range(count)]


# --- stories --------------------------------------------------------------------------------------


def story(seed: int, n: int, site: Site, authors: list[str]) -> Story:
    """Article ``n``: a theme, a date, chunkgen's text about it and one of the site's journalists."""
    gen, rng = chunkgen(), random.Random(f"{seed}:site-article:{n}")
    theme = rng.choice(gen.THEMES)
    other = rng.choice([t for t in gen.THEMES if t is not theme])
    year = min(2026, 2012 + int(rng.triangular(0, 15, 12)))
    month, day = rng.randint(1, 10 if year == 2026 else 12), rng.randint(1, 28)
    when = paris(year, month, day, rng.randint(6, 20), 5 * rng.randrange(12))
    words = BRIEF_WORDS if n % BRIEF_EVERY == BRIEF_EVERY - 1 else site.words
    title, text, _ = gen.article_text(rng, theme, other, rng.randint(*words), year)
    section = site.sections[gen.THEMES.index(theme) % len(site.sections)]
    path = site.article_path.format(n=n, slug=slugify(title), section=section[0], year=year, month=f"{month:02d}")
    paragraphs = tuple(text.split("\n"))
    return Story(n, site, section, (theme.tag, other.tag), title, paragraphs, rng.choice(authors), when, path)


def corpora(seed: int, pages: int) -> list[Corpus]:
    """Articles 0 .. pages-1, dealt to the three sites in turn, each site's newest first."""
    labels = {t.tag: chunkgen().bare(t.names[1]) for t in chunkgen().THEMES}
    found = []
    for i, site in enumerate(SITES):
        authors = staff(seed, site)
        stories = [story(seed, n, site, authors) for n in range(i, pages, len(SITES))]
        stories.sort(key=lambda s: (s.when, s.n), reverse=True)
        found.append(Corpus(site, stories, labels))
    return found


# --- shared page parts ----------------------------------------------------------------------------


def document(site: Site, title: str, path: str, body: str, head: str = "", body_class: str = "") -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{h(title)} | {h(site.title)}</title>"
        f'<link rel="canonical" href="__SITE__{path}"><link rel="stylesheet" href="/static/site.css">'
        f'<link rel="alternate" type="application/rss+xml" title="{escape(site.title)}" href="/feed.xml">'
        f'{head}</head>\n<body class="{body_class}">{site.header(site)}\n{body}\n{site.footer(site)}</body></html>\n'
    )


def paragraphs(texts: tuple[str, ...] | list[str]) -> str:
    return "".join(f"<p>{h(t)}</p>\n" for t in texts)


def link_list(stories: list[Story], css: str) -> str:
    items = "".join(f'<li><a href="{s.path}">{h(s.title)}</a></li>' for s in stories)
    return f'<ul class="{css}">{items}</ul>'


def card(s: Story) -> str:
    return (
        f'<article class="card"><h3><a href="{s.path}">{h(s.title)}</a></h3>'
        f'<p class="card-date">{french_date(s.when)}</p><p class="card-lead">{h(s.lead)}</p></article>\n'
    )


def menu(site: Site) -> str:
    items = "".join(f'<li><a href="{site.listing(slug, 1)}">{h(label)}</a></li>' for slug, label in site.sections)
    return f'<nav class="menu" aria-label="Menu principal"><ul><li><a href="/">Accueil</a></li>{items}</ul></nav>'


def legal_links() -> str:
    return "".join(f'<li><a href="/{slug}.html">{label}</a></li>' for slug, label in LEGAL)


def share(s: Story) -> str:
    url = f"__SITE__{s.path}"
    return (
        '<div class="share" aria-label="Partager"><span>Partager</span>'
        f'<a class="share-facebook" href="https://www.facebook.com/sharer/sharer.php?u={url}">Facebook</a>'
        f'<a class="share-x" href="https://twitter.com/intent/tweet?url={url}">X</a>'
        f'<a class="share-linkedin" href="https://www.linkedin.com/sharing/share-offsite/?url={url}">LinkedIn</a>'
        f'<a class="share-mail" href="mailto:?subject=À%20lire&amp;body={url}">Courriel</a></div>'
    )


def newsletter_form(css: str, heading: str, pitch: str) -> str:
    return (
        f'<section class="{css}"><h2>{h(heading)}</h2><p>{h(pitch)}</p>'
        '<form action="/newsletter/inscription" method="post"><label>Votre adresse électronique '
        '<input type="email" name="email" required></label><button type="submit">Je m\'inscris</button>'
        "<small>Désinscription possible à tout moment.</small></form></section>"
    )


# --- the regional daily ----------------------------------------------------------------------------


def daily_header(site: Site) -> str:
    return (
        f'<header class="site-header"><div class="topbar"><a href="{site.private}connexion.html">Espace abonnés</a>'
        f'<a href="{site.private}offre.html">S\'abonner : 1 € le premier mois</a></div>'
        f'<a class="logo" href="/">{h(site.title)}</a><p class="baseline">Le quotidien du Bocage et de ses '
        f"vallées</p>{menu(site)}"
        '<form class="search" action="/recherche" method="get"><input name="q" placeholder="Rechercher">'
        "<button>OK</button></form></header>"
    )


def daily_footer(site: Site) -> str:
    return (
        f'<footer class="site-footer"><p>{h(site.title)}, 12 rue des Halles, 79300 Bressuire</p>'
        f'<ul class="legal">{legal_links()}<li><a href="/feed.xml">Flux RSS</a></li></ul>'
        f"<p>© {h(site.title)}, tous droits réservés. Reproduction interdite sans autorisation.</p></footer>"
        '<div id="cookie-banner" class="cookies" role="dialog"><p>Nous utilisons des cookies pour mesurer '
        "l'audience et vous proposer des contenus et publicités adaptés à vos centres d'intérêt. "
        '<a href="/confidentialite.html">En savoir plus</a></p><button>Tout accepter</button>'
        "<button>Tout refuser</button><button>Personnaliser</button></div>"
    )


def comments(s: Story) -> str:
    chosen = [COMMENTS[(s.n + k * 2) % len(COMMENTS)] for k in range(s.n % 4)]
    items = "".join(
        f'<li class="comment"><p class="comment-author">{h(who)} · il y a {k + 2} jours</p><p>{h(said)}</p>'
        '<a href="#reagir">Répondre</a></li>'
        for k, (who, said) in enumerate(chosen)
    )
    return (
        f'<section class="comments" id="commentaires"><h2>{len(chosen)} commentaire(s)</h2><ol>{items}</ol>'
        '<form id="reagir" action="/commentaires/poster" method="post"><textarea name="texte"></textarea>'
        "<button>Réagir</button><p>Les commentaires sont modérés.</p></form></section>"
    )


def daily_article(s: Story, corpus: Corpus) -> str:
    site, (section, label) = s.site, s.section
    published = f"Publié le {french_date(s.when)} à {s.when.hour:02d}h{s.when.minute:02d}"
    also = f'<aside class="lire-aussi"><h2>Lire aussi</h2>{link_list(corpus.related(s), "related")}</aside>\n'
    body = (
        f'<main><nav class="breadcrumb"><a href="/">Accueil</a> › <a href="{site.listing(section, 1)}">'
        f"{h(label)}</a> › <span>{h(s.title)}</span></nav>\n"
        f'<article class="article"><h1>{h(s.title)}</h1>'
        f'<p class="meta">Par <span class="author">{h(s.author)}</span> · <span class="date">{published}</span>'
        f"</p>{share(s)}\n"
        f'<div class="article-body">{paragraphs(s.paragraphs[:2])}{also}{paragraphs(s.paragraphs[2:])}</div>'
        f"{share(s)}</article>\n{comments(s)}</main>"
    )
    return document(site, s.title, s.path, body, body_class="article-page")


# --- the network's news blog ---------------------------------------------------------------------


def blog_header(site: Site) -> str:
    return (
        f'<header id="masthead" class="site-header"><p class="site-title"><a href="/" rel="home">{h(site.title)}'
        '</a></p><p class="site-description">Le réseau des fabriques solidaires de territoire</p>'
        f'{menu(site)}<a class="button" href="/contact.html">Adhérer au réseau</a></header>'
    )


def blog_footer(site: Site) -> str:
    return (
        f'<footer id="colophon" class="site-footer"><ul class="legal">{legal_links()}'
        f'<li><a href="{site.private}">Connexion</a></li></ul>'
        f"<p>{h(site.title)} est une association loi 1901. Avec le soutien de la Région et de l'État.</p>"
        "<p>Propulsé par WordPress</p></footer>"
    )


def agenda(s: Story) -> str:
    towns = chunkgen().TOWNS
    items = []
    for k in range(3):
        day = s.when + FOUR_WEEKS * (k + 1) + timedelta(days=s.n % 5)
        town = towns[(s.n + 7 * k) % len(towns)][0]
        items.append(
            f'<li><time datetime="{day:%Y-%m-%d}">{french_date(day)}</time> {EVENTS[(s.n + k) % len(EVENTS)]} '
            f"à {h(town)}</li>"
        )
    return f'<section class="widget agenda"><h2>Agenda du réseau</h2><ul>{"".join(items)}</ul></section>'


def sidebar(s: Story, corpus: Corpus) -> str:
    form = newsletter_form("widget newsletter", "Lettre du réseau", "Tous les mois, les nouvelles des fabriques.")
    recent = f'<section class="widget recent"><h2>Articles récents</h2>{link_list(corpus.stories[:5], "recent")}'
    return f'<aside id="secondary" class="sidebar">{agenda(s)}{form}{recent}</section></aside>'


def blog_article(s: Story, corpus: Corpus) -> str:
    site, (section, label) = s.site, s.section
    tags = ", ".join(f'<a rel="tag" href="/tag/{t}/">{h(corpus.labels[t])}</a>' for t in s.tags)
    here = corpus.position[s.n]
    around = [corpus.stories[i] for i in (here + 1, here - 1) if 0 <= i < len(corpus.stories)]
    body = (
        f'<div class="wrap"><main id="main"><article class="post type-post"><header class="entry-header">'
        f'<h1 class="entry-title">{h(s.title)}</h1><div class="entry-meta"><time class="entry-date published" '
        f'datetime="{s.when:%Y-%m-%d}">{french_date(s.when)}</time> par <span class="author vcard">'
        f'{h(s.author)}</span> dans <a href="{site.listing(section, 1)}" rel="category">{h(label)}</a>'
        f'</div></header>\n<div class="entry-content">{paragraphs(s.paragraphs)}</div>'
        f'<footer class="entry-footer"><span class="tags-links">Étiquettes : {tags}</span></footer></article>'
        f'<nav class="post-navigation">{link_list(around, "nav-links")}</nav></main>\n{sidebar(s, corpus)}</div>'
    )
    return document(site, s.title, s.path, body, body_class="single-post")


# --- the magazine ------------------------------------------------------------------------------------


def magazine_header(site: Site) -> str:
    return (
        f'<header class="masthead"><a class="logo" href="/">{h(site.title)}</a>{menu(site)}'
        f'<a class="cta" href="{site.private}">S\'abonner au magazine</a></header>'
    )


def magazine_footer(site: Site) -> str:
    return (
        f'<footer class="footer"><p>{h(site.title)}, le magazine des initiatives solidaires, paraît chaque '
        f"trimestre.</p><ul>{legal_links()}</ul></footer>"
    )


def json_ld(s: Story) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": s.title,
        "author": {"@type": "Person", "name": s.author},
        "datePublished": s.when.isoformat(),
        "articleSection": s.section[1],
        "publisher": {"@type": "Organization", "name": s.site.title},
        "mainEntityOfPage": f"__SITE__{s.path}",
    }
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'


def pull_quote(s: Story) -> str:
    found = next((m for p in s.paragraphs[1:] if (m := re.search(r"« ([^»]{20,}) »", p))), None)
    return f'<blockquote class="exergue"><p>« {h(found.group(1))} »</p></blockquote>\n' if found else ""


def magazine_article(s: Story, corpus: Corpus) -> str:
    site = s.site
    head = (
        f'<meta property="og:type" content="article"><meta property="og:title" content="{escape(s.title)}">'
        f'<meta property="article:published_time" content="{s.when.isoformat()}">'
        f'<meta property="article:section" content="{escape(s.section[1])}">'
        f'<meta name="author" content="{escape(s.author)}">{json_ld(s)}'
    )
    box = newsletter_form("newsletter-box", f"La newsletter d'{site.title}", "Chaque jeudi, le meilleur de l'ESS.")
    body = (
        f'<main><article class="story"><p class="kicker">{h(s.section[1])}</p><h1>{h(s.title)}</h1>'
        f'<p class="chapo">{h(s.paragraphs[0])}</p><p class="signature">Par {h(s.author)}</p>\n'
        f'<div class="story-body">{paragraphs(s.paragraphs[1:3])}{pull_quote(s)}{box}'
        f"{paragraphs(s.paragraphs[3:])}</div>\n"
        f'<section class="related"><h2>À lire également</h2>{link_list(corpus.related(s), "related")}</section>'
        f"</article></main>"
    )
    return document(site, s.title, s.path, body, head, body_class="article")


SITES = (
    Site(
        "courrier-du-bocage",
        "Le Courrier du Bocage",
        "media",
        (150, 700),
        (
            ("economie", "Économie"),
            ("solidarites", "Solidarités"),
            ("territoires", "Territoires"),
            ("emploi", "Emploi"),
        ),
        "/abonnes/",
        "/{section}/{year}/{month}/{slug}-{n}.html",
        ("/{section}/", "/{section}/page-{k}.html"),
        daily_article,
        daily_header,
        daily_footer,
    ),
    Site(
        "reseau-fabriques",
        "Réseau des Fabriques solidaires",
        "network",
        (200, 800),
        (("actualites", "Actualités"), ("vie-du-reseau", "Vie du réseau"), ("ressources", "Ressources")),
        "/wp-admin/",
        "/{year}/{month}/{slug}-{n}/",
        ("/categorie/{section}/", "/categorie/{section}/page/{k}/"),
        blog_article,
        blog_header,
        blog_footer,
        tag_pages=True,
    ),
    Site(
        "horizons-solidaires",
        "Horizons solidaires",
        "media",
        (400, 1200),
        (
            ("enquetes", "Enquêtes"),
            ("portraits", "Portraits"),
            ("decryptages", "Décryptages"),
            ("initiatives", "Initiatives"),
        ),
        "/abonnement/",
        "/magazine/{section}/{slug}-{n}.html",
        ("/{section}/", "/{section}/index-{k}.html"),
        magazine_article,
        magazine_header,
        magazine_footer,
    ),
)


# --- home, listings and the other pages of a site ------------------------------------------------------


def home(corpus: Corpus) -> str:
    site = corpus.site
    parts = [f'<main><h1 class="visually-hidden">{h(site.title)}</h1><section class="une"><h2>À la une</h2>']
    parts += [card(s) for s in corpus.stories[:HOME_ITEMS]]
    parts.append("</section>")
    for slug, label in site.sections:
        latest = [s for s in corpus.stories if s.section[0] == slug][:5]
        parts.append(f'<section class="rubrique"><h2><a href="{site.listing(slug, 1)}">{h(label)}</a></h2>')
        parts.append(link_list(latest, "latest") + "</section>")
    return document(site, "Accueil", "/", "".join(parts) + "</main>", body_class="home")


def pagination(site: Site, section: str, k: int, count: int) -> str:
    links = [f'<a rel="prev" href="{site.listing(section, k - 1)}">« Précédent</a>'] if k > 1 else []
    links += [
        f'<span class="current">{i}</span>' if i == k else f'<a href="{site.listing(section, i)}">{i}</a>'
        for i in range(1, count + 1)
    ]
    links += [f'<a rel="next" href="{site.listing(section, k + 1)}">Suivant »</a>'] if k < count else []
    return f'<nav class="pagination">{" ".join(links)}</nav>'


def listings(corpus: Corpus) -> list[tuple[str, str]]:
    """(path, page) of every listing page: sections, paginated, and the blog's tag pages."""
    site, pages = corpus.site, []
    for slug, label in site.sections:
        members = [s for s in corpus.stories if s.section[0] == slug]
        count = max(1, -(-len(members) // PER_PAGE))
        for k in range(1, count + 1):
            cards = "".join(card(s) for s in members[(k - 1) * PER_PAGE : k * PER_PAGE])
            heading = f"{h(label)}" + (f" – page {k}" if k > 1 else "")
            body = f'<main><h1>{heading}</h1><div class="list">{cards}</div>{pagination(site, slug, k, count)}</main>'
            pages.append(
                (site.listing(slug, k), document(site, heading, site.listing(slug, k), body, body_class="list"))
            )
    if site.tag_pages:
        for tag in sorted({t for s in corpus.stories for t in s.tags}):
            tagged = [s for s in corpus.stories if tag in s.tags][:PER_PAGE]
            body = f"<main><h1>Étiquette : {h(corpus.labels[tag])}</h1>{link_list(tagged, 'tagged')}</main>"
            pages.append((f"/tag/{tag}/", document(site, corpus.labels[tag], f"/tag/{tag}/", body)))
    return pages


def legal_pages(site: Site) -> list[tuple[str, str]]:
    text = (
        f"{site.title} respecte la vie privée de ses lecteurs. Les données recueillies par les formulaires servent "
        "uniquement à l'envoi de la lettre d'information et ne sont jamais cédées à des tiers."
    )
    return [
        (f"/{slug}.html", document(site, label, f"/{slug}.html", f"<main><h1>{label}</h1><p>{text}</p></main>"))
        for slug, label in LEGAL
    ]


def robots(site: Site) -> str:
    return f"User-agent: *\nDisallow: {site.private}\nDisallow: /recherche\n\nSitemap: __SITE__/sitemap.xml\n"


def sitemap(corpus: Corpus) -> str:
    urls = "".join(
        f"<url><loc>__SITE__{s.path}</loc><lastmod>{s.when:%Y-%m-%d}</lastmod></url>\n" for s in corpus.stories
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{urls}</urlset>\n"
    )


def feed(corpus: Corpus) -> str:
    latest = corpus.stories[:FEED_ITEMS]
    items = "".join(
        f"<item><title>{h(s.title)}</title><link>__SITE__{s.path}</link><guid>__SITE__{s.path}</guid>"
        f"<pubDate>{format_datetime(s.when)}</pubDate><dc:creator>{h(s.author)}</dc:creator>"
        f"<description>{h(s.lead)}</description></item>\n"
        for s in latest
    )
    built = format_datetime(latest[0].when) if latest else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title>{h(corpus.site.title)}</title><link>__SITE__/</link><language>fr</language>"
        f"<description>Les derniers articles</description><lastBuildDate>{built}</lastBuildDate>\n{items}"
        "</channel></rss>\n"
    )


# --- writing ---------------------------------------------------------------------------------------------


def write(root: Path, path: str, text: str, made: set[Path]) -> None:
    target = root / (path.lstrip("/") + ("index.html" if path.endswith("/") else ""))
    if target.parent not in made:
        target.parent.mkdir(parents=True, exist_ok=True)
        made.add(target.parent)
    target.write_text(text, encoding="utf-8")


def write_corpus(root: Path, corpus: Corpus) -> None:
    made: set[Path] = set()
    for story in corpus.stories:
        write(root, story.path, story.site.render(story, corpus), made)
    pages = [("/", home(corpus)), *listings(corpus), *legal_pages(corpus.site)]
    pages += [("/robots.txt", robots(corpus.site)), ("/sitemap.xml", sitemap(corpus)), ("/feed.xml", feed(corpus))]
    for path, text in pages:
        write(root, path, text, made)


def page_kinds(pages: int, seed: int = 7) -> dict[str, dict[str, set[str]]]:
    """Per site folder, the paths of its articles and of its other pages (home, listings, tags, legal)."""
    kinds = {}
    for corpus in corpora(seed, pages):
        others = {"/", *(path for path, _ in listings(corpus)), *(path for path, _ in legal_pages(corpus.site))}
        kinds[corpus.site.slug] = {"articles": {s.path for s in corpus.stories}, "others": others}
    return kinds


def write_sites(folder: Path, pages: int, seed: int = 7) -> list[Path]:
    """Write ``pages`` articles across the three sites into ``folder`` (best empty); return the site folders."""
    roots = []
    for corpus in corpora(seed, pages):
        roots.append(Path(folder) / corpus.site.slug)
        write_corpus(roots[-1], corpus)
    return roots


def bench_sources(urls: list[str]) -> list:
    """Registry entries for the three sites served at ``urls`` (in the order of ``write_sites``' folders)."""
    from crawler.registry import parse_source

    tables = [
        {"name": s.slug, "title": s.title, "kind": s.kind, "homepage": url.rstrip("/") + "/", "max_pages": 1_000_000}
        | {"allow_private": True}
        for s, url in zip(SITES, urls, strict=True)
    ]
    return [parse_source(table, i) for i, table in enumerate(tables)]


if __name__ == "__main__":
    import sys
    import time

    started = time.perf_counter()
    written = write_sites(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1000)
    print(f"{len(written)} sites in {time.perf_counter() - started:.1f} s: {', '.join(map(str, written))}")
