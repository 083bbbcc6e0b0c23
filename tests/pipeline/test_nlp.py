"""French NER with the small spaCy model: labels, offsets, long texts in pieces."""

from __future__ import annotations

import pytest

from pipeline.nlp import entities, keep, load_nlp, pieces

TEXT = (
    "Nadia Benali dirige le PTCE Bocage Solidaire à Bressuire, dans les Deux-Sèvres. "
    "Elle a présenté le projet à France Active."
)


@pytest.fixture(scope="session")
def nlp(base_settings):
    return load_nlp(base_settings.spacy_model)


def test_only_what_ner_needs_runs(nlp):
    assert "ner" in nlp.pipe_names and "parser" not in nlp.pipe_names and "lemmatizer" not in nlp.pipe_names


def test_people_places_and_organisations_with_exact_offsets(nlp):
    [found] = entities(nlp, [TEXT])
    by_name = {m.name: m for m in found}
    assert by_name["Nadia Benali"].label == "PER"
    assert by_name["Bressuire"].label == "LOC"
    for mention in found:
        assert TEXT[mention.start : mention.end] == mention.name


def test_long_text_is_processed_in_pieces_with_global_offsets(nlp):
    filler = "Un paragraphe sans nom propre, répété pour allonger le texte.\n" * 40
    text = filler + TEXT
    [found] = entities(nlp, [text])
    assert any(text[m.start : m.end] == "Nadia Benali" for m in found)
    assert len(pieces(text, size=500)) > 1
    assert "".join(p for _, p in pieces(text, size=500)) == text


def test_obvious_false_positives_are_dropped():
    assert keep("Coorace", "ORG") and not keep("12", "MISC") and not keep("x", "PER")
    assert not keep("A" * 200, "ORG") and not keep("Lundi", "DATE")
