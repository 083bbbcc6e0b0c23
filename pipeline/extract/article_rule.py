"""Is this page an article? One rule, its evidence weighed, a named reason for every answer.

A page of the main text's length alone says little: a *brève* of 50 words is an article, a home page
of 300 words of teasers is not. The evidence, by weight:

- listing markup: a main text mostly inside links or a listing type in JSON-LD decides alone; teaser
  headings, several ``<article>`` elements or pagination with a teaser do too, unless the page is one item
  with cards around it or declares itself an article;
- strong evidence of an article, what the page or its site says of it: JSON-LD or Open Graph article
  types, publication-date markup (a meta tag, or one dated element), one ``<article>`` or ``<main>``
  holding a heading and paragraph text, a place in a feed or news sitemap of the site;
- weak evidence, either way: the URL's shape (home, rubrique, tag, archive and pagination URLs against
  numeric ids, slugs, ``?p=123`` and ``/YYYY/MM/DD/slug``) and a place in an ordinary sitemap.

Strong evidence is never outweighed by the URL alone. A long page is an article unless listing
evidence says otherwise; a short one needs strong evidence, or the two weak signs together.
Thresholds are settings (``ESS_ARTICLE_*``).
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
    "search",
    "recherche",
    "resultats",
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
    "about-us",
    "nous-connaitre",
    "impressum",
    "datenschutz",
    "terms",
    "terms-of-use",
    "terms-of-service",
    "terms-and-conditions",
    "privacy-notice",
    "aviso-legal",
    "politica-de-privacidad",
    "note-legali",
    "chi-siamo",
}
PAGINATION_QUERY = {"page", "paged", "start", "offset"}
ITEM_QUERY = {"p", "id", "article", "art", "idarticle", "id_article", "news", "post"}  # ?p=123, ?id_article=45
LISTING_QUERY = PAGINATION_QUERY | {"cat", "category", "categorie", "tag", "rubrique", "mot", "author", "auteur"}
ITEM_NUMBER = re.compile(r"^\d{4,}$")  # ?idx=8576, ?Seq_Code=181595: an item's number in its site
SPIP = re.compile(r"^(?:article|breve)\d+$")  # spip.php?article8532
YEAR = re.compile(r"^(?:19|20)\d{2}$")
MONTH_OR_DAY = re.compile(r"^(?:0?[1-9]|[12]\d|3[01])$")
NUMERIC_ID = re.compile(r"^\d+$|^\d+-|[-_]\d{4,}$")  # /articles/5, /1042-ptce-val-d-argent, /a-6533123
SLUG_WORDS = 3  # hyphenated words from which a last segment is a title: /une-scop-reprend-la-menuiserie
DATE_META = (
    "//meta[@property='article:published_time' or @name='article:published_time' or @itemprop='datePublished'"
    " or @name='date' or @name='DC.date' or @name='dcterms.date']"
)
DATED_ELEMENTS = "//time[@datetime or @pubdate] | //*[not(self::meta)][@itemprop='datePublished']"
ITEM_WORDS = 8  # a paragraph of one item's text, not a caption or a button
DOMINANT_WORDS = 150  # the words of an <article> that is the page's item rather than a card
HEADINGS_WITH_LINKS = "//h2[.//a[@href]] | //h3[.//a[@href]] | //h4[.//a[@href]]"
HEADINGS_WITH_LINKS_INSIDE = ".//h2[.//a[@href]] | .//h3[.//a[@href]] | .//h4[.//a[@href]]"

# Which rule judged a skipped page, with its thresholds: a page skipped by another is judged again.
RULE_VERSION = "v2"

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
    date_markup: bool = False  # a publication-date meta tag, or one dated element (a listing dates each teaser)
    pagination: bool = False  # <link rel=next|prev> or <a rel=next|prev>: with a teaser, a listing's page k
    single_item: bool = False  # one <article> (or, without any, one <main>) holding a heading and paragraphs
    dominant_item: bool = False  # of several <article> elements, one holds half their words: cards around an item

    @property
    def structured_article(self) -> bool:
        return bool(self.types & ARTICLE_TYPES)

    @property
    def structured_listing(self) -> bool:
        return bool(self.types & LISTING_TYPES) and not self.structured_article

    @property
    def declared_otherwise(self) -> bool:
        """The page declares a type, and no article type (og:type website on a CMS's home and archives)."""
        return bool(self.types) and not self.structured_article


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
        date_markup=bool(tree.xpath(DATE_META)) or len(tree.xpath(DATED_ELEMENTS)) == 1,
        pagination=bool(tree.xpath("//link[@rel='next' or @rel='prev'] | //a[@rel='next' or @rel='prev']")),
        single_item=holds_one_item(tree),
        dominant_item=holds_a_dominant_item(tree),
    )


