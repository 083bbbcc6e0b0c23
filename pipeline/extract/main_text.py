"""Raw responses become text and metadata: trafilatura for HTML, pypdf for PDF reports."""

from __future__ import annotations

import codecs
import json
import logging
import re
from dataclasses import dataclass, field

import trafilatura
from lxml import etree
from trafilatura.utils import load_html
from trafilatura.xml import xmltotxt
from w3lib.encoding import html_to_unicode

from pipeline.extract.article_rule import PageSignals, read_signals
from pipeline.extract.pdf import PdfError, read_pdf

log = logging.getLogger(__name__)

BYLINE_XPATH = (
    "//*[@rel='author' or @itemprop='author' or contains(@class, 'auteur') or contains(@class, 'author')"
    " or contains(@class, 'byline') or contains(@class, 'signature')]"
)
BYLINE_PREFIX = re.compile(r"^\s*(?:par|by|rédaction\s*:|rédigé par|auteur\s*:|propos recueillis par)\s+", re.I)
NAME = re.compile(r"^[A-ZÀ-Ý][\w'’-]+(?:\s+(?:de\s+|du\s+|le\s+)?[A-ZÀ-Ý][\w'’-]+){1,3}$")


CONSENT_BANNERS = (  # consent and cookie banners: on a short page, trafilatura may take them for its main text
    "//*[@role='dialog' or @role='alertdialog' or @aria-modal='true']"
    "[contains(translate(normalize-space(.), 'COOKIE', 'cookie'), 'cookie')]"
    " | //*[contains(@id, 'consent') or contains(@class, 'consent') or contains(@id, 'cookie')"
    " or contains(@class, 'cookie') or contains(@id, 'tarteaucitron') or contains(@class, 'didomi')"
    " or contains(@id, 'axeptio') or contains(@id, 'onetrust') or contains(@class, 'rgpd')]"
)
MAX_BANNER_WORDS = 200  # a longer element holding the word is content (an article about cookies), not a banner
MAX_HTML_BYTES = 10 * 1024 * 1024  # larger pages are not articles: trafilatura would take minutes
MAX_HTML_TAGS = 50_000  # nor are pages of more tags (link farms, endless lists): trafilatura needs ~15 s for them
CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1f]")


class ExtractionError(ValueError):
    """The content holds no usable text; the message says why."""


@dataclass
class Extracted:
    text: str
    title: str | None = None
    author: str | None = None
    published: str | None = None
    sitename: str | None = None
    description: str | None = None
    link_density: float = 0.0  # share of the main text's words inside links: high on listing pages
    no_text: bool = False  # a PDF without a text layer (a scan): kept and flagged
    tags: list[str] = field(default_factory=list)  # the page's own tags and categories
    signals: PageSignals | None = None  # what an HTML page says of itself (article or listing markup)

    @property
    def words(self) -> int:
        return len(self.text.split())


