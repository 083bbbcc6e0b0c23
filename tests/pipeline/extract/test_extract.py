"""Extraction of main text and metadata from the sites' real templates and the PDF reports."""

from __future__ import annotations

import pytest

from pipeline.config import PROJECT_ROOT
from pipeline.extract.main_text import ExtractionError, clean_title, extract_html, extract_pdf

DEMO = PROJECT_ROOT / "corpus" / "demo"
SITES = PROJECT_ROOT / "tests" / "fixtures" / "sites"


def extract_file(path):
    return extract_html(path.read_bytes(), "http://127.0.0.1/" + path.name)


def test_article_text_and_metadata_without_boilerplate():
    page = extract_file(SITES / "alpha" / "articles" / "boulangerie-dufresne-scop.html")
    assert page.author == "Inès Moreau"  # the byline says "Par Inès Moreau"
    assert page.published == "2025-03-17"
    assert "Dufresne" in page.text and "cookies" not in page.text.lower()
    assert page.link_density < 0.2


@pytest.mark.parametrize(
    "relative, author, published",
    [
        (
            "echo-des-territoires/economie/2025/03/14/ptce-bocage-solidaire-bressuire-cooperation-emploi.html",
            "Claire Fontaine",
            "2025-03-14",
        ),  # visible French byline and date only
        ("ess-mag/articles/ptce-dix-ans-apres-la-loi-de-2014/index.html", "Julien Moreau", "2024-09-17"),  # meta
        ("coop-actu/actualites/1042-ptce-val-d-argent.html", "Mathilde Gauthier", "2024-03-14"),  # JSON-LD
        ("achats-responsables/fiches/clause-sociale-insertion-mode-emploi.html", "Hélène Dumas", "2024-03-12"),
        (
            "finance-solidarite/blog/2024/06/epargne-solidaire-mode-d-emploi/index.html",
            "Nathalie Kessler",
            "2024-06-18",
        ),  # Dublin Core
    ],
)
def test_demo_templates_give_author_and_date(relative, author, published):
    page = extract_file(DEMO / relative)
    assert page.author == author and page.published == published
    assert page.title and " | " not in page.title
    for boilerplate in ("Accepter", "Personnaliser", "newsletter", "Répondre"):
        assert boilerplate not in page.text


def test_listing_pages_have_a_high_link_density():
    assert extract_file(DEMO / "coop-actu" / "index.html").link_density > 0.2


def test_pdf_report_text_and_metadata():
    report = extract_pdf((DEMO / "observatoire-ess" / "publications" / "etude-ptce-cooperation-2026.pdf").read_bytes())
    assert report.title.startswith("Coopérer pour l'emploi")
    assert report.published == "2026-03-17" and "Garnier" in report.author
    assert "Bocage Solidaire" in report.text and len(report.text.split()) > 800


def test_unusable_input_raises_a_clear_error():
    with pytest.raises(ExtractionError, match="unreadable PDF"):
        extract_pdf(b"%PDF-1.7 truncated")
    with pytest.raises(ExtractionError, match="no main text"):
        extract_html(b"<html><body></body></html>", "http://127.0.0.1/empty")


def test_site_name_suffix_is_dropped_from_titles():
    assert clean_title("Un titre | ESS Mag", "ESS Mag") == "Un titre"
    assert clean_title("Un titre — Observatoire", "observatoire") == "Un titre"
    assert clean_title("Marché - mode d'emploi", "ESS Mag") == "Marché - mode d'emploi"


def test_the_pages_own_tags_are_kept():
    page = extract_file(DEMO / "ess-mag" / "articles" / "ptce-dix-ans-apres-la-loi-de-2014" / "index.html")
    assert "PTCE" in page.tags and "Territoires" in page.tags


def test_oversized_and_binary_pages_are_refused():
    with pytest.raises(ExtractionError, match="over 10 MB"):
        extract_html(b"<html><body>" + b"mot " * (3 * 1024 * 1024) + b"</body></html>", "http://127.0.0.1/big")
    with pytest.raises(ExtractionError, match="binary"):
        extract_html(bytes(range(256)) * 10, "http://127.0.0.1/bin")


def test_consent_banners_never_become_the_text_of_a_short_article():
    banner = (
        '<div class="bandeau-consentement" role="dialog"><p>Vos choix en matière de cookies : ce site et ses '
        "partenaires utilisent des cookies et traceurs pour mesurer l'audience et proposer des contenus.</p></div>"
    )
    article = (
        "<article><h1>Un job dating à Nueil-les-Aubiers</h1><p>La Blanchisserie du Bocage, entreprise "
        "d'insertion, organise un job dating le jeudi 17 septembre. Dix postes en contrat d'insertion sont à "
        "pourvoir, sans diplôme ni CV.</p></article>"
    )
    page = f"<html><head><title>Brève</title></head><body>{banner}{article}</body></html>".encode()
    text = extract_html(page, "https://presse.example/breves/job-dating.html").text
    assert "Blanchisserie du Bocage" in text and "cookies" not in text
