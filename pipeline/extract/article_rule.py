"""Is this page an article? One rule, several signals, a named reason for every answer.

A page of the main text's length alone says little: a *brève* of 50 words is an article, a home page
of 300 words of teasers is not. The rule weighs what the page says of itself (JSON-LD and Open Graph
types, publication-date markup, an ``<article>`` element), what its site says of it (listed in a feed
or a news sitemap), its URL's shape (tag, rubrique, archive, pagination, legal pages) and its main
text (teaser headings, link density, length). Thresholds are settings (``ESS_ARTICLE_*``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from pipeline.config import Settings

ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "blogposting",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "reviewnewsarticle",
    "backgroundnewsarticle",
    "scholarlyarticle",
    "report",
    "pressrelease",
    "liveblogposting",
    "socialmediaposting",
}
LISTING_TYPES = {"collectionpage", "itemlist", "searchresultspage", "profilepage", "contactpage", "aboutpage"}
LISTING_SEGMENTS = {
    "tag",
    "tags",
    "etiquette",
    "etiquettes",
    "mot-cle",
    "mots-cles",
    "categorie",
    "categories",
    "category",
    "rubrique",
    "rubriques",
    "theme",
    "themes",
    "auteur",
    "auteurs",
    "author",
    "archive",
    "archives",
    "page",
    "search",
    "recherche",
}
LISTING_LEAVES = {
    "actualites",
    "actualite",
    "actus",
    "news",
    "blog",
    "agenda",
    "evenements",
    "publications",
    "articles",
    "breves",
    "communiques",
    "dossiers",
    "ressources",
    "etudes",
    "presse",
    "revue-de-presse",
    "index",
    "accueil",
    "home",
}
SITE_PAGES = {
    "mentions-legales",
    "mentions",
    "legal",
    "legal-notice",
    "cgu",
    "cgv",
    "conditions-generales",
    "conditions-generales-d-utilisation",
    "contact",
    "contacts",
    "nous-contacter",
    "contactez-nous",
    "cookies",
    "cookie",
    "politique-cookies",
    "gestion-des-cookies",
    "confidentialite",
    "politique-de-confidentialite",
    "donnees-personnelles",
    "privacy",
    "privacy-policy",
    "rgpd",
    "plan-du-site",
    "plan",
    "sitemap",
    "accessibilite",
    "credits",
    "a-propos",
    "qui-sommes-nous",
    "about",
    "connexion",
    "login",
    "compte",
    "mon-compte",
    "inscription",
    "newsletter",
    "abonnement",
    "intranet",
    "admin",
}
PAGINATION_QUERY = {"page", "p", "paged", "start", "offset"}
YEAR_OR_MONTH = re.compile(r"^(?:19|20)\d{2}$|^(?:0?[1-9]|1[0-2])$")
DATE_MARKUP = (
    "//meta[@property='article:published_time' or @name='article:published_time' or @itemprop='datePublished'"
    " or @name='date' or @name='DC.date' or @name='dcterms.date']"
    " | //time[@datetime or @pubdate] | //*[@itemprop='datePublished']"
)
HEADINGS_WITH_LINKS = "//h2[.//a[@href]] | //h3[.//a[@href]] | //h4[.//a[@href]]"

# Reasons, named once: the store keeps them and `ess skipped --reason` filters on them.
ARTICLE = "article"
SHORT_ARTICLE = "short article"
GIVEN = "file given to ess ingest"
INCLUDED = "included by hand"
REPORT = "report or text file"
SITE_PAGE = "legal, contact or service page"
LISTING = "listing page"
TOO_SHORT = "too short"
NO_SIGNALS = "short page without article signals"


@dataclass(frozen=True)
class Thresholds:
    min_words: int = 120  # a page this long is an article unless it shows listing signs
    min_short_words: int = 25  # a shorter page needs article signals and at least this many words
    max_link_density: float = 0.2  # share of main-text words inside links above which a page is a listing
    listing_teasers: int = 3  # linked headings or <article> elements from which a page lists others

    @classmethod
    def from_settings(cls, settings: Settings) -> Thresholds:
        """The thresholds the ``ESS_ARTICLE_*`` settings give."""
        return cls(
            settings.article_min_words,
            settings.article_short_min_words,
            settings.article_max_link_density,
            settings.article_listing_teasers,
        )


@dataclass(frozen=True)
class PageSignals:
    """What the HTML says of itself, read before extraction."""

    types: frozenset[str] = frozenset()  # JSON-LD @type and og:type values, lowercased
    article_elements: int = 0
    teaser_headings: int = 0  # h2-h4 that are links: the titles of a listing's teasers
    date_markup: bool = False
    pagination: bool = False  # <link rel=next|prev> or <a rel=next|prev>: with a teaser, a listing's page k

    @property
    def structured_article(self) -> bool:
        return bool(self.types & ARTICLE_TYPES)

    @property
    def structured_listing(self) -> bool:
        return bool(self.types & LISTING_TYPES) and not self.structured_article


@dataclass(frozen=True)
class Verdict:
    keep: bool
    reason: str


def read_signals(tree: etree._Element) -> PageSignals:
    """Signals of a parsed HTML page (the tree is only read)."""
    return PageSignals(
        types=frozenset(declared_types(tree)),
        article_elements=len(tree.xpath("//article")),
        teaser_headings=sum(map(is_teaser, tree.xpath(HEADINGS_WITH_LINKS))),
        date_markup=bool(tree.xpath(DATE_MARKUP)),
        pagination=bool(tree.xpath("//link[@rel='next' or @rel='prev'] | //a[@rel='next' or @rel='prev']")),
    )


def is_teaser(heading: etree._Element) -> bool:
    """A heading that is a link (most of its text is linked), as a listing titles the pages it lists."""
    text = " ".join(heading.text_content().split())
    linked = " ".join(" ".join(a.text_content().split()) for a in heading.iter("a"))
    return bool(text) and len(linked) >= 0.8 * len(text)


def declared_types(tree: etree._Element) -> set[str]:
    found = {v.strip().lower() for v in tree.xpath("//meta[@property='og:type']/@content")}
    for script in tree.xpath("//script[@type='application/ld+json']/text()")[:10]:
        try:
            found |= json_ld_types(json.loads(script))
        except (ValueError, RecursionError):
            continue  # broken JSON-LD is common and says nothing
    return found


def json_ld_types(node, depth: int = 0) -> set[str]:
    """Every @type of a JSON-LD document, through @graph and lists (nested entities stay out)."""
    if depth > 3:
        return set()
    if isinstance(node, list):
        return {t for item in node[:50] for t in json_ld_types(item, depth + 1)}
    if not isinstance(node, dict):
        return set()
    declared = node.get("@type", [])
    types = {str(t).lower() for t in (declared if isinstance(declared, list) else [declared])}
    return types | json_ld_types(node.get("@graph", []), depth + 1)


def path_segments(url: str) -> list[str]:
    """The URL path's segments, lowercased, without extensions and a final index page."""
    segments = [s.lower().rsplit(".", 1)[0] for s in urlsplit(url).path.split("/") if s]
    return segments[:-1] if segments and segments[-1] in ("index", "default") else segments


