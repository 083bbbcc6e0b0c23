"""What each watched search matched among the documents that arrived since a time: as Markdown or HTML."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from search_api.watches import Arrival, Watch

TEMPLATES = Path(__file__).parent / "web" / "templates"
FORMATS = ("md", "html")


def markdown(found: list[tuple[Watch, list[Arrival]]], since: str) -> str:
    lines = [f"# Veille ESS : nouveaux documents depuis {since}", ""]
    for watched, arrivals in found:
        search = watched.search
        lines += [f"## {watched.name} ({len(arrivals)})", "", f"Recherche : « {search.q} » ({search.mode.value})", ""]
        lines += [markdown_item(a) for a in arrivals] or ["Rien de nouveau."]
        lines.append("")
    return "\n".join(lines)


def markdown_item(arrival: Arrival) -> str:
    title = (arrival.title or arrival.url).replace("[", "\\[").replace("]", "\\]")
    when = arrival.published or "s.d."
    return f"- [{title}](<{arrival.url}>) · {arrival.source} · {when}\n  {arrival.snippet}"


def html(found: list[tuple[Watch, list[Arrival]]], since: str) -> str:
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    return environment.get_template("digest.html").render(found=found, since=since)


def render(found: list[tuple[Watch, list[Arrival]]], since: str, form: str) -> str:
    return html(found, since) if form == "html" else markdown(found, since)