def holds_a_dominant_item(tree: etree._Element) -> bool:
    """Of several outermost ``<article>`` elements, one holds at least half of their words and a page's worth
    (``DOMINANT_WORDS``): the page is that item, the others are cards around it (related, most read)."""
    words = sorted(len(a.text_content().split()) for a in tree.xpath("//article[not(ancestor::article)]"))
    return len(words) > 1 and words[-1] >= DOMINANT_WORDS and words[-1] >= sum(words) / 2


def holds_one_item(tree: etree._Element) -> bool:
    """One ``<article>`` element holding a heading and a paragraph of text and no teaser (a linked heading: the
    item lists others); without any ``<article>``, one ``<main>`` holding one heading and a paragraph (a main
    with several headings is a page of sections: a team, an empty rubrique and its newsletter box)."""
    articles = tree.xpath("//article")
    items = articles or tree.xpath("//main")
    if len(items) != 1 or any(map(is_teaser, items[0].xpath(HEADINGS_WITH_LINKS_INSIDE))):
        return False
    headings = items[0].xpath(".//h1 | .//h2" if articles else ".//h1 | .//h2 | .//h3 | .//h4")
    paragraphs = (" ".join(p.text_content().split()) for p in items[0].iter("p"))
    enough = bool(headings) if articles else len(headings) == 1
    return enough and any(len(text.split()) >= ITEM_WORDS for text in paragraphs)


def is_teaser(heading: etree._Element) -> bool:
    """A heading that is a link to another page (most of its text is linked), as a listing titles the pages it
    lists; a heading linked to its own anchor (a table of contents, a permalink) is none."""
    text = " ".join(heading.text_content().split())
    links = [a for a in heading.iter("a") if not (a.get("href") or "").startswith("#")]
    linked = " ".join(" ".join(a.text_content().split()) for a in links)
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
    """A legal, contact or service page: its last segment is one's name, or ends with a name of several words
    (``/2018/06/sibenlab-privacy-policy``); a slug that only starts with one (``/contact-avec-les-elus``) is not."""
    segments = path_segments(url)
    if not segments:
        return False
    leaf = segments[-1]
    return leaf in SITE_PAGES or any(leaf.endswith(f"-{name}") for name in SITE_PAGES if "-" in name)


def listing_url(url: str) -> bool:
    """Home, rubrique, tag, author, archive and pagination URLs: weak evidence of a listing."""
    segments = path_segments(url)
    query = parse_qs(urlsplit(url).query)
    if item_query(url):
        return False
    if any(key in query and query[key][0].isdigit() for key in PAGINATION_QUERY):
        return True
    if not segments or segments[-1] in LISTING_LEAVES or archive_path(segments) or names_a_listing(segments):
        return True
    return any(s in LISTING_SEGMENTS for s in segments[:-1]) and not article_url(url)


def names_a_listing(segments: list[str]) -> bool:
    """The last segment names a tag, rubrique, author or page of a listing: /tag/ptce, /page/2."""
    return len(segments) > 1 and segments[-2] in LISTING_SEGMENTS


