"""A watch's arrivals as an Atom feed (RFC 4287), built with ElementTree, which escapes every text it writes."""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

from search_api.watches import Arrival, Watch

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
ID_AUTHORITY = "tag:ess-press-search,2026:"  # a tag URI (RFC 4151): ids that stay the same wherever it is served
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")  # no XML 1.0 document holds these


def feed(watched: Watch, entries: list[Arrival], self_url: str, page_url: str, base: str) -> bytes:
    """The feed of ``watched``: its newest arrivals, each linking to the original and to its document page."""
    root = ET.Element("feed", xmlns=ATOM)
    add(root, "id", f"{ID_AUTHORITY}watch/{watched.id}")
    add(root, "title", f"ESS press search · {watched.name}")
    add(root, "subtitle", f"{watched.search.mode.value} : {watched.search.q}")
    add(root, "updated", max((e.first_seen for e in entries), default=watched.created_at))
    ET.SubElement(root, "link", rel="self", type="application/atom+xml", href=self_url)
    ET.SubElement(root, "link", rel="alternate", type="text/html", href=page_url)
    add(ET.SubElement(root, "author"), "name", "ESS press search")
    add(root, "generator", "ESS press search")
    for arrival in entries:
        entry(root, arrival, base)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def entry(root: ET.Element, arrival: Arrival, base: str) -> None:
    item = ET.SubElement(root, "entry")
    add(item, "id", f"{ID_AUTHORITY}document/{arrival.id}")
    add(item, "title", arrival.title or arrival.url)
    ET.SubElement(item, "link", rel="alternate", type="text/html", href=NOT_XML.sub("", arrival.url))
    ET.SubElement(item, "link", rel="related", type="text/html", href=f"{base}/document/{arrival.id}")
    add(item, "updated", arrival.first_seen)
    if published := timestamp(arrival.published):
        add(item, "published", published)
    if arrival.author:
        add(ET.SubElement(item, "author"), "name", arrival.author)
    ET.SubElement(item, "category", term=NOT_XML.sub("", arrival.source))
    add(item, "summary", arrival.snippet, type="text")


def add(parent: ET.Element, tag: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, **attributes)
    element.text = NOT_XML.sub("", text)
    return element


def timestamp(published: str | None) -> str | None:
    """An Atom date-time from a publication day (midnight UTC); None for a year or a month alone."""
    return f"{published}T00:00:00Z" if published and len(published) == 10 else None
