"""French keyword analysis: elision, function words, Snowball stems, accents folded."""

from __future__ import annotations

import pytest

from pipeline.index.analysis import query_terms, terms


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("coopératives", "Coopérative"),
        ("l'économie", "économies"),
        ("d’insertion", "insertions"),
        ("Économie", "economie"),
        ("territoriale", "territoriales"),
    ],
)
def test_forms_of_one_word_meet(first, second):
    assert terms(first) == terms(second) and terms(first)


def test_elided_words_and_function_words_are_no_terms():
    assert query_terms("Qu'est-ce que c'est ? L'ESS et les CRESS, jusqu'à Lyon") == ["ess", "cress", "lyon"]
    assert terms("les des à d' l' qu'") == []


def test_query_terms_keep_order_without_repeats():
    assert query_terms("Les clauses sociales à Bressuire, les CLAUSES") == ["claus", "social", "bressuir"]