def item_query(url: str) -> bool:
    """``?p=123``, ``?id_article=45``, ``?idx=8576`` (a number of 4 digits or more under any key but a listing's),
    ``spip.php?article8532``."""
    raw = urlsplit(url).query
    lowered = {key.lower(): values[0] for key, values in parse_qs(raw).items()}
    if SPIP.match(raw) or any(key in ITEM_QUERY and value.isdigit() for key, value in lowered.items()):
        return True
    return any(ITEM_NUMBER.match(value) for key, value in lowered.items() if key not in LISTING_QUERY)


def archive_path(segments: list[str]) -> bool:
    """A year alone, or a month or day only after a year: /2025/, /2025/06/, /2025/06/12/."""
    dated = 0
    for segment in reversed(segments):
        if not MONTH_OR_DAY.match(segment) or dated == 2:
            break
        dated += 1
    return len(segments) > dated and bool(YEAR.match(segments[-1 - dated]))


def article_url(url: str) -> bool:
    """Numeric ids, title slugs, ``?p=123`` and ``/YYYY/MM/DD/slug``: weak evidence of one item."""
    segments = path_segments(url)
    if item_query(url):
        return True
    if not segments or archive_path(segments) or segments[-1] in LISTING_LEAVES or names_a_listing(segments):
        return False
    leaf = segments[-1]
    return bool(NUMERIC_ID.search(leaf)) or len([w for w in leaf.split("-") if w]) >= SLUG_WORDS


def listing_markup(signals: PageSignals, link_density: float, limits: Thresholds) -> bool:
    """Whether the page's own markup shows a listing. A main text mostly inside links or a listing type always
    does; teasers, several ``<article>`` elements and pagination do unless one ``<article>`` holds most of the
    page's text, the page holds one item and fewer teasers, or it declares itself an article in JSON-LD or Open
    Graph (real articles carry "related" and "most read" teasers and a previous and next post around them)."""
    if link_density > limits.max_link_density or signals.structured_listing:
        return True
    if signals.dominant_item or (signals.single_item and signals.teaser_headings < limits.listing_teasers):
        return False  # one item, with cards or a previous and next post around it
    teasers = max(signals.teaser_headings, signals.article_elements) >= limits.listing_teasers
    paginated = signals.pagination and signals.teaser_headings > 0
    return (teasers or paginated) and not signals.structured_article


def article_evidence(signals: PageSignals, listed: bool) -> list[str]:
    """The strong evidence of an article, by name: what the page and its site say of it. The shape of its markup
    counts only when the page does not declare itself something else."""
    shaped = not signals.declared_otherwise
    named = {
        "structured data": signals.structured_article,
        "feed or news sitemap": listed,
        "article element": shaped and signals.article_elements == 1 and not signals.teaser_headings,
        "one item with a heading": shaped and signals.single_item,
        "publication date markup": signals.date_markup,
    }
    return [name for name, present in named.items() if present]


def weak_article_evidence(url: str, in_sitemap: bool) -> list[str]:
    """The weak evidence of an article, by name: the URL's shape, a place in an ordinary sitemap."""
    return [name for name, present in {"item URL": article_url(url), "sitemap": in_sitemap}.items() if present]


@dataclass(frozen=True)
class Page:
    """What is known of an archived page once its text is extracted."""

    url: str
    kind: str  # html | pdf | text
    words: int
    link_density: float = 0.0
    signals: PageSignals = PageSignals()
    listed: bool = False  # a feed or news sitemap of its site lists it
    in_sitemap: bool = False  # an ordinary sitemap of its site lists it
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
    if listing_markup(page.signals, page.link_density, limits):
        return Verdict(False, LISTING)
    strong = article_evidence(page.signals, page.listed)
    if listing_url(page.url) and not strong:
        return Verdict(False, LISTING)
    if page.words >= limits.min_words:
        return Verdict(True, ARTICLE)
    if page.words < limits.min_short_words:
        return Verdict(False, TOO_SHORT)
    if strong or len(weak_article_evidence(page.url, page.in_sitemap)) == 2:
        return Verdict(True, SHORT_ARTICLE)
    return Verdict(False, NO_SIGNALS)