def is_site_page(url: str) -> bool:
    segments = path_segments(url)
    return bool(segments) and segments[-1] in SITE_PAGES


def listing_url(url: str) -> bool:
    """Home, rubrique, tag, author, archive and pagination URLs."""
    parts = urlsplit(url)
    segments = path_segments(url)
    if not segments or segments[-1] in LISTING_LEAVES or YEAR_OR_MONTH.match(segments[-1]):
        return True
    if any(s in LISTING_SEGMENTS for s in segments[:-1]):
        return True
    query = parse_qs(parts.query)
    return any(key in query and query[key][0].isdigit() for key in PAGINATION_QUERY)


def listing_evidence(signals: PageSignals, link_density: float, url: str, listed: bool, limits: Thresholds) -> bool:
    """Whether the page lists other pages. Its own markup decides first; a listing-shaped URL yields to
    article markup or a feed that lists the page."""
    teasers = max(signals.teaser_headings, signals.article_elements) >= limits.listing_teasers
    paginated = signals.pagination and signals.teaser_headings > 0
    if teasers or paginated or signals.structured_listing or link_density > limits.max_link_density:
        return True
    return listing_url(url) and not (signals.structured_article or listed)


def article_signals(signals: PageSignals, listed: bool) -> list[str]:
    """The signals a short page can be kept on, by name."""
    named = {
        "structured data": signals.structured_article,
        "feed or news sitemap": listed,
        "article element": signals.article_elements == 1 and not signals.teaser_headings,
        "publication date markup": signals.date_markup,
    }
    return [name for name, present in named.items() if present]


@dataclass(frozen=True)
class Page:
    """What is known of an archived page once its text is extracted."""

    url: str
    kind: str  # html | pdf | text
    words: int
    link_density: float = 0.0
    signals: PageSignals = PageSignals()
    listed: bool = False  # a feed or news sitemap of its site lists it
    given: bool = False  # a file an analyst gave to `ess ingest`
    included: bool = False  # forced in with `ess include`


def judge(page: Page, limits: Thresholds) -> Verdict:
    """Whether an archived page is a document, and why."""
    if page.given:
        return Verdict(True, GIVEN)
    if page.included:
        return Verdict(True, INCLUDED)
    if page.kind != "html":
        return Verdict(True, REPORT)
    if is_site_page(page.url):
        return Verdict(False, SITE_PAGE)
    if listing_evidence(page.signals, page.link_density, page.url, page.listed, limits):
        return Verdict(False, LISTING)
    if page.words >= limits.min_words:
        return Verdict(True, ARTICLE)
    if page.words < limits.min_short_words:
        return Verdict(False, TOO_SHORT)
    if article_signals(page.signals, page.listed):
        return Verdict(True, SHORT_ARTICLE)
    return Verdict(False, NO_SIGNALS)
