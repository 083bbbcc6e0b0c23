"""Snippets: a passage of the best chunk around the query's words, HTML-escaped, the words wrapped in <mark>."""

from __future__ import annotations

import html
import re

from pipeline.index.analysis import query_terms, term, words

SNIPPET_CHARS = 300
MARK = re.compile(r"</?mark>")


def window(text: str, terms: set[str], size: int = SNIPPET_CHARS) -> str:
    """About ``size`` characters of ``text``, on one line, starting a little before the first query word."""
    text = " ".join(text.split())
    first = next((m.start() for m in words(text) if term(m.group()) in terms), None)
    start = text.rfind(" ", 0, max(0, first - size // 3)) + 1 if first is not None else 0
    end = text.find(" ", start + size)
    end = len(text) if end == -1 else end
    return ("… " if start else "") + text[start:end] + (" …" if end < len(text) else "")


def marked(text: str, terms: set[str]) -> str:
    """``text`` escaped for HTML, each word whose term is a query term wrapped in <mark>."""
    parts, last = [], 0
    for match in words(text):
        if term(match.group()) in terms:
            parts += [html.escape(text[last : match.start()]), f"<mark>{html.escape(match.group())}</mark>"]
            last = match.end()
    return "".join([*parts, html.escape(text[last:])])


def snippet(text: str, query: str) -> str:
    """The passage of a chunk to show for ``query``: HTML-safe, the only markup our own <mark>."""
    terms = set(query_terms(query))
    return marked(window(text, terms), terms)


def plain(snippet_html: str) -> str:
    """A snippet back to plain text (for CSV)."""
    return html.unescape(MARK.sub("", snippet_html))
