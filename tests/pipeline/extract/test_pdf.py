"""PDF reports: running headers and footers removed, hyphenation repaired, scans and locked files handled."""

from __future__ import annotations

from io import BytesIO

import pytest
from pypdf import PdfReader, PdfWriter

from pipeline.extract.main_text import ExtractionError, extract_pdf
from pipeline.extract.pdf import join_lines, strip_running_lines
from tests_support import DEMO

REPORT = DEMO / "observatoire-ess" / "publications" / "rapport-emploi-ess-2025.pdf"


def test_report_without_running_lines_and_with_whole_words():
    report = extract_pdf(REPORT.read_bytes())
    assert report.title == "Panorama de l'emploi dans l'ESS — édition 2025" and report.published == "2025-09-23"
    assert "— page 2" not in report.text and "Observatoire régional de l'ESS — page" not in report.text
    assert report.text.count("Panorama de l'emploi dans l'ESS — édition 2025") == 1  # the title page's, not each header
    assert "coopératives" in report.text and "coopéra-" not in report.text
    assert "  " not in report.text


def test_running_lines_and_hyphens():
    bodies = [
        "Le pôle réunit des entreprises et la coopé-\nration locale.",
        "Les clauses sociales.",
        "La finance solidaire.",
        "Les tiers-lieux ruraux.",
    ]
    pages = [f"Rapport annuel\n{body}\nRapport — page {n}" for n, body in enumerate(bodies, 1)]
    kept = strip_running_lines(pages)
    assert all("Rapport annuel" not in page and "— page" not in page for page in kept)
    assert join_lines(kept[0]) == "Le pôle réunit des entreprises et la coopération locale."


def pdf_bytes(writer: PdfWriter) -> bytes:
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_without_text_layer_is_kept_and_flagged():
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": "Rapport numérisé"})
    report = extract_pdf(pdf_bytes(writer))
    assert report.no_text and report.text == "" and report.title == "Rapport numérisé"


def test_locked_and_corrupt_pdfs_are_clear_errors():
    writer = PdfWriter(clone_from=PdfReader(REPORT))
    writer.encrypt(user_password="secret", owner_password="owner")
    with pytest.raises(ExtractionError, match="encrypted"):
        extract_pdf(pdf_bytes(writer))
    with pytest.raises(ExtractionError, match="unreadable PDF"):
        extract_pdf(REPORT.read_bytes()[:2000])
