"""A deterministic synthetic ESS-like site: a home page, section pages and articles, with a sitemap."""

from __future__ import annotations

import random
from pathlib import Path

ORGS = ["le Coorace", "Le Labo de l'ESS", "l'Avise", "le réseau RTES", "ESS France", "France Active", "la CRESS"]
TOWNS = ["Bressuire", "Romans-sur-Isère", "Grasse", "Sainte-Marie-aux-Mines", "Guéret", "Rennes", "Tours"]
TOPICS = [
    "pôle territorial de coopération économique",
    "clause sociale",
    "insertion par l'activité économique",
    "société coopérative d'intérêt collectif",
    "finance solidaire",
    "ressourcerie",
    "tiers-lieu",
]


def article(rng: random.Random, n: int) -> str:
    org, town, topic = rng.choice(ORGS), rng.choice(TOWNS), rng.choice(TOPICS)
    sentences = [
        f"À {town}, {org} accompagne un projet de {topic} qui réunit entreprises, associations et collectivité.",
        f"Le projet numéro {n} a créé {rng.randint(3, 40)} emplois depuis {rng.randint(2012, 2025)}.",
        f"Les partenaires se retrouvent chaque mois pour décider ensemble des prochaines étapes à {town}.",
    ]
    body = " ".join(rng.choice(sentences) for _ in range(30))
    return (
        f"<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>Article {n} : {topic} à {town}"
        f"</title></head><body><nav><a href='/'>Accueil</a></nav><article><h1>Article {n} : {topic} à {town}"
        f"</h1><p class='date'>Publié le {rng.randint(1, 28)} mars 2025</p><p>{body}</p></article>"
        "<footer>Mentions légales</footer></body></html>"
    )


def write_site(folder: Path, pages: int, seed: int = 7, per_section: int = 50) -> int:
    """Write ``pages`` articles under ``folder``; return the number of HTML pages (sections and home too)."""
    rng = random.Random(seed)
    (folder / "a").mkdir(parents=True, exist_ok=True)
    sections = [list(range(start, min(start + per_section, pages))) for start in range(0, pages, per_section)]
    for n in range(pages):
        (folder / "a" / f"{n}.html").write_text(article(rng, n), encoding="utf-8")
    for s, members in enumerate(sections):
        links = "".join(f"<li><a href='/a/{n}.html'>Article {n}</a></li>" for n in members)
        (folder / f"section-{s}.html").write_text(f"<html><body><ul>{links}</ul></body></html>", encoding="utf-8")
    home = "".join(f"<a href='/section-{s}.html'>Rubrique {s}</a>" for s in range(len(sections)))
    (folder / "index.html").write_text(f"<html><body>{home}</body></html>", encoding="utf-8")
    (folder / "robots.txt").write_text("User-agent: *\nDisallow: /prive/\n")
    return pages + len(sections) + 1
