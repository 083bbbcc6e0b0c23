"""The French NLP pipeline: gazetteer before the model, our dates after it, false positives dropped."""

from __future__ import annotations

import pytest
from spacy.tokens import Span

from pipeline.nlp.tagger import drop_reason, entities, load_nlp, pieces

TEXT = (
    "Nadia Benali dirige le PTCE Bocage Solidaire à Bressuire, dans les Deux-Sèvres. "
    "Le 3 mars, elle a présenté le projet au Coorace et à la C.R.E.S.S. Nouvelle-Aquitaine."
)


@pytest.fixture(scope="session")
def nlp(base_settings):
    return load_nlp(base_settings.spacy_model, str(base_settings.gazetteer))


def mentions_of(nlp, text: str, reference: str | None = "2025-03-14"):
    [found], dropped = entities(nlp, [text], [reference])
    return found, dropped


def test_only_what_ner_needs_runs_with_the_gazetteer_first_and_dates_last(nlp):
    expected = ["gazetteer_ruler", "ner", "entity_cleaner", "place_ruler", "gazetteer_names", "french_dates"]
    assert nlp.pipe_names[-6:] == expected
    assert "parser" not in nlp.component_names
    assert "lemmatizer" in nlp.disabled  # loaded for its French lexicon, never run


def test_gazetteer_names_are_canonical_and_offsets_exact(nlp):
    found, _ = mentions_of(nlp, TEXT)
    by_text = {m.text: m for m in found}
    assert by_text["Coorace"].entity == "Coorace" and by_text["Coorace"].label == "ORG"
    assert by_text["Nadia Benali"].label == "PER" and by_text["Bressuire"].label == "LOC"
    for mention in found:
        assert TEXT[mention.start : mention.end] == mention.text


def test_dates_carry_their_iso_value_with_the_documents_year(nlp):
    found, _ = mentions_of(nlp, TEXT, reference="2025-03-14")
    assert [(m.text, m.value) for m in found if m.label == "DATE"] == [("3 mars", "2025-03-03")]


def test_long_text_is_processed_in_pieces_with_global_offsets(nlp):
    filler = "Un paragraphe sans nom propre, répété pour allonger le texte.\n" * 40
    text = filler + TEXT
    found, _ = mentions_of(nlp, text)
    assert any(text[m.start : m.end] == "Nadia Benali" for m in found)
    assert len(pieces(text, size=500)) > 1
    assert "".join(p for _, p in pieces(text, size=500)) == text


def test_obvious_false_positives_are_dropped(nlp):
    doc = nlp.make_doc("Il 2024 texte")
    assert drop_reason(Span(doc, 0, 1, label="PER")) == "pronoun"
    assert drop_reason(Span(doc, 2, 3, label="MISC")) == "lone lowercase word"
    assert drop_reason(Span(doc, 1, 2, label="ORG")) == "no letters"


def test_places_never_cut_longer_names_and_model_spans_get_gazetteer_names(nlp):
    found, _ = mentions_of(nlp, "Il a visité Disneyland Paris. La région PACA soutient le Coorace.")
    assert ("Disneyland Paris", None) in [(m.text, m.entity) for m in found]
    paca = next(m for m in found if m.text == "PACA")
    assert paca.label == "LOC" and paca.entity == "Provence-Alpes-Côte d'Azur"
