"""The gazetteer: canonical keys, validation, matching (``pipeline.nlp.gazetteer_ruler``)."""

from __future__ import annotations

import pytest
import spacy

from pipeline.config import Settings
from pipeline.entities.gazetteer import GazetteerError, entity_key, load_gazetteer
from pipeline.nlp import gazetteer_ruler  # noqa: F401 - registers the "gazetteer_ruler" component


@pytest.mark.parametrize("variant", ["Coorace", "le Coorace", "du Coorace", "COORACE", "au Coorace", "l’Coorace"])
def test_articles_case_and_apostrophes_fold(variant):
    assert entity_key(variant) == "coorace"


def test_dotted_acronyms_and_accents_fold():
    assert entity_key("C.R.E.S.S.") == entity_key("la CRESS") == "cress"
    assert entity_key("Économie") == entity_key("economie")
    assert entity_key("du Labo de l'ESS") == entity_key("Le Labo de l’ESS")


def test_the_shipped_gazetteer_is_valid_and_large_enough():
    entries = load_gazetteer(Settings().gazetteer)
    assert len(entries) >= 60
    assert {"Coorace", "Avise", "RTES", "ESS France", "CNCRES"} <= {e.name for e in entries} | {
        a for e in entries for a in e.aliases
    }


def test_clashing_and_malformed_entries_are_refused(tmp_path):
    path = tmp_path / "entities.toml"
    path.write_text('[[entity]]\nname = "Avise"\ntype = "ORG"\n[[entity]]\nname = "AVISE"\ntype = "ORG"\n')
    with pytest.raises(GazetteerError, match="names both"):
        load_gazetteer(path)
    path.write_text('[[entity]]\nname = "X"\ntype = "THING"\n')
    with pytest.raises(GazetteerError, match="type must be one of"):
        load_gazetteer(path)


def test_patterns_match_case_insensitively_unless_told(tmp_path):
    path = tmp_path / "entities.toml"
    path.write_text(
        '[[entity]]\nname = "Réseau des collectivités territoriales pour une économie solidaire"\ntype = "ORG"\n'
        'aliases = ["RTES"]\n[[entity]]\nname = "EI"\ntype = "MISC"\ncase_sensitive = true\n'
    )
    nlp = spacy.blank("fr")
    nlp.add_pipe("gazetteer_ruler", config={"path": str(path)})
    doc = nlp("Le rtes et le R.T.E.S. soutiennent une EI ; ei n'est pas un sigle.")
    assert [(e.text, e.ent_id_) for e in doc.ents] == [
        ("rtes", "Réseau des collectivités territoriales pour une économie solidaire"),
        ("R.T.E.S.", "Réseau des collectivités territoriales pour une économie solidaire"),
        ("EI", "EI"),
    ]


def test_the_longest_name_wins_and_places_only_fill_untagged_tokens(tmp_path):
    """As spaCy's EntityRuler decides: the longest match first, a case-sensitive one against a folded one too; the
    places' ruler leaves what is already tagged alone."""
    path = tmp_path / "entities.toml"
    path.write_text(
        '[[entity]]\nname = "Fédération des entreprises d\'insertion"\ntype = "ORG"\n'
        '[[entity]]\nname = "EI"\ntype = "MISC"\ncase_sensitive = true\naliases = ["entreprises d\'insertion"]\n'
        '[[entity]]\nname = "Envie"\ntype = "ORG"\ncase_sensitive = true\naliases = ["Réseau Envie Autonomie"]\n'
        '[[entity]]\nname = "Autonomie"\ntype = "ORG"\n'
        '[[entity]]\nname = "Paris"\ntype = "LOC"\n'
    )
    nlp = spacy.blank("fr")
    nlp.add_pipe("gazetteer_ruler", config={"path": str(path)})
    nlp.add_pipe("gazetteer_ruler", name="places", config={"path": str(path), "places": True})
    doc = nlp.make_doc(
        "La Fédération des entreprises d'insertion et le Réseau Envie Autonomie à Paris ; les entreprises d'insertion."
    )
    doc.ents = [doc.char_span(doc.text.index("Paris"), doc.text.index("Paris") + 5, label="ORG")]
    doc = nlp.get_pipe("places")(nlp.get_pipe("gazetteer_ruler")(doc))
    assert [(e.text, e.label_, e.ent_id_) for e in doc.ents] == [
        ("Fédération des entreprises d'insertion", "ORG", "Fédération des entreprises d'insertion"),
        ("Réseau Envie Autonomie", "ORG", "Envie"),
        ("Paris", "ORG", ""),
        ("entreprises d'insertion", "MISC", "EI"),
    ]
