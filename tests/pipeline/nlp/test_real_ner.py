"""Entities on real French pages (tests/fixtures/gold_real, labelled by reading): our layers must beat the
model they wrap on the held-out half, where nothing was tuned, and find dates with their values."""

from __future__ import annotations

import pytest

from tests.eval import real_ner
from tests.eval.shared import absent


@pytest.fixture(scope="module")
def held_out(base_settings):
    if reason := absent(real_ner.DATA):
        pytest.skip(reason)
    return real_ner.evaluate(base_settings.spacy_model, base_settings.gazetteer)["held-out"]


def test_our_layers_show_fewer_wrong_names_than_the_model_alone(held_out):
    ours, alone = held_out["distinct"]["model + our layers"]["all"], held_out["distinct"]["model alone"]["all"]
    assert ours["precision"] >= alone["precision"] + 0.05  # fr_core_news_sm: 0.536 against 0.418
    assert ours["recall"] >= alone["recall"]


def test_exact_spans_improve_for_every_named_type(held_out):
    ours, alone = held_out["spans"]["model + our layers"], held_out["spans"]["model alone"]
    for label in ("ORG", "PER", "LOC"):
        assert ours[label]["f1"] >= alone[label]["f1"], label


def test_dates_are_found_with_their_values(held_out):
    assert held_out["spans"]["model + our layers"]["DATE"]["recall"] >= 0.85
    assert held_out["date values"]["exact"] >= 0.95