def cp1252_fallback(error: UnicodeDecodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are not UTF-8 are read as windows-1252."""
    return error.object[error.start : error.end].decode("cp1252", errors="replace"), error.end


codecs.register_error("ess-cp1252", cp1252_fallback)


def utf8_or_cp1252_bytes(body: bytes) -> str:
    """UTF-8, with any byte that is not UTF-8 read as windows-1252: right for UTF-8, for windows-1252 (whose
    accented letters are almost never valid UTF-8) and for pages mixing both."""
    return body.decode("utf-8", errors="ess-cp1252")


def decode_html(body: bytes, content_type: str | None) -> str:
    """Text of an HTML body: the HTTP charset, else the page's own declaration, else detection.

    Declarations of ISO-8859-1 are read as windows-1252, as browsers do, so that œ and ’ survive;
    an undeclared body that is not UTF-8 is read as windows-1252, the usual legacy encoding in French.
    When the charset comes out as UTF-8 or windows-1252, the declaration may lie (a page saying UTF-8
    in windows-1252, or the reverse) or the page may mix both: the bytes decide, byte by byte.
    """
    encoding, text = html_to_unicode(content_type, body, auto_detect_fun=utf8_or_windows_1252)
    if encoding in ("utf-8", "cp1252"):
        return utf8_or_cp1252_bytes(body.removeprefix(codecs.BOM_UTF8))
    return text


def utf8_or_windows_1252(body: bytes) -> str:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def looks_binary(body: bytes) -> bool:
    """Bytes that are no text in any encoding: NULs or control characters, more than a few stray ones."""
    sample = body[:4096]
    return sample.count(b"\x00") > len(sample) // 100 or len(CONTROL.findall(sample)) > len(sample) // 20


def extract_html(body: bytes, url: str, content_type: str | None = None) -> Extracted:
    if len(body) > MAX_HTML_BYTES:
        raise ExtractionError(f"page over {MAX_HTML_BYTES // 2**20} MB")
    if looks_binary(body):
        raise ExtractionError("binary content, not HTML")
    if body.count(b"<") > MAX_HTML_TAGS:
        raise ExtractionError(f"page of over {MAX_HTML_TAGS} tags")
    body = body.replace(b"\x00", b"")  # stray NULs: lxml refuses text holding them
    tree = load_html(decode_html(body, content_type))  # parsed once: our signals, then trafilatura (on a copy)
    if tree is None:
        raise ExtractionError("no main text found")
    signals = read_signals(tree)
    drop_consent_banners(tree)
    result = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_links=True,
        date_extraction_params={"extensive_search": True, "original_date": True},
    )
    if result is None or result.body is None:
        raise ExtractionError("no main text found")
    density = link_density(result.body)
    etree.strip_tags(result.body, "ref")
    text = xmltotxt(result.body, include_formatting=False).strip()
    if not text:
        raise ExtractionError("no main text found")
    return Extracted(
        text=text,
        title=clean_title(result.title, result.sitename),
        author=clean_author(result.author) or byline_author(tree),
        published=result.date,
        sitename=result.sitename,
        description=result.description,
        link_density=density,
        tags=list(dict.fromkeys((result.categories or []) + (result.tags or []))),
        signals=signals,
    )


def drop_consent_banners(tree: etree._Element) -> None:
    """Remove cookie and consent banners (also those named in French: "consentement", "rgpd") from the tree."""
    for element in tree.xpath(CONSENT_BANNERS):
        parent = element.getparent()
        short = len(" ".join(element.itertext()).split()) <= MAX_BANNER_WORDS
        if parent is not None and element.tag not in ("html", "body", "main", "article") and short:
            parent.remove(element)


def link_density(main: etree._Element) -> float:
    words = len(" ".join(main.itertext()).split())
    linked = sum(len(" ".join(ref.itertext()).split()) for ref in main.iter("ref"))
    return linked / words if words else 0.0


TITLE_SEPARATOR = re.compile(r"\s+[|\u2013\u2014-]\s+")


def clean_title(title: str | None, sitename: str | None) -> str | None:
    """Drop a trailing " | Site name" (or " — ", " - ") that pages add to their <title>."""
    if not title:
        return None
    parts = TITLE_SEPARATOR.split(title)
    if len(parts) > 1 and sitename and parts[-1].strip().casefold() == sitename.strip().casefold():
        return title[: title.rfind(parts[-1])].rstrip(" |\u2013\u2014-").strip()
    return title.strip()


def extract_plain_text(body: bytes) -> Extracted:
    """A .txt file: UTF-8, else windows-1252; its first line is its title."""
    if looks_binary(body):
        raise ExtractionError("binary content, not text")
    text = utf8_or_cp1252_bytes(body.removeprefix(codecs.BOM_UTF8).replace(b"\x00", b"")).replace("\r\n", "\n").strip()
    if not text:
        raise ExtractionError("empty text")
    return Extracted(text=text, title=text.splitlines()[0][:200])


def extract_json_document(body: bytes) -> Extracted:
    """A JSONL document as `ess ingest` archived it: ``text`` and, if given, title and publication date."""
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise ExtractionError(f"not a JSON document: {exc.__class__.__name__}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("text"), str):
        raise ExtractionError("JSON document without text")
    title, published = document.get("title"), document.get("published")
    return Extracted(
        text=document["text"].strip(),
        title=title if isinstance(title, str) else None,
        published=published[:10] if isinstance(published, str) and published else None,
    )


def clean_author(author: str | None) -> str | None:
    """ "Par Claire Fontaine" -> "Claire Fontaine"."""
    if not author:
        return None
    return BYLINE_PREFIX.sub("", author).strip() or None


def byline_author(tree: etree._Element) -> str | None:
    """A person's name from a visible byline ("Par Claire Fontaine"), when metadata names no author."""
    for element in tree.xpath(BYLINE_XPATH)[:10]:
        text = " ".join(element.text_content().split())
        candidate = BYLINE_PREFIX.sub("", text).split(",")[0].strip()
        if NAME.match(candidate):
            return candidate
    return None


def extract_pdf(body: bytes) -> Extracted:
    """Text and metadata of a PDF report; a PDF without a text layer comes back with ``no_text`` set."""
    try:
        report = read_pdf(body)
    except PdfError as exc:
        raise ExtractionError(str(exc)) from exc
    return Extracted(
        text=report.text,
        title=report.title,
        author=report.author,
        published=report.published,
        description=report.subject,
        no_text=not report.text,
    )
