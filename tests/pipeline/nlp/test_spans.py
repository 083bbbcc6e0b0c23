"""Span cleaning on the failure families seen on real press, each on a span set by hand (so the test does not
depend on what a model version happens to predict), then the whole pipeline on typographic apostrophes."""

from __future__ import annotations

import pytest

from pipeline.entities.gazetteer import model_text
from pipeline.nlp.tagger import entities, load_nlp


@pytest.fixture(scope="module")
def nlp(base_settings):
    return load_nlp(base_settings.spacy_model, str(base_settings.gazetteer))


def cleaned(nlp, text: str, surface: str, label: str, occurrence: int = 0):
    """What the cleaner makes of one span over the ``occurrence``-th ``surface`` of ``text``: (text, label) or a
    reason."""
    doc, surface = nlp.make_doc(model_text(text)), model_text(surface)
    start = -1
    for _ in range(occurrence + 1):
        start = doc.text.index(surface, start + 1)
    doc.ents = [doc.char_span(start, start + len(surface), label=label)]
    doc = nlp.get_pipe("entity_cleaner")(doc)
    if doc.ents:
        return doc.ents[0].text, doc.ents[0].label_
    return next(iter(doc.user_data["dropped"]))


@pytest.mark.parametrize(
    ("text", "surface", "label", "expected"),
    [
        ("Lundi, le réseau a réuni ses membres.", "Lundi", "ORG", "weekday or month"),
        ("Rendez-vous le Mardi matin à Niort.", "Mardi", "PER", "weekday or month"),
        ("Il a rencontré le Président de la région.", "Président de", "PER", "common noun cut from a phrase"),
        ("À l'Initiative du Coorace, la journée a eu lieu.", "Initiative du", "ORG", "common noun cut from a phrase"),
        ("Il travaille au Labo de l’ESS depuis 2010.", "Labo de l’", "ORG", "common noun cut from a phrase"),
        ("Le rapport est paru. Reprise des activités : la reprise est lente.", "Reprise", "LOC", None),
        ("Les agents du ministre de la Santé ont visité le site.", "ministre de la Santé", "ORG", "function title"),
        ("Les Lyonnais ont voté.", "Lyonnais", "LOC", "demonym"),
        ("Actualités\nNewsletter\nLe texte commence ici.", "Newsletter", "MISC", "page furniture line"),
    ],
)
def test_non_names_are_dropped_with_their_reason(nlp, text, surface, label, expected):
    assert cleaned(nlp, text, surface, label) == (expected or "sentence-initial common words")


@pytest.mark.parametrize(
    ("text", "surface", "label", "expected"),
    [
        ("Le réseau agit En Bretagne depuis 2010.", "En Bretagne", "LOC", ("Bretagne", "LOC")),
        ("La Caisse des Dépôts et les régions financent.", "Caisse des Dépôts et", "ORG", ("Caisse des Dépôts", "ORG")),
        ("Le Pôle Sud-Rhône-Alpes recrute.", "Pôle Sud-Rhône-Alpes", "LOC", ("Pôle Sud-Rhône-Alpes", "ORG")),
        ("L’AG Éducation IDF appelle à la grève.", "L’AG Éducation IDF", "ORG", ("AG Éducation IDF", "ORG")),
        ("Écouter France Culture\n- 8 juin 2016", "France Culture\n- 8", "ORG", ("France Culture", "ORG")),
    ],
)
def test_boundaries_shed_prepositions_articles_and_line_breaks(nlp, text, surface, label, expected):
    assert cleaned(nlp, text, surface, label) == expected


@pytest.mark.parametrize(
    ("text", "surface", "label"),
    [
        ("Paris accueille le congrès. Le maire de Paris a ouvert la séance.", "Paris", "LOC"),  # also mid-sentence
        ("Rennes accueille le congrès des coopératives.", "Rennes", "LOC"),  # common "renne", never lowercase here
        ("La CGT a appelé à la grève.", "CGT", "ORG"),
        ("Le Monde consacre un dossier aux SCOP.", "Le Monde", "ORG"),
        ("Le ministère de la Culture soutient le projet.", "ministère de la Culture", "ORG"),
    ],
)
def test_names_are_kept_as_they_are(nlp, text, surface, label):
    assert cleaned(nlp, text, surface, label) == (surface, label)


def test_a_sentence_initial_noun_is_dropped_only_when_the_text_also_writes_it_in_lowercase(nlp):
    assert cleaned(nlp, "Orange : le bilan du groupe.", "Orange", "ORG") == ("Orange", "ORG")
    assert cleaned(nlp, "Orange : le bilan. Une robe orange.", "Orange", "ORG") == "sentence-initial common words"


def test_a_sentence_initial_verb_or_adverb_needs_no_confirmation(nlp):
    assert cleaned(nlp, "Abonnez-vous à la lettre.", "Abonnez", "PER") == "sentence-initial common words"
    assert cleaned(nlp, "Concrètement, rien ne change.", "Concrètement", "LOC") == "sentence-initial common words"


def test_gazetteer_names_match_with_typographic_apostrophes(nlp):
    text = "Le Labo de l’ESS et l’Avise ont présenté l’étude des PTCE à Lyon le 13 avril 2012."
    found, _ = entities(nlp, [text], ["2012-05-01"])
    by_text = {m.text: m for m in found[0]}
    labo = by_text["Le Labo de l’ESS"]  # the surface as written, the gazetteer's canonical name
    assert labo.entity == "Le Labo de l'ESS" and text[labo.start : labo.end] == "Le Labo de l’ESS"
    assert by_text["Avise"].entity == "Avise"
    assert by_text["13 avril 2012"].value == "2012-04-13"
