"""A document's text as HTML: escaped, paragraphs kept, entities marked by type and linked, dates marked."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from markupsafe import Markup


def mark(text: str, mention) -> str:
    """One mention as our markup; ``text`` is the mention's words as written."""
    words = escape(text)
    if mention["label"] == "DATE":
        value = escape(mention["value"] or "")
        return f'<mark class="date" title="date: {value}">{words}</mark>'
    label, name = escape(mention["label"]), mention["entity"] or text
    href = "/entity/" + quote(name, safe="")
    return f'<a class="ent ent-{label}" href="{href}" title="{label}: {escape(name)}">{words}</a>'


def highlighted(text: str, mentions: list) -> Markup:
    """``text`` with its mentions marked; overlapping mentions keep the first; blank lines make paragraphs."""
    parts, position = [], 0
    for mention in sorted(mentions, key=lambda m: (m["start"], -m["end"])):
        start, end = mention["start"], mention["end"]
        if start < position or end > len(text) or "\n" in text[start:end]:
            continue
        parts += [escape(text[position:start]), mark(text[start:end], mention)]
        position = end
    parts.append(escape(text[position:]))
    html = "".join(parts)
    paragraphs = [p.strip() for p in html.split("\n") if p.strip()]
    return Markup("".join(f"<p>{p}</p>" for p in paragraphs))  # noqa: S704 - every piece above was escaped
