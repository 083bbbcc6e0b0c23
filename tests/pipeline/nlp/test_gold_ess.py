"""The ESS gold sentences, a regression set written by the project: the gazetteer raises ORG F1, our tagger
finds the dates and their values."""

from __future__ import annotations

import pytest

from tests.eval.ner import evaluate


@pytest.fixture(scope="module")
def report(base_settings):
    return evaluate(base_settings.spacy_model, base_settings.gazetteer)


def test_the_gazetteer_raises_org_f1(report):
    alone, ours = report["model + dates"]["ORG"]["f1"], report["gazetteer + model + dates"]["ORG"]["f1"]
    assert ours >= 0.85 and ours > alone + 0.2


def test_our_date_tagger_finds_the_dates_with_their_values(report):
    assert report["model + dates"]["DATE"]["f1"] >= 0.95  # the model has no DATE label: these are all ours
    assert report["gazetteer + model + dates"]["DATE"]["f1"] >= 0.95
    assert report["date values exact"] >= 0.95


def test_people_and_places_do_not_get_worse(report):
    for label in ("PER", "LOC"):
        assert report["gazetteer + model + dates"][label]["f1"] >= report["model alone"][label]["f1"]
