"""PDF reports: text (pypdf, pdfminer.six where pypdf yields little), without running headers and footers,
with words hyphenated at line ends joined again, and title and date from metadata or the first page."""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from io import BytesIO

from pypdf import PdfReader
from pypdf.errors import LimitReachedError

from pipeline.nlp.dates import DATE, normalise_date

log = logging.getLogger(__name__)
SPACES = re.compile(r"[ \t\u00a0]+")
DIGITS = re.compile(r"\d+")
HYPHENATED = re.compile(r"(\w)-\n(?=[a-zà-ÿ])")
MIN_CHARS_PER_PAGE = 80  # below this on average, pypdf probably missed the text: try pdfminer.six
EDGE_LINES = 2  # lines at the top and at the bottom of a page where running headers and footers live


class PdfError(ValueError):
    """The PDF cannot be read; the message says why (corrupt, encrypted)."""


@dataclass
class PdfText:
    text: str  # "" when the PDF has no text layer (a scan): stored and flagged, not dropped
    title: str | None
    author: str | None
    published: str | None
    subject: str | None


def read_pdf(body: bytes) -> PdfText:
    reader = _open(body)
    pages = [SPACES.sub(" ", page).strip() for page in _page_texts(reader, body)]
    text = join_lines("\n\n".join(strip_running_lines(pages)))
    meta = reader.metadata or {}
    first_page = pages[0] if pages else ""
    return PdfText(
        text=text,
        title=_meta(meta, "/Title") or _first_line(first_page),
        author=_meta(meta, "/Author"),
        published=_created(meta) or _first_date(first_page),
        subject=_meta(meta, "/Subject"),
    )


def _open(body: bytes) -> PdfReader:
    try:
        reader = PdfReader(BytesIO(body))
        if reader.is_encrypted and not reader.decrypt(""):
            raise PdfError("encrypted PDF (a password is needed)")
        len(reader.pages)
    except PdfError:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types on broken files
        raise PdfError(f"unreadable PDF: {exc}") from exc
    return reader


def _page_texts(reader: PdfReader, body: bytes) -> list[str]:
    pages = []
    for page in reader.pages:
        try:
            pages.append(page.extract_text() or "")
        except LimitReachedError as exc:
            # A stream that inflates past pypdf's limits is a decompression bomb: pdfminer.six, which has no
            # such limits, must not get it as the fallback (it would inflate it all, for minutes).
            log.warning("a PDF stream inflates past pypdf's limits: %s", exc)
            raise PdfError("decompression bomb (a stream inflates past pypdf's limits)") from exc
        except Exception as exc:  # noqa: BLE001 - a broken page does not lose the others
            log.warning("a PDF page could not be read: %s", exc)
            pages.append("")
    if sum(len(p.strip()) for p in pages) >= MIN_CHARS_PER_PAGE * max(len(pages), 1):
        return pages
    return _pdfminer_pages(body) or pages


def _pdfminer_pages(body: bytes) -> list[str]:
    from pdfminer.high_level import extract_text

    try:
        return extract_text(BytesIO(body)).split("\f")
    except Exception as exc:  # noqa: BLE001 - the fallback failing leaves pypdf's text
        log.warning("pdfminer.six could not read the PDF either: %s", exc)
        return []


def strip_running_lines(pages: list[str]) -> list[str]:
    """Drop lines at the top or bottom of pages that repeat (numbers aside) on most pages."""
    if len(pages) < 3:
        return pages
    edges = Counter()
    for page in pages:
        edges.update({DIGITS.sub("#", line) for line in _edge_lines(page)})
    running = {line for line, n in edges.items() if n >= max(2, len(pages) // 2)}
    return [_without(page, running) for page in pages]


def _without(page: str, running: set[str]) -> str:
    edges = set(_edge_lines(page))
    return "\n".join(ln for ln in page.splitlines() if not (ln in edges and DIGITS.sub("#", ln) in running))


def _edge_lines(page: str) -> list[str]:
    lines = [line for line in page.splitlines() if line.strip()]
    return lines[:EDGE_LINES] + lines[-EDGE_LINES:]


def join_lines(text: str) -> str:
    """Lines of a paragraph as one line; a word cut by a hyphen at a line end made whole again."""
    text = HYPHENATED.sub(r"\1", text)
    paragraphs = re.split(r"\n\s*\n", text)
    return "\n".join(" ".join(line.strip() for line in p.splitlines() if line.strip()) for p in paragraphs).strip()


def _meta(meta, key: str) -> str | None:
    value = meta.get(key)
    return str(value).strip() or None if value else None


def _created(meta) -> str | None:
    try:
        created = meta.creation_date if hasattr(meta, "creation_date") else None
    except (ValueError, TypeError):
        return None
    return created.date().isoformat() if created else None


def _first_line(page: str) -> str | None:
    line = next((ln.strip() for ln in page.splitlines() if len(ln.strip()) > 3), None)
    return line[:200] if line else None


def _first_date(page: str) -> str | None:
    match = DATE.search(page)
    return normalise_date(match.group(), None) if match else None
