"""French dates: tagged in text, normalised to ISO with their granularity."""

from __future__ import annotations

import pytest
import spacy

from pipeline.nlp.dates import normalise_date


@pytest.fixture(scope="module")
def tagger():
    nlp = spacy.blank("fr")
    nlp.add_pipe("french_dates")
    return nlp


@pytest.mark.parametrize(
    "text, reference, value",
    [
        ("13 avril 2012", None, "2012-04-13"),
        ("lundi 25 juin", "2024-07-02", "2024-06-25"),
        ("juin 2012", None, "2012-06"),
        ("17/02/2012", None, "2012-02-17"),
        ("2012", None, "2012"),
        ("1er octobre 2024", None, "2024-10-01"),
        ("3 mars", "2025-03-14", "2025-03-03"),
        ("3 mars", None, None),  # no year and no document date: not guessed
    ],
)
def test_normalisation(text, reference, value):
    assert normalise_date(text, reference) == value


def test_tagging_finds_the_expressions_and_leaves_numbers_alone(tagger):
    text = (
        "Réunis lundi 25 juin à Tours puis le 13 avril 2012 et en juin 2012, le 17/02/2012, depuis 2014 : "
        "2 400 heures d'insertion et 1 2012 euros."
    )
    found = [e.text for e in tagger(text).ents]
    assert found == ["lundi 25 juin", "13 avril 2012", "juin 2012", "17/02/2012", "2014"]
    assert all(e.label_ == "DATE" for e in tagger(text).ents)


def test_existing_entities_are_kept(tagger):
    doc = tagger.make_doc("Le Forum 2024 se tient en mai 2024.")
    doc.ents = [doc.char_span(3, 13, label="MISC")]
    doc = tagger.get_pipe("french_dates")(doc)
    assert [(e.text, e.label_) for e in doc.ents] == [("Forum 2024", "MISC"), ("mai 2024", "DATE")]
